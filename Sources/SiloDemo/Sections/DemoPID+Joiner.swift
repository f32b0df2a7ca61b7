#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// The third way into a namespace, beside clone (the container) and unshare (the nested one):
/// setns, as nsenter does. A child of the demo joins the container's PID namespace and forks;
/// the fork is a member like any other (its parent is outside, so PID 1's `ps` shows PPID 0).
struct DemoJoiner {
    /// The child that called setns, and its fork inside the namespace (host PIDs).
    let outer: pid_t
    let inner: pid_t

    static func start(into pid: pid_t) -> DemoJoiner? {
        guard let (r, w) = try? PipePair.make("joiner") else { return nil }
        let outer = fork()
        if outer < 0 {
            Glibc.close(r)
            Glibc.close(w)
            return nil
        }
        if outer == 0 {
            Glibc.close(r)
            let fd = open("/proc/\(pid)/ns/pid", O_RDONLY | O_CLOEXEC)
            guard fd >= 0, (try? NamespaceFile.enter(fd, .pid, name: "pid")) != nil else { Exit.now(1) }
            let inner = fork()
            if inner == 0 {
                Glibc.close(w)
                // Until the demo ends it; never longer than a minute.
                let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("60"), nil]
                _ = execv("/bin/sleep", argv)
                Glibc.sleep(60)
                Exit.now(0)
            }
            var bytes: [UInt8] = []
            bytes.appendLE(UInt32(bitPattern: inner))
            try? FileIO.writeAll(fd: w, bytes)
            Glibc.close(w)
            _ = ProcessWait.status(of: inner)
            Exit.now(0)
        }
        Glibc.close(w)
        let bytes = (try? FileIO.readAll(fd: r)) ?? []
        Glibc.close(r)
        guard bytes.count == 4 else {
            _ = ProcessWait.status(of: outer)
            return nil
        }
        let inner = Int32(bitPattern: bytes.loadLE(UInt32.self, at: 0))
        guard inner > 0 else {
            _ = ProcessWait.status(of: outer)
            return nil
        }
        // Until it has exec'd, its command is still silo's.
        for _ in 0..<200 where ProcFS.comm(inner) != "sleep" { usleep(5000) }
        return DemoJoiner(outer: outer, inner: inner)
    }

    /// Kills the fork (its parent, still ours, reaps it) and reaps the parent.
    func end() {
        // While `outer` is unreaped its PID is ours, and `inner`, its child, cannot be reused.
        if ProcFS.children(of: outer).contains(inner) { Glibc.kill(inner, SIGKILL) }
        _ = ProcessWait.status(of: outer)
    }
}
