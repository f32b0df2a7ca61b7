#if canImport(Glibc)
import Glibc
#endif
import SiloSys

extension RunConfig {
    /// The `silo run` arguments that describe this configuration.
    public var commandLine: [String] {
        var a = ["--rootfs", rootfs]
        if let hostname { a += ["--hostname", hostname] }
        for e in env { a += ["-e", e] }
        for f in envFiles { a += ["--env-file", f] }
        if let workdir { a += ["-w", workdir] }
        if let user { a += ["--user", user] }
        for v in volumes { a += ["-v", "\(v.source):\(v.target):\(v.readOnly ? "ro" : "rw")"] }
        for t in tmpfs { a += ["--tmpfs", t] }
        if readOnly { a.append("--read-only") }
        if rootfsReadWrite { a.append("--rootfs-rw") }
        if let rootfsSize { a += ["--rootfs-size", rootfsSize] }
        for m in uidMaps { a += ["--uid-map", "\(m.container):\(m.host):\(m.size)"] }
        for m in gidMaps { a += ["--gid-map", "\(m.container):\(m.host):\(m.size)"] }
        if useInit { a.append("--init") }
        if tty { a.append("--tty") }
        if interactive { a.append("--interactive") }
        if timeOffset.monotonic != 0 { a += ["--time-offset", String(timeOffset.monotonic)] }
        switch network {
        case .none: break
        case .netns(let n): a += ["--network", "netns:\(n)"]
        case .bridge(let b): a += ["--network", "bridge:\(b)"]
        }
        for c in capAdd { a += ["--cap-add", c] }
        for c in capDrop { a += ["--cap-drop", c] }
        switch seccomp {
        case .default: break
        case .unconfined: a += ["--seccomp", "unconfined"]
        case .profile(let p): a += ["--seccomp", p]
        }
        if !noNewPrivileges { a.append("--no-new-privileges=false") }
        for u in ulimits { a += ["--ulimit", u] }
        for s in share.sorted() { a += ["--share", s.rawValue] }
        for o in resourceOptions { a += ["--\(o.name)", o.value] }
        return a + ["--"] + argv
    }
}
