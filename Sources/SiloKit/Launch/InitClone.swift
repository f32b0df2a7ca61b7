#if canImport(Glibc)
import Glibc
#endif
import SiloSpec
import SiloSys

/// The clone of an OCI init and the parent's half of its handshake: namespaces joined by
/// path, umask, clone, id maps, oom_score_adj, the runtime-side hooks, the ack, then READY
/// (or the init's error record).
enum InitClone {
    static func run(_ p: inout BundlePlan, state: (Int32) -> OCIState) throws(RuntimeError) -> pid_t {
        let parentEnd: Int32, childEnd: Int32
        do { (parentEnd, childEnd) = try UnixSocket.seqpacketPair() } catch { throw RuntimeError(error) }
        defer { close(parentEnd) }
        p.plan.syncFD = childEnd
        // setns affects the caller, which is about to exit (create) or only waits (run): the
        // clone below inherits the joined namespaces (a PID namespace applies to children only).
        for j in p.joins {
            guard let kind = NamespaceKind.allCases.first(where: { $0.cloneFlag == j.flag }) else { continue }
            do { try NamespaceFile.enter(j.fd, kind, name: j.path) } catch {
                close(childEnd)
                throw RuntimeError(error)
            }
        }
        let previousMask = p.umask.map { umask(mode_t($0)) }
        let pid: pid_t
        do { pid = try Clone.fork(p.cloneFlags) } catch {
            if let m = previousMask { umask(m) }
            close(childEnd)
            throw RuntimeError(error)
        }
        if pid == 0 {
            close(parentEnd)
            ChildMain.awaitMaps(syncFD: p.plan.syncFD)
            ChildMain.run(plan: p.plan)
        }
        if let m = previousMask { umask(m) }
        close(childEnd)
        Trace.mark("create: cloned")
        do throws(RuntimeError) {
            do throws(SyscallError) {
                try p.idmap?.write(toChild: pid)
                if let adj = p.spec.process?.oomScoreAdj { try FileIO.write("/proc/\(pid)/oom_score_adj", "\(adj)") }
            } catch { throw RuntimeError(error) }
            try p.cgroup?.enter(pid: pid)  // v2; on v1 the init moves itself through `tasks`
            // Before the init mounts anything: runc and crun run these here too (createContainer
            // belongs after pivot_root in the spec; silo runs it at this point, docs/oci.md).
            let s = state(pid)
            try Hooks.run(p.spec.hooks.prestart, kind: .prestart, state: s)
            try Hooks.run(p.spec.hooks.createRuntime, kind: .createRuntime, state: s)
            try Hooks.run(p.spec.hooks.createContainer, kind: .createContainer, state: s)
            var ack: UInt8 = 1
            if write(parentEnd, &ack, 1) != 1 { throw RuntimeError(SyscallError.last("write", "sync socket")) }
        } catch {
            ProcessWait.killAndReap(pid)
            throw error
        }
        p.closeTrees()
        var buf = [UInt8](repeating: 0, count: 512)
        let n = buf.withUnsafeMutableBytes { b in retryingEINTR { read(parentEnd, b.baseAddress, b.count) } }
        if n == 1 && buf[0] == CreateHold.ready { return pid }
        _ = ProcessWait.status(of: pid)
        guard n > 1, let record = ErrorRecord.decode(Array(buf[0..<n])) else {
            throw RuntimeError(.runtime, "container init exited before it was ready")
        }
        if record.stage == .exec {
            let e = record.error
            return try fail(e.errno == EACCES ? .cannotExecute : .notFound, "exec \(e.object): \(e.reason)")
        }
        throw record.runtimeError
    }

    private static func fail(_ code: RuntimeError.Code, _ message: String) throws(RuntimeError) -> pid_t {
        throw RuntimeError(code, message)
    }
}
