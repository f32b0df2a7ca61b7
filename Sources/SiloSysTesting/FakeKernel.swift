import SiloSys

/// The one fake kernel of the unit tests: records every call in order, fails the calls a test
/// asks to fail, and models files well enough that the init's existence checks run (a fresh
/// proc or sysfs fills its mount point, a tmpfs empties it). A library target beside the
/// protocol, as youki keeps its test double beside its Syscall trait, so every test target
/// shares it and `silo` never links it.
public final class FakeKernel: Syscalls, @unchecked Sendable {
    public enum Call: Equatable, Sendable {
        case mount(String?, String, String?, MountFlags, String?)
        case umount(String, Bool)
        case moveMount(Int32, String)
        case mountSetattr(String, Bool, MountAttr)
        case mkdir(String)
        case createFile(String)
        case symlink(String, String)
        case chdir(String)
        case pivotRoot(String, String)
        case sethostname(String)
        case setdomainname(String)
        case setresgid(UInt32)
        case setresuid(UInt32)
        case setgroups([UInt32])
        case unshare(CloneFlags)
        case writeFile(String, String)
        case moveSelfToCgroup(Int32)
        case loopbackUp
        case setsid
        case newProcessGroup
        case setrlimit(Int32, UInt64, UInt64)
        case dropBounding(Int32)
        case keepCaps(Bool)
        case clearAmbient
        case raiseAmbient(Int32)
        case capset(UInt64, UInt64, UInt64)
        case dumpable(Bool)
        case noNewPrivs
        case pdeathsig(Int32)
        case peerCheck(Int32)
        case resetSignals(ignored: UInt64)
        case closeOnExec(Int32)
        case seccomp(Int)
        case execve(String)
        case overlayRoot(lower: Int32, upperOptions: String)
        case resolve(String, Creation)
        case moveOnto(Int32, String)
        case fresh(String, String?, MountAttr)
        case cloneTree(Int32, String, Bool)
        case setattrFD(Int32, Bool, MountAttr)
        case duplicate(Int32, Int32)
        case symlinkAt(String, String)
        case fchdir(Int32)
        case close(Int32)
    }

    public init() {}

    public var calls: [Call] = []
    public var existing: [String: FileKind] = [:]
    public var cwd = "/"
    public var cwdOverride: String?
    /// When set, getcwd fails with this errno (glibc's answer for an "(unreachable)" cwd).
    public var cwdErrno: Int32?
    /// A call to fail: the (after+1)-th call that `match`es fails with `errno`, once.
    public struct Failure {
        public var match: (Call) -> Bool
        public var errno: Int32
        public var after: Int
        public init(match: @escaping (Call) -> Bool, errno: Int32, after: Int = 0) {
            self.match = match
            self.errno = errno
            self.after = after
        }
    }
    public var failures: [Failure] = []
    /// Paths whose execve fails, with errno; any other path fails with ENOENT.
    public var execErrors: [String: Int32] = [:]
    /// What peerHasClosed answers: silo died before the death signal was armed.
    public var parentGone = false

    /// fds handed out by the fake: the overlay's root is 100, every other one counts up from 200.
    public var nextFD: Int32 = 200
    private func fd() -> Int32 {
        nextFD += 1
        return nextFD
    }

    /// The fd the fake returned right after `call` (the next fd-returning call's result).
    public func fdOf(_ call: Call) -> Int32 {
        var n: Int32 = 200
        for c in calls {
            switch c {
            case .resolve, .fresh, .cloneTree:
                n += 1
                if c == call { return n }
            default: continue
            }
        }
        return -1
    }

    private func record(_ c: Call, _ name: String, _ object: String = "") throws(SyscallError) {
        calls.append(c)
        if let i = failures.firstIndex(where: { $0.match(c) }) {
            if failures[i].after > 0 {
                failures[i].after -= 1
                return
            }
            let e = failures.remove(at: i).errno
            throw SyscallError(name, errno: e, object: object)
        }
    }

