/// The kernel calls the container's init sequence makes, as a protocol so that unit tests can
/// record the order and inject failures (`FakeKernel` in SiloSysTesting). The real one is
/// `LinuxSyscalls`. Every method throws `SyscallError`, typed, so a caller's closure says so too.
public protocol Syscalls {
    func mount(source: String?, target: String, type: String?, flags: MountFlags, data: String?) throws(SyscallError)
    func umount(_ target: String, detach: Bool) throws(SyscallError)
    /// move_mount(2) of a detached tree (an fd from open_tree) onto `target`.
    func moveMount(fd: Int32, to target: String) throws(SyscallError)
    func mountSetattr(_ path: String, recursive: Bool, set: MountAttr, clear: MountAttr) throws(SyscallError)
    // The fd-based calls that assemble the container's root: every target inside it is
    // resolved with openat2(RESOLVE_IN_ROOT) and mounted on by fd, never by a path string,
    // so a symlink in the rootfs cannot lead a mount or a mkdir out of it (CVE-2021-30465).
    /// The new root as a detached mount: overlayfs over `lower` (a read-only tree), its upper
    /// and work dirs on a fresh tmpfs made with `upperOptions`.
    func overlayRoot(lower: Int32, upperOptions: String) throws(SyscallError) -> Int32
    /// `path` resolved inside `root` (RESOLVE_IN_ROOT, symlinks followed as if `root` were
    /// `/`), missing components made as `create` says; nil when missing and not to be made.
    func resolveInRoot(_ root: Int32, _ path: String, create: Creation) throws(SyscallError) -> ResolvedPath?
    /// move_mount(2) of a detached tree onto an fd (MOVE_MOUNT_T_EMPTY_PATH); `name` is for errors.
    func moveMount(fd: Int32, onto target: Int32, name: String) throws(SyscallError)
    /// A new file system instance as a detached mount (fsopen, fsconfig, fsmount); `options`
    /// is the comma-separated list mount(8) takes.
    func freshMount(_ type: String, options: String?, attributes: MountAttr) throws(SyscallError) -> Int32
    /// open_tree(OPEN_TREE_CLONE) of `path` relative to `dir` (AT_FDCWD: -100; "" for `dir` itself).
    func cloneTree(_ dir: Int32, _ path: String, recursive: Bool) throws(SyscallError) -> Int32
    func mountSetattr(fd: Int32, recursive: Bool, set: MountAttr) throws(SyscallError)
    /// `target` now names what `fd` names, close-on-exec (dup2 + FD_CLOEXEC).
    func duplicate(_ fd: Int32, onto target: Int32) throws(SyscallError)
    func symlink(_ target: String, in dir: Int32, name: String) throws(SyscallError)
    func fchdir(_ fd: Int32) throws(SyscallError)
    func close(_ fd: Int32)
    /// mkdir that accepts an existing directory.
    func mkdir(_ path: String, mode: UInt32) throws(SyscallError)
    /// Creates an empty regular file to bind-mount onto, when none is there.
    func createFile(_ path: String) throws(SyscallError)
    /// What is at `path` (not following a final symlink), or nil when nothing is.
    func fileKind(_ path: String) -> FileKind?
    func symlink(_ target: String, at path: String) throws(SyscallError)
    func chdir(_ path: String) throws(SyscallError)
    func getcwd() throws(SyscallError) -> String
    func pivotRoot(newRoot: String, putOld: String) throws(SyscallError)
    func sethostname(_ name: String) throws(SyscallError)
    func setdomainname(_ name: String) throws(SyscallError)
    func setresgid(_ gid: UInt32) throws(SyscallError)
    func setresuid(_ uid: UInt32) throws(SyscallError)
    func setgroups(_ groups: [UInt32]) throws(SyscallError)
    func unshare(_ namespaces: CloneFlags) throws(SyscallError)
    /// "0" to a v1 cgroup's `tasks` file opened by silo: the calling (single-threaded) process
    /// moves itself, which the kernel does without the global lock a move of another process
    /// takes, and so without its RCU grace period (docs/cgroups.md).
    func moveSelfToCgroup(tasksFD: Int32) throws(SyscallError)
    func writeFile(_ path: String, _ contents: String) throws(SyscallError)
    /// Brings `lo` up in the current network namespace.
    func setLoopbackUp() throws(SyscallError)
    func setsid() throws(SyscallError)
    /// setpgid(0, 0): a process group of its own, in the same session.
    func newProcessGroup() throws(SyscallError)
    func setrlimit(resource: Int32, soft: UInt64, hard: UInt64) throws(SyscallError)
    func dropBoundingCapability(_ cap: Int32) throws(SyscallError)
    func setKeepCaps(_ on: Bool) throws(SyscallError)
    func clearAmbientCapabilities() throws(SyscallError)
    func raiseAmbientCapability(_ cap: Int32) throws(SyscallError)
    func capset(effective: UInt64, permitted: UInt64, inheritable: UInt64) throws(SyscallError)
    func setDumpable(_ on: Bool) throws(SyscallError)
    func setNoNewPrivs() throws(SyscallError)
    func setParentDeathSignal(_ signal: Int32) throws(SyscallError)
    /// Whether the other end of a socket is closed (EOF pending), without blocking or consuming.
    func peerHasClosed(_ fd: Int32) -> Bool
    /// Unblocks every signal and restores the default disposition of the `ignored` ones (bit
    /// n-1 for signal n), so the command starts clean: execve itself resets caught signals,
    /// but keeps ignored ones ignored.
    func resetSignals(ignored: UInt64) throws(SyscallError)
    /// Marks every fd from `first` up close-on-exec.
    func closeOnExec(from first: Int32) throws(SyscallError)
    func loadSeccomp(filter: [UInt8]) throws(SyscallError)
    /// Returns only on failure.
    func execve(_ path: String, _ argv: [String], _ envp: [String]) -> SyscallError
}
