import Foundation
import Testing
import SiloSpec
import SiloSys
@testable import SiloKit

/// Liveness against real children of the test process: /bin/sleep running, killed (a zombie
/// until reaped), reaped, and records whose start time does not match (a reused pid).
@Suite(.serialized) final class ContainerLivenessTests {
    let base = StateTestSupport.tempDir("live")
    deinit { StateTestSupport.removeTree(base) }

    func record(_ pid: pid_t, startTime: UInt64? = nil, status: OCIState.Status = .running) throws -> ContainerRecord {
        ContainerRecord(id: "c", status: status, pid: pid, pidStartTime: try startTime ?? ProcStat.read(pid).startTime, bundle: "/b")
    }

    @Test func statusFollowsTheInit() throws {
        let store = try ContainerStateStore(root: base)
        try store.create(id: "c")
        let pid = StateTestSupport.spawn(["/bin/sleep", "30"])
        let rec = try record(pid)
        #expect(try ContainerLiveness.status(of: rec, in: store, id: "c") == .running)
        #expect(try ContainerLiveness.status(of: rec, in: store, id: "c", isFrozen: { _ in true }) == .paused)
        try store.makeExecFifo(id: "c")
        #expect(StateTestSupport.mode(store.fifoPath(of: "c")) == 0o622)
        #expect(try ContainerLiveness.status(of: rec, in: store, id: "c") == .created)
        unlink(store.fifoPath(of: "c"))
        // A reused pid: same number, another start time.
        let reused = try record(pid, startTime: rec.pidStartTime! + 1)
        #expect(try ContainerLiveness.status(of: reused, in: store, id: "c") == .stopped)
        #expect(try ContainerLiveness.status(of: try record(pid, status: .stopped), in: store, id: "c") == .stopped)
        #expect(try ContainerLiveness.status(of: nil, in: store, id: "c") == .creating)
        #expect(try ContainerLiveness.status(of: try record(pid, status: .creating), in: store, id: "c") == .creating)
        var noPid = rec
        noPid.pid = nil
        noPid.status = .creating
        #expect(try ContainerLiveness.status(of: noPid, in: store, id: "c") == .creating)
        kill(pid, SIGKILL)
        #expect(StateTestSupport.waitForZombie(pid))
        #expect(try ContainerLiveness.status(of: rec, in: store, id: "c") == .stopped)
        #expect(try ContainerLiveness.status(of: try record(pid, startTime: rec.pidStartTime!, status: .creating), in: store, id: "c") == .stopped)
        StateTestSupport.reap(pid)
        #expect(try ContainerLiveness.status(of: rec, in: store, id: "c") == .stopped)
    }

    @Test func signalGoesThroughThePidfdAndNeverToAReusedPid() throws {
        let pid = StateTestSupport.spawn(["/bin/sleep", "30"])
        let rec = try record(pid)
        let reused = try record(pid, startTime: rec.pidStartTime! + 1)
        let refused = #expect(throws: RuntimeError.self) { try ContainerLiveness.signal(reused, SIGKILL) }
        #expect(refused?.message == "container not running")
        #expect(try ContainerLiveness.status(of: rec, in: ContainerStateStore(root: base), id: "c") == .running)
        // A shared PID namespace: --all signals the init alone.
        #expect(try ContainerLiveness.signal(rec, SIGTERM, all: true) == 1)
        let st = StateTestSupport.reap(pid)
        #expect(st & 0x7F == SIGTERM)
        let stopped = #expect(throws: RuntimeError.self) { try ContainerLiveness.signal(rec, SIGTERM) }
        #expect(stopped?.message == "container not running")
        #expect(try ContainerLiveness.signal(rec, SIGTERM, all: true) == 0)
    }

