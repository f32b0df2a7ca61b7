@testable import SiloKit
import SiloSys

/// A fake kernel: records every call in order and fails the Nth call that matches.
final class RecordingSyscalls: Syscalls, @unchecked Sendable {
    enum Call: Equatable {
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
        case setresgid(UInt32)
        case setresuid(UInt32)
        case setgroups([UInt32])
        case unshare(CloneFlags)
        case writeFile(String, String)
        case loopbackUp
        case setsid
        case setrlimit(Int32, UInt64, UInt64)
        case dropBounding(Int32)
        case keepCaps(Bool)
        case clearAmbient
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
        case symlinkAt(String, String)
        case fchdir(Int32)
        case close(Int32)
    }

    var calls: [Call] = []
    var existing: [String: FileKind] = [:]
    var cwd = "/"
    var cwdOverride: String?
    /// When set, getcwd fails with this errno (glibc's answer for an "(unreachable)" cwd).
    var cwdErrno: Int32?
    /// (matcher, errno): the first matching call fails with errno, once.
    var failures: [(match: (Call) -> Bool, errno: Int32)] = []
    /// Paths whose execve fails, with errno; any other path fails with ENOENT.
    var execErrors: [String: Int32] = [:]
    /// What peerHasClosed answers: silo died before the death signal was armed.
    var parentGone = false

    /// fds handed out by the fake: the overlay's root is 100, every other one counts up from 200.
    var nextFD: Int32 = 200
    private func fd() -> Int32 {
        nextFD += 1
        return nextFD
    }

