extension OCISpec {
    /// What `silo spec` writes: the shape of `runc spec` (runc 1.1 libcontainer/specconv
    /// Example and ToRootless), so that tools and people used to runc find what they expect.
    /// Differences from runc 1.1.5: ociVersion is silo's, hostname is "silo", and the
    /// capabilities carry no ambient set (Debian's runc 1.1.5 writes one; upstream runc dropped
    /// it, since ambient capabilities survive exec of any program, not only of setcap ones).
    ///
    /// With `rootless`, as `runc spec --rootless`: a user namespace mapping container root to
    /// `hostUID`/`hostGID` (the CLI passes geteuid()/getegid(), which this module cannot call),
    /// no network namespace (an unprivileged user cannot give it a link), /sys bound from the
    /// host instead of a new sysfs, no uid=/gid= mount options, no cgroup resources.
    public static func defaultConfig(rootless: Bool, hostUID: UInt32 = 0, hostGID: UInt32 = 0) -> OCISpec {
        var s = OCISpec()
        s.ociVersion = OCISpec.version
        var p = Process()
        p.terminal = true
        p.args = ["sh"]
        p.env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"]
        p.cwd = "/"
        let caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        var c = Capabilities()
        c.bounding = caps
        c.effective = caps
        c.permitted = caps
        p.capabilities = c
        p.rlimits = [Rlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)]
        p.noNewPrivileges = true
        s.process = p
        s.root = Root(path: "rootfs", readonly: true)
        s.hostname = "silo"
        s.mounts = [
            Mount(destination: "/proc", type: "proc", source: "proc"),
            Mount(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            Mount(destination: "/dev/pts", type: "devpts", source: "devpts",
                  options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            Mount(destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
            Mount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
            Mount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]),
            Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"]),
        ]
        var l = Linux()
        var r = Resources()
        r.devices = [DeviceRule(allow: false, access: "rwm")]
        l.resources = r
        // runc adds "cgroup" only on a pure cgroup v2 host; this module cannot look, and on the
        // hybrid hosts silo targets runc leaves it out, so silo does too.
        l.namespaces = [Namespace(.pid), Namespace(.network), Namespace(.ipc), Namespace(.uts), Namespace(.mount)]
        l.maskedPaths = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                         "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"]
        l.readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
        s.linux = l
        if rootless { s.makeRootless(hostUID: hostUID, hostGID: hostGID) }
        return s
    }

    /// runc's ToRootless.
    mutating func makeRootless(hostUID: UInt32, hostGID: UInt32) {
        var l = linux ?? Linux()
        l.namespaces.removeAll { $0.type == .network || $0.type == .user }
        l.namespaces.append(Namespace(.user))
        l.uidMappings = [IDMapping(containerID: 0, hostID: hostUID, size: 1)]
        l.gidMappings = [IDMapping(containerID: 0, hostID: hostGID, size: 1)]
        l.resources = nil
        linux = l
        mounts = mounts.map { m in
            if m.destination == "/sys" {
                return Mount(destination: "/sys", type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"])
            }
            var m = m
            m.options.removeAll { $0.hasPrefix("uid=") || $0.hasPrefix("gid=") }
            return m
        }
    }
}
