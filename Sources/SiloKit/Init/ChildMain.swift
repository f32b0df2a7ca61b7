#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// The child right after clone: wait for the maps, prepare, exec; on any failure send one
/// error record to the parent and _exit. Never returns, never throws across the boundary.
enum ChildMain {
    /// The child's first step: nothing before it may touch memory, which a CLONE_VM child
    /// shares with the still-running parent.
    @inline(__always)
    static func awaitMaps(syncFD: Int32) {
        var ack: UInt8 = 0
        let n = retryingEINTR { read(syncFD, &ack, 1) }
        if n != 1 { Exit.now(125) }  // the parent died or gave up: it reports the error
    }

    static func run(plan: ContainerPlan) -> Never {
        Trace.mark("child: maps received")
        let initProcess = ContainerInit(plan: plan, sys: LinuxSyscalls())
        var failure: StageError
        do throws(StageError) {
            if let hold = plan.hold { hold.closeInheritedLocks() }
            var opened: (command: Int32, fdDirectory: Int32) = (-1, -1)  // create: ContainerInit+Hold
            try initProcess.prepare(beforeUserSwitch: { if plan.hold != nil { opened = initProcess.openBeforeUserSwitch() } })
            if let hold = plan.hold { initProcess.holdForStart(hold, opened: opened) }
            if plan.useInit {
                do { try Reaper.start(syncFD: plan.syncFD, ignoredSignals: plan.ignoredSignals, terminal: plan.consoleSocket >= 0) } catch { throw StageError(.initFork, error) }
            }
            failure = initProcess.exec()
        } catch {
            failure = error
        }
        ErrorRecord.send(failure, fd: plan.syncFD)
        Exit.now(127)
    }
}
