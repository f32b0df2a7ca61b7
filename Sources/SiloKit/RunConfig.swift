import SiloSys

/// What `silo run` was asked for: the public description of one container.
public struct RunConfig: Sendable {
    public struct Volume: Equatable, Sendable {
        public var source: String
        public var target: String
        public var readOnly: Bool
        public init(source: String, target: String, readOnly: Bool) {
            self.source = source
            self.target = target
            self.readOnly = readOnly
        }
    }

    public enum Network: Equatable, Sendable {
        /// A new network namespace with only `lo`, up (the default).
        case none
        /// Join a named network namespace (/run/netns/NAME).
        case netns(String)
        /// A veth from the container to a Linux bridge (default `silo0`).
        case bridge(String)
    }

    public enum Seccomp: Equatable, Sendable {
        case `default`
        case unconfined
        case profile(path: String)
    }

    public static let defaultRootfs = "/var/lib/silo/rootfs/busybox"
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    public var rootfs: String = RunConfig.defaultRootfs
    public var argv: [String]
    public var env: [String] = []
    public var envFiles: [String] = []
    public var hostname: String?
    public var workdir: String?
    /// `UID[:GID]` or `NAME[:GROUP]` looked up in the rootfs.
    public var user: String?
    public var volumes: [Volume] = []
    /// `PATH[:OPTIONS]`
    public var tmpfs: [String] = []
    public var readOnly = false
    public var rootfsReadWrite = false
    /// Size of the writable layer's tmpfs, `N[k|m|g]`; nil: MountPlan.defaultRootfsSize.
    public var rootfsSize: String?
    public var uidMaps: [IDMapping] = []
    public var gidMaps: [IDMapping] = []
    public var useInit = false
    /// CLOCK_MONOTONIC and CLOCK_BOOTTIME offsets in seconds for the time namespace.
    public var timeOffset: (monotonic: Int64, boottime: Int64) = (0, 0)
    public var network: Network = .none
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    public var seccomp: Seccomp = .default
    public var noNewPrivileges = true
    /// `NAME=SOFT[:HARD]`
    public var ulimits: [String] = []
    /// Namespaces left shared with the host, for `silo demo --share` only.
    public var share: Set<NamespaceKind> = []
    /// The resource options as given (`--memory 64m`, in order), parsed into `limits`; silo's
    /// defaults (CgroupLimits.withDefaults) are added when the container's cgroup is made.
    public var resourceOptions: [ResourceOption] = []
    public var limits = CgroupLimits()
    /// -t: the container gets a pty of its own devpts, relayed to silo's stdio (docs/terminals.md).
    public var tty = false
    /// -t: the pty's window size from the start; nil: the size of silo's own terminal, if it
    /// has one. `silo run -dt` takes the caller's before the monitor leaves its terminal.
    public var consoleSize: (rows: UInt16, columns: UInt16)?
    /// -i: stdin stays open: relayed to the pty with -t, passed on as it is without.
    public var interactive = false
    /// `silo run -d`: run under a monitor and return (Detached/DetachedRun.swift); nil: in the foreground.
    public var detach: DetachOptions?

    public struct ResourceOption: Equatable, Sendable {
        /// Without the dashes: one of CgroupLimits.optionNames.
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(argv: [String]) {
        self.argv = argv
    }
}
