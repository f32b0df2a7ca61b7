import SiloSys

/// What `silo` reports: one line naming the object and the cause, and the exit status that
/// goes with it (125 runtime, 126 cannot execute, 127 not found, as docker and podman use).
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    public struct Code: Equatable, Sendable {
        let raw: Int
        /// Bad command line or configuration.
        public static let usage = Code(raw: 1)
        /// The runtime itself failed (a syscall, a missing rootfs).
        public static let runtime = Code(raw: 2)
        /// The command exists but cannot be executed.
        public static let cannotExecute = Code(raw: 3)
        /// The command does not exist.
        public static let notFound = Code(raw: 4)
    }

    public let code: Code
    public let message: String
    public let cause: SyscallError?

    public init(_ code: Code, _ message: String, cause: SyscallError? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public init(_ error: SyscallError, stage: InitStage? = nil) {
        self.init(.runtime, RuntimeError.explain(error, stage: stage), cause: error)
    }

    public var description: String { message }

    /// The message for a failed syscall, with a hint where users of other runtimes got stuck.
    static func explain(_ e: SyscallError, stage: InitStage?) -> String {
        var msg = e.description
        if let stage, !e.call.hasPrefix(stage.description) && stage != .exec { msg = "\(stage): " + msg }
        switch (e.call, e.errno) {
        case ("clone", Errno.notPermitted): msg += " (user namespaces disabled? check sysctl user.max_user_namespaces and AppArmor)"
        case ("pivot_root", Errno.invalidArgument): msg += " (is the rootfs on ramfs/initramfs or a shared mount?)"
        case ("mount", Errno.notPermitted) where stage == .mountProc: msg += " (procfs needs a new PID namespace and a fully visible /proc)"
        case ("mount_setattr(MOUNT_ATTR_IDMAP)", Errno.invalidArgument): msg += " (the rootfs's file system cannot do idmapped mounts)"
        default: break
        }
        return msg
    }
}
