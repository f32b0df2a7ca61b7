/// An OCI bundle's config.json (runtime-spec 1.1), the part of it Linux uses. Parsed by
/// `OCISpec.parse` (OCISpecParse.swift), written back by `json` (OCISpecEncode.swift).
/// Optionals are the fields the spec makes optional and whose absence means something
/// ("do not change oom_score_adj"); arrays are empty when absent.
public struct OCISpec: Equatable, Sendable {
    public var ociVersion = ""
    public var process: Process?
    public var root: Root?
    public var hostname: String?
    public var domainname: String?
    public var mounts: [Mount] = []
    public var hooks = Hooks()
    public var annotations: [String: String] = [:]
    public var linux: Linux?

    public init() {}

    /// The version silo writes (`spec`, state) and the newest it reads.
    public static let version = "1.1.0"

    /// The root file system's path: `root.path` as is when absolute, else under `bundle`.
    public func rootfs(bundle: String) -> String? {
        guard let path = root?.path else { return nil }
        if path.hasPrefix("/") { return path }
        return bundle.hasSuffix("/") ? bundle + path : bundle + "/" + path
    }

    public struct Process: Equatable, Sendable {
        public var terminal = false
        public var consoleSize: ConsoleSize?
        public var user = User()
        public var args: [String] = []
        public var env: [String] = []
        public var cwd = "/"
        public var capabilities: Capabilities?
        public var rlimits: [Rlimit] = []
        public var noNewPrivileges = false
        public var oomScoreAdj: Int32?
        public var apparmorProfile: String?
        public var selinuxLabel: String?
        public init() {}
    }

    public struct ConsoleSize: Equatable, Sendable {
        public var height: UInt32
        public var width: UInt32
        public init(height: UInt32, width: UInt32) {
            self.height = height
            self.width = width
        }
    }

    public struct User: Equatable, Sendable {
        public var uid: UInt32 = 0
        public var gid: UInt32 = 0
        public var umask: UInt32?
        public var additionalGids: [UInt32] = []
        public init() {}
    }

    /// The five sets; nil means the set was not given (an empty set is `[]`).
    public struct Capabilities: Equatable, Sendable {
        public var bounding: [String]?
        public var effective: [String]?
        public var inheritable: [String]?
        public var permitted: [String]?
        public var ambient: [String]?
        public init() {}
    }

    public struct Rlimit: Equatable, Sendable {
        public var type: String
        public var hard: UInt64
        public var soft: UInt64
        public init(type: String, hard: UInt64, soft: UInt64) {
            self.type = type
            self.hard = hard
            self.soft = soft
        }
    }

    public struct Root: Equatable, Sendable {
        /// As written: relative paths are relative to the bundle directory.
        public var path: String
        public var readonly = false
        public init(path: String, readonly: Bool = false) {
            self.path = path
            self.readonly = readonly
        }
    }

    public struct Mount: Equatable, Sendable {
        /// Always absolute here: a relative destination (allowed by the spec for old tools) is
        /// read as relative to "/".
        public var destination: String
        public var type: String?
        public var source: String?
        public var options: [String] = []
        public var uidMappings: [IDMapping] = []
        public var gidMappings: [IDMapping] = []
        public init(destination: String, type: String? = nil, source: String? = nil, options: [String] = []) {
            self.destination = destination
            self.type = type
            self.source = source
            self.options = options
        }
    }