    /// The fd the fake returned right after `call` (the next fd-returning call's result).
    func fdOf(_ call: Call) -> Int32 {
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

    private func record(_ c: Call, _ name: String, _ object: String = "") throws {
        calls.append(c)
        if let i = failures.firstIndex(where: { $0.match(c) }) {
            let e = failures.remove(at: i).errno
            throw SyscallError(name, errno: e, object: object)
        }
    }

    func mount(source: String?, target: String, type: String?, flags: MountFlags, data: String?) throws {
        try record(.mount(source, target, type, flags, data), "mount", target)
    }
    func umount(_ target: String, detach: Bool) throws { try record(.umount(target, detach), "umount", target) }
    func moveMount(fd: Int32, to target: String) throws { try record(.moveMount(fd, target), "move_mount", target) }
    func mountSetattr(_ path: String, recursive: Bool, set: MountAttr, clear: MountAttr) throws {
        try record(.mountSetattr(path, recursive, set), "mount_setattr", path)
    }
    func overlayRoot(lower: Int32, upperOptions: String) throws -> Int32 {
        try record(.overlayRoot(lower: lower, upperOptions: upperOptions), "fsmount", "overlay")
        return 100
    }
    /// Paths in `existing` resolve to their kind; others are made as asked, or are missing.
    func resolveInRoot(_ root: Int32, _ path: String, create: Creation) throws -> ResolvedPath? {
        try record(.resolve(path, create), "open", path)
        let f = fd()
        if let kind = existing[path] { return ResolvedPath(fd: f, kind: kind) }
        switch create {
        case .none: return nil
        case .file: return ResolvedPath(fd: f, kind: .regular)
        case .directory: return ResolvedPath(fd: f, kind: .directory)
        }
    }
    func moveMount(fd: Int32, onto target: Int32, name: String) throws { try record(.moveOnto(fd, name), "move_mount", name) }
    func freshMount(_ type: String, options: String?, attributes: MountAttr) throws -> Int32 {
        try record(.fresh(type, options, attributes), "fsmount", type)
        return fd()
    }
    func cloneTree(_ dir: Int32, _ path: String, recursive: Bool) throws -> Int32 {
        try record(.cloneTree(dir, path, recursive), "open_tree", path)
        return fd()
    }
    func mountSetattr(fd: Int32, recursive: Bool, set: MountAttr) throws { try record(.setattrFD(fd, recursive, set), "mount_setattr") }
    func symlink(_ target: String, in dir: Int32, name: String) throws { try record(.symlinkAt(target, name), "symlink", name) }
    func fchdir(_ fd: Int32) throws { try record(.fchdir(fd), "fchdir") }
    func close(_ fd: Int32) { calls.append(.close(fd)) }
    func mkdir(_ path: String, mode: UInt32) throws {
        try record(.mkdir(path), "mkdir", path)
        existing[path] = .directory
    }
    func createFile(_ path: String) throws { try record(.createFile(path), "create", path) }
    func fileKind(_ path: String) -> FileKind? { existing[path] }
    func symlink(_ target: String, at path: String) throws { try record(.symlink(target, path), "symlink", path) }
    func chdir(_ path: String) throws {
        try record(.chdir(path), "chdir", path)
        cwd = path == "." ? cwd : path
    }
    func getcwd() throws -> String {
        if let e = cwdErrno { throw SyscallError("getcwd", errno: e) }
        return cwdOverride ?? cwd
    }
    func pivotRoot(newRoot: String, putOld: String) throws { try record(.pivotRoot(newRoot, putOld), "pivot_root", newRoot) }
    func sethostname(_ name: String) throws { try record(.sethostname(name), "sethostname", name) }
    func setresgid(_ gid: UInt32) throws { try record(.setresgid(gid), "setresgid") }
    func setresuid(_ uid: UInt32) throws { try record(.setresuid(uid), "setresuid") }
    func setgroups(_ groups: [UInt32]) throws { try record(.setgroups(groups), "setgroups") }
    func unshare(_ namespaces: CloneFlags) throws { try record(.unshare(namespaces), "unshare") }
    func writeFile(_ path: String, _ contents: String) throws { try record(.writeFile(path, contents), "write", path) }
    func setLoopbackUp() throws { try record(.loopbackUp, "SIOCSIFFLAGS", "lo") }
    func setsid() throws { try record(.setsid, "setsid") }
    func setrlimit(resource: Int32, soft: UInt64, hard: UInt64) throws { try record(.setrlimit(resource, soft, hard), "setrlimit") }
    func dropBoundingCapability(_ cap: Int32) throws { try record(.dropBounding(cap), "prctl") }
    func setKeepCaps(_ on: Bool) throws { try record(.keepCaps(on), "prctl") }
    func clearAmbientCapabilities() throws { try record(.clearAmbient, "prctl") }
    func capset(effective: UInt64, permitted: UInt64, inheritable: UInt64) throws {
        try record(.capset(effective, permitted, inheritable), "capset")
    }
    func setDumpable(_ on: Bool) throws { try record(.dumpable(on), "prctl") }
    func setNoNewPrivs() throws { try record(.noNewPrivs, "prctl") }
    func setParentDeathSignal(_ signal: Int32) throws { try record(.pdeathsig(signal), "prctl") }
    func peerHasClosed(_ fd: Int32) -> Bool {
        calls.append(.peerCheck(fd))
        return parentGone
    }
    func resetSignals(ignored: UInt64) throws { try record(.resetSignals(ignored: ignored), "sigprocmask") }
    func closeOnExec(from first: Int32) throws { try record(.closeOnExec(first), "close_range") }
    func loadSeccomp(filter: [UInt8]) throws { try record(.seccomp(filter.count), "seccomp") }
    func execve(_ path: String, _ argv: [String], _ envp: [String]) -> SyscallError {
        calls.append(.execve(path))
        return SyscallError("exec", errno: execErrors[path] ?? 2, object: path)
    }
}

/// The fd-based mount calls as no-ops, for fakes that look only at other parts of the init.
extension Syscalls {
    func overlayRoot(lower: Int32, upperOptions: String) throws -> Int32 { 100 }
    func resolveInRoot(_ root: Int32, _ path: String, create: Creation) throws -> ResolvedPath? { ResolvedPath(fd: 3, kind: .directory) }
    func moveMount(fd: Int32, onto target: Int32, name: String) throws {}
    func freshMount(_ type: String, options: String?, attributes: MountAttr) throws -> Int32 { 3 }
    func cloneTree(_ dir: Int32, _ path: String, recursive: Bool) throws -> Int32 { 3 }
    func mountSetattr(fd: Int32, recursive: Bool, set: MountAttr) throws {}
    func symlink(_ target: String, in dir: Int32, name: String) throws {}
    func fchdir(_ fd: Int32) throws {}
    func close(_ fd: Int32) {}
}
