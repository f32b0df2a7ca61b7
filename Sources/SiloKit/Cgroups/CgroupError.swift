import SiloSys

/// A cgroup failure in the user's terms: one line naming the object (a cgroup directory, a
/// control file or an option) and the cause, ready for `silo: <message>` and exit 125.
public struct CgroupError: Error, Equatable, CustomStringConvertible, Sendable {
    public let message: String
    public let errno: Int32?

    public init(_ message: String, errno: Int32? = nil) {
        self.message = message
        self.errno = errno
    }

    init(_ e: SyscallError, _ what: String? = nil) {
        let object = e.object.isEmpty ? e.call : e.object
        self.init("\(what ?? "cgroup") \(object): \(e.reason)", errno: e.errno)
    }

    public var description: String { message }
}