    public func mount(source: String?, target: String, type: String?, flags: MountFlags, data: String?) throws(SyscallError) {
        try record(.mount(source, target, type, flags, data), "mount", target)
    }
    public func umount(_ target: String, detach: Bool) throws(SyscallError) { try record(.umount(target, detach), "umount", target) }
    public func moveMount(fd: Int32, to target: String) throws(SyscallError) { try record(.moveMount(fd, target), "move_mount", target) }
    public func mountSetattr(_ path: String, recursive: Bool, set: MountAttr, clear: MountAttr) throws(SyscallError) {
        try record(.mountSetattr(path, recursive, set), "mount_setattr", path)
    }
    public func overlayRoot(lower: Int32, upperOptions: String) throws(SyscallError) -> Int32 {
        try record(.overlayRoot(lower: lower, upperOptions: upperOptions), "fsmount", "overlay")
        return 100
    }
    /// Paths in `existing` resolve to their kind; others are made as asked, or are missing.
    /// What a fresh procfs and sysfs show (the masked and read-only paths among them);
    /// timer_stats (gone since Linux 4.11) and scsi (no SCSI host) are left out on purpose, so their masks must skip.
    public static let procEntries: [String: FileKind] = [
        "acpi": .directory, "asound": .directory, "bus": .directory, "fs": .directory, "irq": .directory,
        "sys": .directory, "kcore": .regular, "keys": .regular, "latency_stats": .regular,
        "timer_list": .regular, "sched_debug": .regular, "interrupts": .regular, "sysrq-trigger": .regular,
    ]
    public static let sysEntries: [String: FileKind] = [
        "firmware": .directory, "devices": .directory, "devices/virtual": .directory, "devices/virtual/powercap": .directory,
    ]
    public var procEntries = FakeKernel.procEntries
    public var sysEntries = FakeKernel.sysEntries
    /// The file system type of each fd freshMount handed out: moving it onto a path fills the path.
    public var freshTypes: [Int32: String] = [:]

