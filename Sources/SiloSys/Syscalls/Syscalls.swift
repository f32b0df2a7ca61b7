/// The kernel calls the container's init sequence makes, as a protocol so that unit tests can
/// record the order and inject failures (`RecordingSyscalls` in the tests). The real one is
/// `LinuxSyscalls`. Every method throws `SyscallError`.
public protocol Syscalls {
    func mount(source: String?, target: String, type: String?, flags: MountFlags, data: String?) throws
    func umount(_ target: String, detach: Bool) throws
    /// move_mount(2) of a detached tree (an fd from open_tree) onto `target`.
    func moveMount(fd: Int32, to target: String) throws
    func mountSetattr(_ path: String, recursive: Bool, set: MountAttr, clear: MountAttr) throws
    // The fd-based calls that assemble the container's root: every target inside it is
    // resolved with openat2(RESOLVE_IN_ROOT) and mounted on by fd, never by a path string,
    // so a symlink in the rootfs cannot lead a mount or a mkdir out of it (CVE-2021-30465).
    /// The new root as a detached mount: overlayfs over `lower` (a read-only tree), its upper
    /// and work dirs on a fresh tmpfs made with `upperOptions`.
    func overlayRoot(lower: Int32, upperOptions: String) throws -> Int32
    /// `path` resolved inside `root` (RESOLVE_IN_ROOT, symlinks followed as if `root` were
    /// `/`), missing components made as `create` says; nil when missing and not to be made.
    func resolveInRoot(_ root: Int32, _ path: String, create: Creation) throws -> ResolvedPath?
    /// move_mount(2) of a detached tree onto an fd (MOVE_MOUNT_T_EMPTY_PATH); `name` is for errors.
    func moveMount(fd: Int32, onto target: Int32, name: String) throws
    /// A new file system instance as a detached mount (fsopen, fsconfig, fsmount); `options`
    /// is the comma-separated list mount(8) takes.
    func freshMount(_ type: String, options: String?, attributes: MountAttr) throws -> Int32
    /// open_tree(OPEN_TREE_CLONE) of `path` relative to `dir` (AT_FDCWD: -100; "" for `dir` itself).
    func cloneTree(_ dir: Int32, _ path: String, recursive: Bool) throws -> Int32
    func mountSetattr(fd: Int32, recursive: Bool, set: MountAttr) throws
    func symlink(_ target: String, in dir: Int32, name: String) throws
    func fchdir(_ fd: Int32) throws
    func close(_ fd: Int32)
    /// mkdir that accepts an existing directory.
    func mkdir(_ path: String, mode: UInt32) throws
    /// Creates an empty regular file to bind-mount onto, when none is there.
    func createFile(_ path: String) throws
    /// What is at `path` (not following a final symlink), or nil when nothing is.
    func fileKind(_ path: String) -> FileKind?
    func symlink(_ target: String, at path: String) throws
    func chdir(_ path: String) throws
    func getcwd() throws -> String
    func pivotRoot(newRoot: String, putOld: String) throws
    func sethostname(_ name: String) throws
    func setresgid(_ gid: UInt32) throws
    func setresuid(_ uid: UInt32) throws
    func setgroups(_ groups: [UInt32]) throws
    func unshare(_ namespaces: CloneFlags) throws
    func writeFile(_ path: String, _ contents: String) throws
    /// Brings `lo` up in the current network namespace.
    func setLoopbackUp() throws
    func setsid() throws
    func setrlimit(resource: Int32, soft: UInt64, hard: UInt64) throws
    func dropBoundingCapability(_ cap: Int32) throws
    func setKeepCaps(_ on: Bool) throws
    func clearAmbientCapabilities() throws
    func capset(effective: UInt64, permitted: UInt64, inheritable: UInt64) throws
    func setDumpable(_ on: Bool) throws
    func setNoNewPrivs() throws
    func setParentDeathSignal(_ signal: Int32) throws
    /// Whether the other end of a socket is closed (EOF pending), without blocking or consuming.
    func peerHasClosed(_ fd: Int32) -> Bool
    /// Unblocks every signal and restores the default disposition of the `ignored` ones (bit
    /// n-1 for signal n), so the command starts clean: execve itself resets caught signals,
    /// but keeps ignored ones ignored.
    func resetSignals(ignored: UInt64) throws
    /// Marks every fd from `first` up close-on-exec.
    func closeOnExec(from first: Int32) throws
    func loadSeccomp(filter: [UInt8]) throws
    /// Returns only on failure.
    func execve(_ path: String, _ argv: [String], _ envp: [String]) -> SyscallError
}