    public struct IDMapping: Equatable, Sendable {
        public var containerID: UInt32
        public var hostID: UInt32
        public var size: UInt32
        public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
            self.containerID = containerID
            self.hostID = hostID
            self.size = size
        }
    }

    public struct Hook: Equatable, Sendable {
        public var path: String
        public var args: [String] = []
        public var env: [String] = []
        /// Seconds, > 0.
        public var timeout: Int?
        public init(path: String, args: [String] = [], env: [String] = [], timeout: Int? = nil) {
            self.path = path
            self.args = args
            self.env = env
            self.timeout = timeout
        }
    }

    public struct Hooks: Equatable, Sendable {
        public var prestart: [Hook] = []
        public var createRuntime: [Hook] = []
        public var createContainer: [Hook] = []
        public var startContainer: [Hook] = []
        public var poststart: [Hook] = []
        public var poststop: [Hook] = []
        public init() {}
        public var isEmpty: Bool {
            prestart.isEmpty && createRuntime.isEmpty && createContainer.isEmpty && startContainer.isEmpty
                && poststart.isEmpty && poststop.isEmpty
        }
    }

    public struct Linux: Equatable, Sendable {
        public var namespaces: [Namespace] = []
        public var uidMappings: [IDMapping] = []
        public var gidMappings: [IDMapping] = []
        public var timeOffsets: [String: TimeOffset] = [:]
        public var devices: [Device] = []
        public var cgroupsPath: String?
        public var resources: Resources?
        public var sysctl: [String: String] = [:]
        public var seccomp: Seccomp?
        public var rootfsPropagation: String?
        public var maskedPaths: [String] = []
        public var readonlyPaths: [String] = []
        public var mountLabel: String?
        public var personality: Personality?
        public init() {}

        /// The entry of namespace `type`, if the config lists it.
        public func namespace(_ type: NamespaceType) -> Namespace? { namespaces.first { $0.type == type } }
    }

    public enum NamespaceType: String, CaseIterable, Equatable, Sendable {
        case pid, network, mount, ipc, uts, user, cgroup, time
    }

    /// `path` nil: create a new namespace; set: join the one at that (absolute) path.
    public struct Namespace: Equatable, Sendable {
        public var type: NamespaceType
        public var path: String?
        public init(_ type: NamespaceType, path: String? = nil) {
            self.type = type
            self.path = path
        }
    }

    /// `linux.timeOffsets.monotonic` / `.boottime`.
    public struct TimeOffset: Equatable, Sendable {
        public var secs: Int64 = 0
        public var nanosecs: UInt32 = 0
        public init(secs: Int64 = 0, nanosecs: UInt32 = 0) {
            self.secs = secs
            self.nanosecs = nanosecs
        }
    }

    public struct Device: Equatable, Sendable {
        public var path: String
        /// "c", "b", "u" or "p".
        public var type: String
        public var major: Int64 = 0
        public var minor: Int64 = 0
        /// Permission bits and type bits as in st_mode (a decimal number in JSON).
        public var fileMode: UInt32?
        public var uid: UInt32?
        public var gid: UInt32?
        public init(path: String, type: String, major: Int64 = 0, minor: Int64 = 0) {
            self.path = path
            self.type = type
            self.major = major
            self.minor = minor
        }
    }

    public struct Personality: Equatable, Sendable {
        /// "LINUX" or "LINUX32".
        public var domain: String
        public var flags: [String] = []
        public init(domain: String) { self.domain = domain }
    }

    public struct Seccomp: Equatable, Sendable {
        public var defaultAction: String
        public var defaultErrnoRet: UInt32?
        public var architectures: [String] = []
        public var flags: [String] = []
        public var listenerPath: String?
        public var listenerMetadata: String?
        public var syscalls: [Syscall] = []
        public init(defaultAction: String) { self.defaultAction = defaultAction }
    }

    public struct Syscall: Equatable, Sendable {
        public var names: [String]
        public var action: String
        public var errnoRet: UInt32?
        public var args: [SeccompArg] = []
        public init(names: [String], action: String, errnoRet: UInt32? = nil) {
            self.names = names
            self.action = action
            self.errnoRet = errnoRet
        }
    }

    public struct SeccompArg: Equatable, Sendable {
        public var index: UInt32
        public var value: UInt64
        public var valueTwo: UInt64 = 0
        public var op: String
        public init(index: UInt32, value: UInt64, valueTwo: UInt64 = 0, op: String) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }
    }
}
