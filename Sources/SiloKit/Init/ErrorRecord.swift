#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// The one message the child sends before it dies: `(stage, errno, call, object)`, as a single
/// SOCK_SEQPACKET datagram. A successful execve closes the socket (CLOEXEC) instead, so the
/// parent reads either this record or EOF.
public struct ErrorRecord: Equatable, Sendable {
    public var stage: InitStage
    public var error: SyscallError

    public static let maxDetail = 256

    public func encode() -> [UInt8] {
        var b: [UInt8] = []
        b.appendLE(stage.rawValue)
        b.appendLE(UInt32(bitPattern: error.errno))
        let call = Array(error.call.utf8.prefix(64))
        let object = Array(error.object.utf8.prefix(ErrorRecord.maxDetail))
        b.appendLE(UInt16(call.count))
        b.appendLE(UInt16(object.count))
        b += call
        b += object
        return b
    }

    public static func decode(_ b: [UInt8]) -> ErrorRecord? {
        guard b.count >= 12, let stage = InitStage(rawValue: b.loadLE(UInt32.self, at: 0)) else { return nil }
        let errno = Int32(bitPattern: b.loadLE(UInt32.self, at: 4))
        let cl = Int(b.loadLE(UInt16.self, at: 8)), ol = Int(b.loadLE(UInt16.self, at: 10))
        guard b.count >= 12 + cl + ol else { return nil }
        let call = String(decoding: b[12..<(12 + cl)], as: UTF8.self)
        let object = String(decoding: b[(12 + cl)..<(12 + cl + ol)], as: UTF8.self)
        return ErrorRecord(stage: stage, error: SyscallError(call, errno: errno, object: object))
    }

    static func send(_ failure: StageError, fd: Int32) {
        let bytes = ErrorRecord(stage: failure.stage, error: failure.error).encode()
        _ = bytes.withUnsafeBytes { b in retryingEINTR { write(fd, b.baseAddress, b.count) } }
    }

    /// Blocks until the child execs (EOF: nil) or reports a failure.
    static func receive(fd: Int32) -> ErrorRecord? {
        var buf = [UInt8](repeating: 0, count: 512)
        let n = buf.withUnsafeMutableBytes { b in retryingEINTR { read(fd, b.baseAddress, b.count) } }
        if n <= 0 { return nil }
        return decode(Array(buf[0..<n])) ?? ErrorRecord(stage: .exec, error: SyscallError("child", errno: EPROTO, object: "error record"))
    }

    /// 127 for a command that is not there, 126 for one that cannot run, else 125.
    public var runtimeError: RuntimeError {
        if stage == .exec {
            switch error.errno {
            case ENOENT, ENOTDIR:
                return RuntimeError(.notFound, "exec \(error.object): \(error.object.contains("/") ? error.reason : "command not found")", cause: error)
            default:
                return RuntimeError(.cannotExecute, "exec \(error.object): \(error.reason)", cause: error)
            }
        }
        return RuntimeError(error, stage: stage)
    }
}
