/// Where netlink messages go: the kernel (`NetlinkSocket`) or, in tests, a fake
/// (SiloSysTesting's `FakeNetlinkKernel`). The session (`Netlink`) builds the requests and
/// parses the replies either way.
public protocol NetlinkTransport: AnyObject {
    /// Sends one whole message.
    func send(_ message: [UInt8]) throws(SyscallError)
    /// Receives one datagram into `buffer`; its length.
    func receive(into buffer: inout [UInt8]) throws(SyscallError) -> Int
    func close()
}
