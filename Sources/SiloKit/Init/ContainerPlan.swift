import SiloSys

/// Everything the child does, computed in the parent before clone: the child makes
/// syscalls from this plan and nothing else (docs/architecture.md, "the thread rule").
public struct ContainerPlan: Sendable {
    public var syncFD: Int32 = -1
    public var hostname: String?
    /// OCI `domainname` (NIS domain of the UTS namespace); nil leaves it.
    public var domainname: String?
    public var bringLoopbackUp = true
    /// unshare(CLONE_NEWCGROUP) once the parent has moved the child into its own cgroup, so that
    /// the namespace's root is that cgroup (a namespace from clone would be rooted at silo's).
    public var cgroupNamespace = false
    /// The container's v1 cgroups' `tasks` files, opened by the parent: the child moves itself
    /// into each right after the ack, before anything else of its own runs (and before the
    /// cgroup namespace, which must be rooted there).
    public var cgroupTasksFDs: [Int32] = []
    public var mounts: MountPlan
    /// OCI `namespaces[].path` of type mount: entered by the child (the parent must stay in the
    /// host's, where the state and pid files live) before its first mount.
    public var mountNamespaceFD: Int32 = -1
    /// unshare(CLONE_NEWTIME) and these offsets (seconds), when the kernel has time namespaces.
    public var timeOffsets: (monotonic: Int64, boottime: Int64)?
    public var workdir = "/"
    public var rlimits: [Rlimit] = []
    public var newSession = true
    /// Rootless with the caller's own ids alone: the uid_map and gid_map lines the child writes
    /// to itself (setgroups denied first), as bwrap's child does, instead of waiting for its
    /// parent to write them (Launcher's CLONE_VFORK path).
    public var ownMaps: (uid: String, gid: String)?
    /// Instead of a session (silo has no controlling terminal to keep out of reach): a process
    /// group of its own, so that signals to silo's group are not delivered twice.
    public var newProcessGroup = false
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    /// Supplementary groups; nil when setgroups is denied in this user namespace.
    public var groups: [UInt32]? = []
    public var capabilities: CapabilityState?
    public var noNewPrivs = true
    /// A compiled BPF program (struct sock_filter[]), nil for none.
    public var seccompFilter: [UInt8]?
    public var useInit = false
    /// The signals silo itself was started with ignored (SigIgn of /proc/self/status), which
    /// the child restores to their defaults before execve.
    public var ignoredSignals: UInt64 = 0
    public var argv: [String]
    public var env: [String]
    /// Directories searched for argv[0] when it has no slash (the container's PATH).
    public var searchPath: [String]
    /// OCI `create`: the init stops before exec and waits for `start` (nil for `silo run`).
    public var hold: CreateHold?
    /// `silo run` ties the container to silo's life; an OCI init outlives `create`.
    public var armsParentDeath = true
    /// `--preserve-fds N`: fds 3..<3+N stay open into the user's process.
    public var preservedFDs: Int32 = 0
    /// `silo run -t`: the child makes a pty in the container's devpts, makes it its terminal
    /// and sends the master over this socket (ConsoleSetup); -1: no pty.
    public var consoleSocket: Int32 = -1
    public var consoleSize: (rows: UInt16, columns: UInt16)?
    /// Neither -i nor -t, and silo's stdin is a terminal: the container's stdin is /dev/null.
    public var stdinFromNull = false

    public init(mounts: MountPlan, argv: [String], env: [String], searchPath: [String]) {
        self.mounts = mounts
        self.argv = argv
        self.env = env
        self.searchPath = searchPath
    }
}
