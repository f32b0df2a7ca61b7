#if canImport(Glibc)
import Glibc
#endif
import CSiloShim
import CCap

/// The real kernel. Each method captures errno on the line after the call.
public struct LinuxSyscalls: Syscalls {
    public init() {}

    public func mount(source: String?, target: String, type: String?, flags: MountFlags, data: String?) throws(SyscallError) {
        let r = Glibc.mount(source ?? "none", target, type, flags.rawValue, data)
        if r != 0 { throw SyscallError.last("mount", mountObject(source: source, target: target, type: type)) }
    }

    public func umount(_ target: String, detach: Bool) throws(SyscallError) {
        if umount2(target, detach ? Int32(MNT_DETACH) : 0) != 0 { throw SyscallError.last("umount", target) }
    }

    public func moveMount(fd: Int32, to target: String) throws(SyscallError) {
        if silo_move_mount(fd, "", AT_FDCWD, target, MoveMountFlags.fEmptyPath) != 0 {
            throw SyscallError.last("move_mount", target)
        }
    }

    public func mountSetattr(_ path: String, recursive: Bool, set: MountAttr, clear: MountAttr) throws(SyscallError) {
        let flags = recursive ? AtFlags.recursive : 0
        if silo_mount_setattr(AT_FDCWD, path, flags, set.rawValue, clear.rawValue, 0, 0) != 0 {
            throw SyscallError.last("mount_setattr", path)
        }
    }

    public func mkdir(_ path: String, mode: UInt32) throws(SyscallError) {
        if Glibc.mkdir(path, mode) != 0 && Glibc.errno != EEXIST { throw SyscallError.last("mkdir", path) }
    }

