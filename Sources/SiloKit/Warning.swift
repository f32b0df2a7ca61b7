/// Something the caller should be told that does not stop the container (a seccomp rule this
/// libseccomp cannot express, an /etc/netns file that could not be bound). SiloKit never prints:
/// it returns these, and the command line shows them as `silo: warning: MESSAGE`.
public struct Warning: Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
