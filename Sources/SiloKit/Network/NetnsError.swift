#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// A failure of `silo netns`: one line, and the exit status iproute2 6.1 gives for the same
/// mistake (255 for a bad name and for exec into a missing netns, 1 for everything else).
public struct NetnsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, as far as a caller needs to tell (the CLI maps it to iproute2's exit statuses).
    public enum Kind: Sendable, Equatable { case invalidName, cannotOpen, execSetup, failed }
    public let kind: Kind
    public let message: String
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
    public var description: String { message }

    static func failed(_ e: SyscallError) -> NetnsError { NetnsError(.failed, e.description) }
}
