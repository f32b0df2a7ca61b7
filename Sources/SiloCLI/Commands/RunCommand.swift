#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// `silo run`: the options, as runc, podman and bubblewrap users know them.
public enum RunCommand {
    static func run(_ args: [String], root: String? = nil) throws(CommandFailure) -> Int32 {
        let parsed: RunConfig?
        do { parsed = try parse(args, environment: ProcessEnvironment.value) } catch { throw CommandFailure(error) }
        guard let config = parsed else {
            Output.out(parser.help(usage: usage, summary: summary))
            return 0
        }
        if config.detach != nil { return try detached(config, root: root) }
        launch(config, exit: { exit($0) })
    }

    /// Starts the container in this process and ends the process with its status: how `silo run`
    /// and each `silo demo` section (in a forked child, with `Exit.now`) start one.
    static func launch(_ config: RunConfig, exit: (Int32) -> Never) -> Never {
        let launcher = Launcher(config, childMemory: .shared)
        do throws(RuntimeError) {
            var prepared = try launcher.prepare()
            for w in prepared.warnings { Output.warning(w) }
            let status = try launcher.run(&prepared)
            exit(report(prepared.resources, status: status))
        } catch {
            Output.error("silo: \(message(error, config))")
            exit(ExitStatus.of(error))
        }
    }

    /// What the container's cgroup counted, on stderr; an OOM kill is exit 137 whatever the
    /// container's first process made of it (the kernel's count, not a guess from the signal).
    static func report(_ r: ResourceReport?, status: Int32) -> Int32 {
        guard let r else { return status }
        for w in r.warnings { Output.warning(w) }
        if r.forksRefused > 0 {
            Output.error("silo: note: the pids limit (\(r.pidsLimit.map(String.init) ?? "max")) refused \(r.forksRefused) fork\(r.forksRefused == 1 ? "" : "s")")
        }
        guard r.outOfMemory else { return status }
        let limit = r.memoryLimit.map { " (limit \(mebibytes($0)))" } ?? " (the caller's cgroup's limit)"
        Output.error("silo: container killed: out of memory\(limit)")
        return 137
    }

    static func mebibytes(_ n: UInt64) -> String {
        n % (1 << 20) == 0 ? "\(n >> 20) MiB" : "\(n) bytes"
    }

    public static let parser = ArgumentParser(command: "silo run", options: [
        .init(["--rootfs"], value: "DIR", help: "Root file system (default \(RunConfig.defaultRootfs))"),
        .init(["--hostname"], value: "NAME", help: "Hostname (default: a random 12-hex id)"),
        .init(["--env", "-e"], value: "K=V", help: "Set an environment variable (K alone: the host's value)"),
        .init(["--env-file"], value: "FILE", help: "Read K=V lines from a file"),
        .init(["--workdir", "-w"], value: "DIR", help: "Working directory inside the container"),
        .init(["--user", "-u"], value: "UID[:GID]", help: "User (number or name from the rootfs's /etc/passwd)"),
        .init(["--volume", "-v"], value: "SRC:DST[:ro]", help: "Bind-mount a host path"),
        .init(["--tmpfs"], value: "PATH[:OPTS]", help: "Mount a tmpfs (default size=256m, mode=1777)"),
        .init(["--read-only"], help: "Make the rootfs read-only (no writable layer)"),
        .init(["--rootfs-size"], value: "SIZE", help: "Size of the writable layer, N[k|m|g] (default 1g)"),
        .init(["--rootfs-rw"], help: "Write into the base rootfs itself (it must be private to root)"),
        .init(["--uid-map"], value: "C:H:N", help: "uid map line (repeatable; default: a free 65536-id host range)"),
        .init(["--gid-map"], value: "C:H:N", help: "gid map line (repeatable)"),
        .init(["--init"], help: "Run a small reaping init as PID 1 that forwards signals"),
        .init(["--tty", "-t"], help: "Give the container a terminal of its own (a pty of its devpts), relayed to silo's"),
        .init(["--interactive", "-i"], help: "Keep stdin open (relayed with -t; without -i/-t a terminal on stdin is not read)"),
        .init(["--time-offset"], value: "SECS", help: "Offset CLOCK_MONOTONIC and CLOCK_BOOTTIME (time namespace)"),
        .init(["--network", "--net"], value: "MODE", help: "none (default: lo only), netns:NAME, bridge[:NAME]"),
        .init(["--cap-add"], value: "CAP", help: "Add a capability (NET_ADMIN, cap_net_admin, ALL)"),
        .init(["--cap-drop"], value: "CAP", help: "Drop a capability"),
        .init(["--seccomp"], value: "PROFILE", help: "Seccomp profile JSON, or `unconfined`"),
        .init(["--no-new-privileges"], help: "Set no_new_privs (default true; =false to clear)"),
        .init(["--security-opt"], value: "OPT", help: "seccomp=PROFILE, no-new-privileges[=BOOL]"),
        .init(["--ulimit"], value: "NAME=SOFT[:HARD]", help: "Set an rlimit (nofile, nproc, core, ...)"),
        .init(["--memory", "-m"], value: "SIZE", help: "Memory limit, e.g. 64m, 1g (default: the caller's cgroup's)"),
        .init(["--memory-swap"], value: "SIZE", help: "Memory plus swap limit (-1: unlimited swap)"),
        .init(["--memory-reservation"], value: "SIZE", help: "Memory soft limit"),
        .init(["--pids-limit"], value: "N", help: "Most tasks at once (default \(CgroupLimits.defaultPidsLimit); 0 or -1: unlimited)"),
        .init(["--cpus"], value: "N", help: "CPU quota in CPUs, e.g. 0.5"),
        .init(["--cpu-shares"], value: "N", help: "Relative CPU weight, 2...262144 (v1 shares)"),
        .init(["--cpu-weight"], value: "N", help: "Relative CPU weight, 1...10000 (v2 weight)"),
        .init(["--cpuset-cpus"], value: "LIST", help: "CPUs allowed, e.g. 0-1,3"),
        .init(["--cpuset-mems"], value: "LIST", help: "Memory nodes allowed"),
        .init(["--blkio-weight"], value: "N", help: "Relative block I/O weight, 10...1000"),
        .init(["--device-read-bps"], value: "DEV:RATE", help: "Read rate limit of a device, e.g. /dev/sda:1mb"),
        .init(["--device-write-bps"], value: "DEV:RATE", help: "Write rate limit of a device"),
        .init(["--oom-score-adj"], value: "N", help: "The OOM killer's score adjustment, -1000...1000"),
        .init(["--detach", "-d"], help: "Run in the background under a monitor; print the container's id (docs/containers.md); with -t, silo attach ID reaches its terminal"),
        .init(["--name"], value: "NAME", help: "A name for the detached container (unique in the state root)"),
        .init(["--rm"], help: "With -d: remove the container's state when it exits"),
        .init(["--log-max"], value: "SIZE", help: "With -d: size of the output log before it rotates, N[k|m|g] (default 1m)"),
        .init(["--share"], value: "KIND", help: "Stay in the host's namespace of KIND: uts, ipc, pid, net, cgroup, time (to see what a namespace isolates; loosens isolation)"),
    ])