    @Test(.enabled(if: geteuid() == 0, "needs root to make a PID namespace with unshare"))
    func killAllReachesEveryProcessOfThePidNamespace() throws {
        // unshare forks the namespace's init: sh starts two sleeps and becomes a sleep itself
        // (a shell that waited for them would exit as soon as they die, before its own signal).
        let outer = StateTestSupport.spawn(["/usr/bin/unshare", "--pid", "--fork", "/bin/sh", "-c", "sleep 30 & sleep 30 & exec sleep 31"])
        defer { kill(outer, SIGKILL); StateTestSupport.reap(outer) }
        var initPid: pid_t = 0
        var members: [pid_t] = []
        for _ in 0..<300 {
            if let sh = ContainerLiveness.processes().first(where: { (try? ProcStat.read($0).ppid) == outer }) {
                initPid = sh
                let ns = ContainerLiveness.pidNamespace(sh)
                members = ContainerLiveness.processes().filter { $0 != sh && ContainerLiveness.pidNamespace($0) == ns }
                if members.count == 2, (try? ProcStat.read(sh).comm) == "sleep" { break }
            }
            usleep(10_000)
        }
        #expect(members.count == 2)
        let rec = try record(initPid)
        let signalled = try ContainerLiveness.signal(rec, SIGKILL, all: true)
        #expect(signalled == 3, "members \(members) init \(initPid)")
        StateTestSupport.reap(outer)
        for p in members + [initPid] { #expect(kill(p, 0) != 0) }
    }

    @Test func aPidfdWaitsForExitWhetherReapedOrNot() throws {
        let pid = StateTestSupport.spawn(["/bin/sleep", "30"])
        let handle = try Pidfd.open(pid)
        #expect(!handle.hasExited)
        #expect(!handle.waitForExit(milliseconds: 20))
        try handle.signal(SIGKILL)
        #expect(handle.waitForExit(milliseconds: 5000))
        StateTestSupport.reap(pid)
        #expect(handle.hasExited)
        #expect(throws: SyscallError("pidfd_send_signal", errno: ESRCH, object: "pid \(pid)")) { try handle.signal(0) }
        #expect(throws: SyscallError("pidfd_open", errno: ESRCH, object: "pid \(pid)")) { try Pidfd.open(pid) }
    }

    @Test func procStatIsReadAfterTheLastParenthesis() throws {
        let line = "4242 (a) R 1 (x) S 77 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 123456789 2000 100 18446744073709551615\n"
        let s = ProcStat.parse(line)
        #expect(s == ProcStat(comm: "a) R 1 (x", state: "S", ppid: 77, startTime: 123456789))
        #expect(ProcStat.parse("4242 (sleep) Z 1 2 3") == nil)
        #expect(ProcStat.parse("garbage") == nil)
        let own = try ProcStat.read(getpid())
        #expect(own.state == "R" || own.state == "S")
        #expect(own.ppid == getppid())
    }

    @Test func execFifoReleasesTheWaitingInitAndFailsForADeadOne() throws {
        let store = try ContainerStateStore(root: base)
        try store.create(id: "f")
        try store.makeExecFifo(id: "f")
        let fifo = store.fifoPath(of: "f")
        // The "init": blocks opening the fifo for writing, then writes its byte.
        let writer = StateTestSupport.spawn(["/bin/sh", "-c", "printf 0 > \(fifo)"])
        try store.releaseExecFifo(id: "f", initProcess: try Pidfd.open(writer), milliseconds: 5000)
        #expect(!store.hasExecFifo(id: "f"))
        #expect(StateTestSupport.reap(writer) == 0)
        // The way the init does it: an O_PATH fd, reopened for writing through /proc.
        try store.makeExecFifo(id: "f")
        let pathFd = try store.openExecFifoForInit(id: "f")
        defer { close(pathFd) }
        let viaProc = StateTestSupport.spawn(["/bin/sh", "-c", "printf 0 > /proc/\(getpid())/fd/\(pathFd)"])
        try store.releaseExecFifo(id: "f", initProcess: try Pidfd.open(viaProc), milliseconds: 5000)
        #expect(!store.hasExecFifo(id: "f"))
        #expect(StateTestSupport.reap(viaProc) == 0)
        // Second start: the fifo is gone.
        #expect(throws: RuntimeError.self) { try store.releaseExecFifo(id: "f", initProcess: try Pidfd.open(getpid()), milliseconds: 100) }
        // An init that died before start: start fails instead of hanging.
        try store.makeExecFifo(id: "f")
        let dead = StateTestSupport.spawn(["/bin/true"])
        let handle = try Pidfd.open(dead)
        let e = #expect(throws: RuntimeError.self) { try store.releaseExecFifo(id: "f", initProcess: handle, milliseconds: 5000) }
        #expect(e?.message.contains("exited before start") == true)
        StateTestSupport.reap(dead)
    }
}