    public func createFile(_ path: String) throws(SyscallError) {
        let fd = retryingEINTR { open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644) }
        if fd < 0 { throw SyscallError.last("create", path) }
        close(fd)
    }

    public func fileKind(_ path: String) -> FileKind? {
        var st = Glibc.stat()
        if Glibc.lstat(path, &st) != 0 { return nil }
        switch st.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .regular
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    public func symlink(_ target: String, at path: String) throws(SyscallError) {
        if Glibc.symlink(target, path) != 0 && Glibc.errno != EEXIST { throw SyscallError.last("symlink", path) }
    }

    public func chdir(_ path: String) throws(SyscallError) {
        if Glibc.chdir(path) != 0 { throw SyscallError.last("chdir", path) }
    }

    public func getcwd() throws(SyscallError) -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        guard Glibc.getcwd(&buf, buf.count) != nil else { throw SyscallError.last("getcwd") }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func pivotRoot(newRoot: String, putOld: String) throws(SyscallError) {
        if silo_pivot_root(newRoot, putOld) != 0 { throw SyscallError.last("pivot_root", newRoot) }
    }

    public func sethostname(_ name: String) throws(SyscallError) {
        let r = name.withCString { Glibc.sethostname($0, strlen($0)) }
        if r != 0 { throw SyscallError.last("sethostname", name) }
    }

    public func setdomainname(_ name: String) throws(SyscallError) {
        let r = name.withCString { Glibc.setdomainname($0, strlen($0)) }
        if r != 0 { throw SyscallError.last("setdomainname", name) }
    }

    // (uid_t)-1 means "leave unchanged" to setres[ug]id: refused, and each change read back, so
    // that no path can leave the process with ids it did not ask for.
    public func setresgid(_ gid: UInt32) throws(SyscallError) {
        if gid == UInt32.max { throw SyscallError("setresgid", errno: EINVAL, object: "\(gid)") }
        if silo_setresgid(gid, gid, gid) != 0 { throw SyscallError.last("setresgid", "\(gid)") }
        if getgid() != gid || getegid() != gid { throw SyscallError("setresgid", errno: EPERM, object: "\(gid)") }
    }

    public func setresuid(_ uid: UInt32) throws(SyscallError) {
        if uid == UInt32.max { throw SyscallError("setresuid", errno: EINVAL, object: "\(uid)") }
        if silo_setresuid(uid, uid, uid) != 0 { throw SyscallError.last("setresuid", "\(uid)") }
        if getuid() != uid || geteuid() != uid { throw SyscallError("setresuid", errno: EPERM, object: "\(uid)") }
    }

    public func setgroups(_ groups: [UInt32]) throws(SyscallError) {
        let r = groups.withUnsafeBufferPointer { silo_setgroups(groups.count, $0.baseAddress) }
        if r != 0 { throw SyscallError.last("setgroups") }
    }

    public func unshare(_ namespaces: CloneFlags) throws(SyscallError) {
        if silo_unshare(namespaces.rawValue) != 0 { throw SyscallError.last("unshare") }
    }

    public func writeFile(_ path: String, _ contents: String) throws(SyscallError) {
        try FileIO.write(path, contents)
    }

    public func moveSelfToCgroup(tasksFD: Int32) throws(SyscallError) {
        var zero = UInt8(ascii: "0")  // on the stack: this runs in the child (docs/architecture.md)
        if retryingEINTR({ Glibc.write(tasksFD, &zero, 1) }) != 1 { throw SyscallError.last("write", "cgroup tasks (fd \(tasksFD))") }
    }

    /// SIOCSIFFLAGS rather than RTM_NEWLINK: the same change to the link, but with an ifreq on
    /// the stack, where a netlink exchange needs a message and a receive buffer on the heap, and
    /// this runs in the child that shares the parent's memory (docs/architecture.md).
    public func setLoopbackUp() throws(SyscallError) {
        let s = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if s < 0 { throw SyscallError.last("socket(AF_INET)", "lo") }
        defer { close(s) }
        var request = ifreq()
        withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { name in
            name[0] = UInt8(ascii: "l")
            name[1] = UInt8(ascii: "o")
        }
        if silo_ioctl_ptr(s, UInt(SIOCGIFFLAGS), &request) != 0 { throw SyscallError.last("SIOCGIFFLAGS", "lo") }
        request.ifr_ifru.ifru_flags |= Int16(IFF_UP)
        if silo_ioctl_ptr(s, UInt(SIOCSIFFLAGS), &request) != 0 { throw SyscallError.last("SIOCSIFFLAGS", "lo") }
    }

    public func setsid() throws(SyscallError) {
        if Glibc.setsid() < 0 { throw SyscallError.last("setsid") }
    }

    public func newProcessGroup() throws(SyscallError) {
        if Glibc.setpgid(0, 0) != 0 { throw SyscallError.last("setpgid") }
    }

    public func setrlimit(resource: Int32, soft: UInt64, hard: UInt64) throws(SyscallError) {
        var lim = rlimit(rlim_cur: rlim_t(soft), rlim_max: rlim_t(hard))
        if Glibc.setrlimit(__rlimit_resource_t(UInt32(resource)), &lim) != 0 {
            throw SyscallError.last("setrlimit", "\(resource)")
        }
    }

    public func dropBoundingCapability(_ cap: Int32) throws(SyscallError) {
        if silo_prctl(Prctl.capbsetDrop, UInt(cap), 0, 0, 0) != 0 { throw SyscallError.last("prctl(Prctl.capbsetDrop)", "\(cap)") }
    }

    public func setKeepCaps(_ on: Bool) throws(SyscallError) {
        if silo_prctl(Prctl.setKeepCaps, on ? 1 : 0, 0, 0, 0) != 0 { throw SyscallError.last("prctl(Prctl.setKeepCaps)") }
    }

    public func clearAmbientCapabilities() throws(SyscallError) {
        if silo_prctl(Prctl.capAmbient, UInt(Prctl.capAmbientClearAll), 0, 0, 0) != 0 {
            throw SyscallError.last("prctl(Prctl.capAmbientClearAll)")
        }
    }

    public func raiseAmbientCapability(_ cap: Int32) throws(SyscallError) {
        if silo_prctl(Prctl.capAmbient, UInt(Prctl.capAmbientRaise), UInt(cap), 0, 0) != 0 {
            throw SyscallError.last("prctl(PR_CAP_AMBIENT_RAISE)", "capability \(cap)")
        }
    }

    public func capset(effective: UInt64, permitted: UInt64, inheritable: UInt64) throws(SyscallError) {
        var header = __user_cap_header_struct(version: 0x2008_0522, pid: 0)  // _LINUX_CAPABILITY_VERSION_3
        var data = [
            __user_cap_data_struct(effective: UInt32(truncatingIfNeeded: effective),
                                   permitted: UInt32(truncatingIfNeeded: permitted),
                                   inheritable: UInt32(truncatingIfNeeded: inheritable)),
            __user_cap_data_struct(effective: UInt32(truncatingIfNeeded: effective >> 32),
                                   permitted: UInt32(truncatingIfNeeded: permitted >> 32),
                                   inheritable: UInt32(truncatingIfNeeded: inheritable >> 32)),
        ]
        let r = data.withUnsafeMutableBufferPointer { CCap.capset(&header, $0.baseAddress) }
        if r != 0 { throw SyscallError.last("capset") }
    }

    public func setDumpable(_ on: Bool) throws(SyscallError) {
        if silo_prctl(Prctl.setDumpable, on ? 1 : 0, 0, 0, 0) != 0 { throw SyscallError.last("prctl(PR_SET_DUMPABLE)") }
    }

    public func setNoNewPrivs() throws(SyscallError) {
        if silo_prctl(Prctl.setNoNewPrivs, 1, 0, 0, 0) != 0 { throw SyscallError.last("prctl(Prctl.setNoNewPrivs)") }
    }

    public func setParentDeathSignal(_ signal: Int32) throws(SyscallError) {
        if silo_prctl(Prctl.setPdeathsig, UInt(signal), 0, 0, 0) != 0 { throw SyscallError.last("prctl(Prctl.setPdeathsig)") }
    }

    public func peerHasClosed(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) == 0
    }

    public func resetSignals(ignored: UInt64) throws(SyscallError) {
        var rest = ignored
        while rest != 0 {
            let sig = Int32(rest.trailingZeroBitCount) + 1
            rest &= rest - 1
            if sig != SIGKILL && sig != SIGSTOP && silo_signal_default(sig) != 0 {
                throw SyscallError.last("rt_sigaction", "signal \(sig)")
            }
        }
        var empty = sigset_t()
        sigemptyset(&empty)
        if sigprocmask(SIG_SETMASK, &empty, nil) != 0 { throw SyscallError.last("sigprocmask") }
    }

    public func closeOnExec(from first: Int32) throws(SyscallError) {
        if silo_close_range(UInt32(first), UInt32.max, 4 /* CLOSE_RANGE_CLOEXEC */) != 0 {
            throw SyscallError.last("close_range")
        }
    }

    public func loadSeccomp(filter: [UInt8]) throws(SyscallError) {
        let r = filter.withUnsafeBytes { buf -> Int32 in
            guard let base = buf.baseAddress else { return -1 }
            return silo_seccomp_set_filter(0, base, UInt16(buf.count / 8))
        }
        if r != 0 { throw SyscallError.last("seccomp") }
    }

    public func execve(_ path: String, _ argv: [String], _ envp: [String]) -> SyscallError {
        var code: Int32 = 0
        CStringArray.with(argv) { cargv in
            CStringArray.with(envp) { cenvp in
                _ = Glibc.execve(path, cargv, cenvp)
                code = Glibc.errno
            }
        }
        return SyscallError("exec", errno: code, object: path)
    }
}

func mountObject(source: String?, target: String, type: String?) -> String {
    if let type, type != "none" { return "\(type) on \(target)" }
    if let source { return "\(source) on \(target)" }
    return target
}
