#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// Passing one file descriptor with SCM_RIGHTS, the way runc and crun hand a pty master to the
/// console socket: conmon's recvfd accepts exactly one fd (cmsg_len == CMSG_LEN(sizeof(int)))
/// and, on a stream socket, the ancillary data needs at least one byte of payload.
extension UnixSocket {
    /// Sends `fd` with `payload` (non-empty; crun sends one space, runc the pty's name).
    public static func send(fd: Int32, over socket: Int32, payload: [UInt8] = [0x20], object: String = "") throws(SyscallError) {
        precondition(!payload.isEmpty, "SCM_RIGHTS on a stream socket needs a payload byte")
        let space = silo_cmsg_space(MemoryLayout<Int32>.size)
        var control = [UInt8](repeating: 0, count: space)
        var data = payload
        let sent: Int = withMessage(data: &data, control: &control) { msg in
            guard let raw = silo_cmsg_firsthdr(&msg) else { return -1 }
            let cmsg = raw.assumingMemoryBound(to: cmsghdr.self)
            cmsg.pointee.cmsg_level = SOL_SOCKET
            cmsg.pointee.cmsg_type = Int32(SCM_RIGHTS)
            cmsg.pointee.cmsg_len = silo_cmsg_len(MemoryLayout<Int32>.size)
            silo_cmsg_data(raw).storeBytes(of: fd, as: Int32.self)
            return retryingEINTR { sendmsg(socket, &msg, Int32(MSG_NOSIGNAL)) }
        }
        if sent < 0 { throw SyscallError.last("sendmsg", object) }
        if sent == 0 { throw SyscallError("sendmsg", errno: EPIPE, object: object) }
    }

    /// Receives one message with exactly one fd (received close-on-exec), as conmon does.
    /// EBADMSG when the message carries no fd or more than one (the extra fds are closed).
    public static func receive(over socket: Int32, object: String = "") throws(SyscallError) -> (fd: Int32, payload: [UInt8]) {
        let space = silo_cmsg_space(MemoryLayout<Int32>.size * 4)
        var control = [UInt8](repeating: 0, count: space)
        var data = [UInt8](repeating: 0, count: 4096)
        var fds: [Int32] = []
        let n: Int = withMessage(data: &data, control: &control) { msg in
            let n = retryingEINTR { recvmsg(socket, &msg, Int32(MSG_CMSG_CLOEXEC)) }
            if n < 0 { return n }
            if let raw = silo_cmsg_firsthdr(&msg) {
                let cmsg = raw.assumingMemoryBound(to: cmsghdr.self).pointee
                let header = silo_cmsg_len(0)
                if cmsg.cmsg_level == SOL_SOCKET, cmsg.cmsg_type == Int32(SCM_RIGHTS), cmsg.cmsg_len >= header {
                    let count = (Int(cmsg.cmsg_len) - header) / MemoryLayout<Int32>.size
                    let base = silo_cmsg_data(raw)
                    for i in 0..<count { fds.append(base.load(fromByteOffset: i * 4, as: Int32.self)) }
                }
            }
            return n
        }
        if n < 0 { throw SyscallError.last("recvmsg", object) }
        guard fds.count == 1 else {
            for fd in fds { close(fd) }
            throw SyscallError("recvmsg", errno: EBADMSG, object: object)
        }
        return (fds[0], Array(data[0..<n]))
    }

    /// A msghdr over `data` (one iovec) and `control`, valid for the duration of `body`.
    private static func withMessage(data: inout [UInt8], control: inout [UInt8], _ body: (inout msghdr) -> Int) -> Int {
        data.withUnsafeMutableBytes { dataBuf in
            control.withUnsafeMutableBytes { ctlBuf in
                var iov = iovec(iov_base: dataBuf.baseAddress, iov_len: dataBuf.count)
                return withUnsafeMutablePointer(to: &iov) { iovp in
                    var msg = msghdr()
                    msg.msg_iov = iovp
                    msg.msg_iovlen = 1
                    msg.msg_control = ctlBuf.baseAddress
                    msg.msg_controllen = ctlBuf.count
                    return body(&msg)
                }
            }
        }
    }
}
