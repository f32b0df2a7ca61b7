import SiloSys

/// Capability sets for the container's process, as 64-bit masks (bit N = capability N).
public struct CapabilityState: Equatable, Sendable {
    public var bounding: UInt64
    public var effective: UInt64
    public var permitted: UInt64
    public var inheritable: UInt64
    /// The highest capability number this kernel knows (/proc/sys/kernel/cap_last_cap).
    public var lastCap: Int32

    public init(bounding: UInt64, effective: UInt64, permitted: UInt64, inheritable: UInt64 = 0, lastCap: Int32) {
        self.bounding = bounding
        self.effective = effective
        self.permitted = permitted
        self.inheritable = inheritable
        self.lastCap = lastCap
    }
}

public struct Rlimit: Equatable, Sendable {
    public var resource: Int32
    public var name: String
    public var soft: UInt64
    public var hard: UInt64
    public init(resource: Int32, name: String, soft: UInt64, hard: UInt64) {
        self.resource = resource
        self.name = name
        self.soft = soft
        self.hard = hard
    }
}

/// Everything the child does, computed in the parent before clone: the child makes
/// syscalls from this plan and nothing else (docs/architecture.md, "the thread rule").
public struct ContainerPlan: Sendable {
    public var syncFD: Int32 = -1
    public var hostname: String?
    public var bringLoopbackUp = true
    public var mounts: MountPlan
    /// unshare(CLONE_NEWTIME) and these offsets (seconds), when the kernel has time namespaces.
    public var timeOffsets: (monotonic: Int64, boottime: Int64)?
    public var workdir = "/"
    public var rlimits: [Rlimit] = []
    public var newSession = true
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

    public init(mounts: MountPlan, argv: [String], env: [String], searchPath: [String]) {
        self.mounts = mounts
        self.argv = argv
        self.env = env
        self.searchPath = searchPath
    }
}

/// A failure in the child: which stage, and the syscall that failed.
public struct StageError: Error, Equatable, Sendable {
    public var stage: InitStage
    public var error: SyscallError
    public init(_ stage: InitStage, _ error: SyscallError) {
        self.stage = stage
        self.error = error
    }
}
