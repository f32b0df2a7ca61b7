/// The stages of the container's init, in the order the child runs them. The same names
/// appear in error messages, in the child's error record and in the tests.
public enum InitStage: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case waitForMaps = 1
    case credentials
    case cgroupNamespace
    case hostname
    case network
    case mountPropagation
    case mountRootfs
    case mountVolumes
    case mountProc
    case mountSys
    case mountCgroup
    case mountDev
    case mountTmpfs
    case sysctl
    case maskPaths
    case pivotRoot
    case readonlyRoot
    case timeNamespace
    case workdir
    case rlimits
    case session
    case capabilities
    case parentDeath
    case signals
    case closeFds
    case noNewPrivs
    case seccomp
    case initFork
    case exec
    // exec into a running container (SiloKit/Exec), after the init's stages so none renumbers.
    case joinNamespaces
    case console

    public var description: String {
        switch self {
        case .waitForMaps: "wait for id maps"
        case .credentials: "become container root"
        case .cgroupNamespace: "cgroup namespace"
        case .hostname: "set hostname"
        case .network: "bring up lo"
        case .mountPropagation: "make mounts private"
        case .mountRootfs: "mount rootfs"
        case .mountVolumes: "mount volume"
        case .mountProc: "mount /proc"
        case .mountSys: "mount /sys"
        case .mountCgroup: "mount /sys/fs/cgroup"
        case .mountDev: "mount /dev"
        case .mountTmpfs: "mount tmpfs"
        case .sysctl: "sysctl"
        case .maskPaths: "mask paths"
        case .pivotRoot: "pivot_root"
        case .readonlyRoot: "make rootfs read-only"
        case .timeNamespace: "time namespace"
        case .workdir: "working directory"
        case .rlimits: "rlimits"
        case .session: "new session"
        case .capabilities: "capabilities"
        case .parentDeath: "parent death signal"
        case .signals: "reset signals"
        case .closeFds: "close fds"
        case .noNewPrivs: "no_new_privs"
        case .seccomp: "seccomp"
        case .initFork: "start init"
        case .exec: "exec"
        case .joinNamespaces: "join namespaces"
        case .console: "console"
        }
    }
}
