#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// An rtnetlink (NETLINK_ROUTE) socket in the caller's current network namespace, or in
/// another one (`init(namespace:)`): a socket stays in the namespace it was made in.
public final class NetlinkSocket: NetlinkTransport {
    public let fd: Int32

    public init() throws(SyscallError) {
        fd = try NetlinkSocket.openSocket()
    }

    /// A socket in the network namespace `nsFD` refers to: the calling thread enters it, opens
    /// the socket and returns to where it was.
    public init(namespace nsFD: Int32, name: String) throws(SyscallError) {
        let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        if home < 0 { throw SyscallError.last("open", "/proc/thread-self/ns/net") }
        defer { Glibc.close(home) }
        if silo_setns(nsFD, CloneFlags.newNet.rawValue) != 0 { throw SyscallError.last("setns", name) }
        let made = Result { () throws(SyscallError) in try NetlinkSocket.openSocket() }
        if silo_setns(home, CloneFlags.newNet.rawValue) != 0 {
            let e = SyscallError.last("setns", "back to the original network namespace")
            if case .success(let s) = made { Glibc.close(s) }
            throw e
        }
        fd = try made.get()
    }

    static func openSocket() throws(SyscallError) -> Int32 {
        let s = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0 /* NETLINK_ROUTE */)
        if s < 0 { throw SyscallError.last("socket(AF_NETLINK)") }
        return s
    }

    public func send(_ message: [UInt8]) throws(SyscallError) {
        let sent = message.withUnsafeBytes { b in retryingEINTR { Glibc.send(fd, b.baseAddress, b.count, 0) } }
        if sent < 0 { throw SyscallError.last("send") }
    }

    public func receive(into buffer: inout [UInt8]) throws(SyscallError) -> Int {
        let n = buffer.withUnsafeMutableBytes { b in retryingEINTR { recv(fd, b.baseAddress, b.count, 0) } }
        if n < 0 { throw SyscallError.last("recv") }
        return n
    }

    public func close() { Glibc.close(fd) }
}