    /// Paths in `existing` resolve to their kind; others are made as asked (and then exist), or are missing.
    public func resolveInRoot(_ root: Int32, _ path: String, create: Creation) throws(SyscallError) -> ResolvedPath? {
        try record(.resolve(path, create), "open", path)
        let f = fd()
        if let kind = existing[path] { return ResolvedPath(fd: f, kind: kind) }
        switch create {
        case .none: return nil
        case .file:
            existing[path] = .regular
            return ResolvedPath(fd: f, kind: .regular)
        case .directory:
            existing[path] = .directory
            return ResolvedPath(fd: f, kind: .directory)
        }
    }
    public func moveMount(fd: Int32, onto target: Int32, name: String) throws(SyscallError) {
        try record(.moveOnto(fd, name), "move_mount", name)
        switch freshTypes[fd] {
        case "proc": for (n, k) in procEntries { existing[name + "/" + n] = k }
        case "sysfs": for (n, k) in sysEntries { existing[name + "/" + n] = k }
        case "tmpfs": for k in existing.keys where k.hasPrefix(name + "/") { existing[k] = nil }
        default: break
        }
    }
    public func freshMount(_ type: String, options: String?, attributes: MountAttr) throws(SyscallError) -> Int32 {
        try record(.fresh(type, options, attributes), "fsmount", type)
        let f = fd()
        freshTypes[f] = type
        return f
    }
    public func cloneTree(_ dir: Int32, _ path: String, recursive: Bool) throws(SyscallError) -> Int32 {
        try record(.cloneTree(dir, path, recursive), "open_tree", path)
        return fd()
    }
    public func mountSetattr(fd: Int32, recursive: Bool, set: MountAttr) throws(SyscallError) { try record(.setattrFD(fd, recursive, set), "mount_setattr") }
    public func duplicate(_ fd: Int32, onto target: Int32) throws(SyscallError) { try record(.duplicate(fd, target), "dup2") }
    public func symlink(_ target: String, in dir: Int32, name: String) throws(SyscallError) { try record(.symlinkAt(target, name), "symlink", name) }
    public func fchdir(_ fd: Int32) throws(SyscallError) { try record(.fchdir(fd), "fchdir") }
    public func close(_ fd: Int32) { calls.append(.close(fd)) }
    public func mkdir(_ path: String, mode: UInt32) throws(SyscallError) {
        try record(.mkdir(path), "mkdir", path)
        existing[path] = .directory
    }
    public func createFile(_ path: String) throws(SyscallError) { try record(.createFile(path), "create", path) }
    public func fileKind(_ path: String) -> FileKind? { existing[path] }
    public func symlink(_ target: String, at path: String) throws(SyscallError) { try record(.symlink(target, path), "symlink", path) }
    public func chdir(_ path: String) throws(SyscallError) {
        try record(.chdir(path), "chdir", path)
        cwd = path == "." ? cwd : path
    }
    public func getcwd() throws(SyscallError) -> String {
        if let e = cwdErrno { throw SyscallError("getcwd", errno: e) }
        return cwdOverride ?? cwd
    }
    public func pivotRoot(newRoot: String, putOld: String) throws(SyscallError) { try record(.pivotRoot(newRoot, putOld), "pivot_root", newRoot) }
    public func sethostname(_ name: String) throws(SyscallError) { try record(.sethostname(name), "sethostname", name) }
    public func setdomainname(_ name: String) throws(SyscallError) { try record(.setdomainname(name), "setdomainname", name) }
    public func setresgid(_ gid: UInt32) throws(SyscallError) { try record(.setresgid(gid), "setresgid") }
    public func setresuid(_ uid: UInt32) throws(SyscallError) { try record(.setresuid(uid), "setresuid") }
    public func setgroups(_ groups: [UInt32]) throws(SyscallError) { try record(.setgroups(groups), "setgroups") }
    public func unshare(_ namespaces: CloneFlags) throws(SyscallError) { try record(.unshare(namespaces), "unshare") }
    public func writeFile(_ path: String, _ contents: String) throws(SyscallError) { try record(.writeFile(path, contents), "write", path) }
    public func moveSelfToCgroup(tasksFD: Int32) throws(SyscallError) { try record(.moveSelfToCgroup(tasksFD), "write", "cgroup tasks") }
    public func setLoopbackUp() throws(SyscallError) { try record(.loopbackUp, "SIOCSIFFLAGS", "lo") }
    public func setsid() throws(SyscallError) { try record(.setsid, "setsid") }
    public func newProcessGroup() throws(SyscallError) { try record(.newProcessGroup, "setpgid") }
    public func setrlimit(resource: Int32, soft: UInt64, hard: UInt64) throws(SyscallError) { try record(.setrlimit(resource, soft, hard), "setrlimit") }
    public func dropBoundingCapability(_ cap: Int32) throws(SyscallError) { try record(.dropBounding(cap), "prctl") }
    public func setKeepCaps(_ on: Bool) throws(SyscallError) { try record(.keepCaps(on), "prctl") }
    public func clearAmbientCapabilities() throws(SyscallError) { try record(.clearAmbient, "prctl") }
    public func raiseAmbientCapability(_ cap: Int32) throws(SyscallError) { try record(.raiseAmbient(cap), "prctl") }
    public func capset(effective: UInt64, permitted: UInt64, inheritable: UInt64) throws(SyscallError) {
        try record(.capset(effective, permitted, inheritable), "capset")
    }
    public func setDumpable(_ on: Bool) throws(SyscallError) { try record(.dumpable(on), "prctl") }
    public func setNoNewPrivs() throws(SyscallError) { try record(.noNewPrivs, "prctl") }
    public func setParentDeathSignal(_ signal: Int32) throws(SyscallError) { try record(.pdeathsig(signal), "prctl") }
    public func peerHasClosed(_ fd: Int32) -> Bool {
        calls.append(.peerCheck(fd))
        return parentGone
    }
    public func resetSignals(ignored: UInt64) throws(SyscallError) { try record(.resetSignals(ignored: ignored), "sigprocmask") }
    public func closeOnExec(from first: Int32) throws(SyscallError) { try record(.closeOnExec(first), "close_range") }
    public func loadSeccomp(filter: [UInt8]) throws(SyscallError) { try record(.seccomp(filter.count), "seccomp") }
    public func execve(_ path: String, _ argv: [String], _ envp: [String]) -> SyscallError {
        calls.append(.execve(path))
        return SyscallError("exec", errno: execErrors[path] ?? Errno.noSuchFile, object: path)
    }
}
