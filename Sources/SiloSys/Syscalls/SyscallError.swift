#if canImport(Glibc)
import Glibc
#endif

/// The one error every syscall wrapper throws: which call failed, the errno it left, and the
/// object it was acting on (a path, a pid, an interface), so that a message can name all three.
public struct SyscallError: Error, Equatable, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Int32
    public let object: String

    public init(_ call: String, errno: Int32, object: String = "") {
        self.call = call
        self.errno = errno
        self.object = object
    }

    /// Captures `errno` at once: call this on the line after the failing call.
    public static func last(_ call: String, _ object: String = "") -> SyscallError {
        SyscallError(call, errno: Glibc.errno, object: object)
    }

    public var reason: String { errnoString(errno) }

    public var description: String {
        object.isEmpty ? "\(call): \(reason)" : "\(call) \(object): \(reason)"
    }
}

public func errnoString(_ code: Int32) -> String {
    guard let s = strerror(code) else { return "errno \(code)" }
    return String(cString: s)
}

/// Runs `body` again while it fails with EINTR; only for read, write, waitpid and open.
/// Inlinable so that callers in other modules get it specialized: the generic version looked
/// up BinaryInteger witnesses at run time on every call.
@inlinable
public func retryingEINTR<T: BinaryInteger>(_ body: () -> T) -> T {
    while true {
        let r = body()
        if r >= 0 || Glibc.errno != EINTR { return r }
    }
}