    public static let usage = "silo run [OPTIONS] [--] COMMAND [ARG...]"
    public static let summary = "Run a command in new namespaces, pivoted into a root file system."

    /// nil when the user asked for --help.
    public static func parse(_ args: [String], environment: (String) -> String? = { _ in nil }) throws(RuntimeError) -> RunConfig? {
        let r = try parser.parse(args)
        if r.has("--help") { return nil }
        guard !r.positionals.isEmpty else { throw RuntimeError(.usage, "run: no command given (usage: \(usage))") }
        var c = RunConfig(argv: r.positionals)
        if let rootfs = r.last("--rootfs") ?? environment("SILO_ROOTFS") { c.rootfs = rootfs }
        c.hostname = r.last("--hostname")
        if let h = c.hostname, h.isEmpty || h.utf8.count > 64 {
            throw RuntimeError(.usage, "hostname `\(h)`: must be 1 to 64 bytes")
        }
        c.env = r.all("--env")
        c.envFiles = r.all("--env-file")
        c.workdir = r.last("--workdir")
        c.user = r.last("--user")
        for v in r.all("--volume") { c.volumes.append(try volume(v)) }
        c.tmpfs = r.all("--tmpfs")
        c.readOnly = r.flag("--read-only")
        c.rootfsReadWrite = r.flag("--rootfs-rw")
        if let size = r.last("--rootfs-size") {
            let digits = size.last.map { "kKmMgG".contains($0) } == true ? size.dropLast() : Substring(size)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), UInt64(digits).map({ $0 > 0 }) == true else {
                throw RuntimeError(.usage, "rootfs-size `\(size)`: expected a size such as 512m or 2g (units k, m, g)")
            }
            if c.readOnly || c.rootfsReadWrite {
                throw RuntimeError(.usage, "rootfs-size: --read-only and --rootfs-rw have no writable layer to size")
            }
            c.rootfsSize = size
        }
        if c.readOnly && c.rootfsReadWrite { throw RuntimeError(.usage, "run: --read-only and --rootfs-rw contradict each other") }
        for m in r.all("--uid-map") { c.uidMaps.append(try IDMapping(parsing: m)) }
        for m in r.all("--gid-map") { c.gidMaps.append(try IDMapping(parsing: m, option: "--gid-map")) }
        c.useInit = r.flag("--init")
        c.tty = r.flag("--tty")
        c.interactive = r.flag("--interactive")
        if let t = r.last("--time-offset") {
            guard let s = Int64(t) else { throw RuntimeError(.usage, "time offset `\(t)`: expected whole seconds") }
            c.timeOffset = (s, s)
        }
        if let n = r.last("--network") { c.network = try network(n) }
        c.capAdd = r.all("--cap-add")
        c.capDrop = r.all("--cap-drop")
        if let s = r.last("--seccomp") { c.seccomp = s == "unconfined" ? .unconfined : .profile(path: s) }
        if r.has("--no-new-privileges") { c.noNewPrivileges = r.flag("--no-new-privileges") }
        for o in r.all("--security-opt") { try securityOpt(o, into: &c) }
        c.ulimits = r.all("--ulimit")
        for k in r.all("--share") {
            guard let kind = NamespaceKind(rawValue: k) else {
                throw RuntimeError(.usage, "--share `\(k)`: expected one of cgroup, ipc, net, pid, time, uts")
            }
            if let why = SharePlan.refusedForRun(kind) { throw RuntimeError(.usage, "--share \(k): \(why)") }
            c.share.insert(kind)
        }
        try resources(r, into: &c)
        try detachOptions(r, into: &c)
        return c
    }

    /// `--memory 64m`, `--pids-limit 0`, ...: parsed and checked by the cgroup layer, in the
    /// order of CgroupLimits.optionNames (a later value of an option wins, as in docker).
    static func resources(_ r: ArgumentParser.Result, into c: inout RunConfig) throws(RuntimeError) {
        var limits = CgroupLimits()
        do throws(CgroupError) {
            for n in CgroupLimits.optionNames {
                for value in r.all("--" + n) {
                    try limits.set(n, value)
                    c.resourceOptions.append(.init(n, value))
                }
            }
            try limits.validate()
        } catch {
            throw RuntimeError(.usage, error.message)
        }
        c.limits = limits
    }

    /// `-v SRC:DST[:ro|rw]`.
    static func volume(_ v: String) throws(RuntimeError) -> RunConfig.Volume {
        let p = v.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard p.count == 2 || p.count == 3, !p[0].isEmpty, !p[1].isEmpty else {
            throw RuntimeError(.usage, "volume `\(v)`: expected SRC:DST[:ro|rw]")
        }
        let mode = p.count == 3 ? p[2] : "rw"
        guard mode == "ro" || mode == "rw" else { throw RuntimeError(.usage, "volume `\(v)`: mode must be ro or rw") }
        return .init(source: p[0], target: p[1], readOnly: mode == "ro")
    }

    /// `--network none|netns:NAME|bridge[:NAME]`.
    static func network(_ n: String) throws(RuntimeError) -> RunConfig.Network {
        if n == "none" { return .none }
        if n.hasPrefix("netns:"), n.count > 6 { return .netns(String(n.dropFirst(6))) }
        if n == "bridge" { return .bridge(Bridge.defaultName) }
        if n.hasPrefix("bridge:"), n.count > 7 { return .bridge(String(n.dropFirst(7))) }
        throw RuntimeError(.usage, "network `\(n)`: expected none, netns:NAME or bridge[:NAME]")
    }

    /// Docker's `--security-opt seccomp=PROFILE` and `no-new-privileges[=BOOL]`.
    static func securityOpt(_ o: String, into c: inout RunConfig) throws(RuntimeError) {
        if o.hasPrefix("seccomp=") || o.hasPrefix("seccomp:") {
            let v = String(o.dropFirst(8))
            c.seccomp = v == "unconfined" ? .unconfined : .profile(path: v)
        } else if o == "no-new-privileges" || o == "no-new-privileges=true" || o == "no-new-privileges:true" {
            c.noNewPrivileges = true
        } else if o == "no-new-privileges=false" || o == "no-new-privileges:false" {
            c.noNewPrivileges = false
        } else {
            throw RuntimeError(.usage, "security-opt `\(o)`: expected seccomp=PROFILE or no-new-privileges[=BOOL]")
        }
    }

    /// The error's line, with how to make the default rootfs when that is what is missing (not
    /// a volume's source, nor a rootfs the user named), or where a rootless user's comes from
    /// when the default one is root's (/var/lib/silo is 0700).
    static func message(_ error: RuntimeError, _ config: RunConfig) -> String {
        if let cause = error.cause, cause.errno == EACCES, config.rootfs == RunConfig.defaultRootfs, cause.object == config.rootfs {
            return error.message + " (it is root's: rootless, give --rootfs a copy of your own, docs/rootless.md)"
        }
        guard let cause = error.cause, cause.call == "realpath", cause.errno == ENOENT,
              config.rootfs == RunConfig.defaultRootfs, cause.object == config.rootfs else { return error.message }
        return error.message + " (make it with rootfs-scripts/busybox.sh)"
    }
}
