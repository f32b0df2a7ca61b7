/// RTM_NEWLINK on an existing link for the settings a test network needs after the link is
/// made: its MTU and its bridge. Separate requests because a veth's ends are made in other
/// namespaces than the one the creating socket is in, and a master index means something only
/// in the namespace of the port.
extension NetlinkRequest {
    static let iflaMTU: UInt16 = 4

    public static func setMTU(index: Int32, mtu: UInt32) -> NetlinkMessage {
        var msg = NetlinkMessage(type: RT.newLink, flags: modify)
        msg.appendIfInfo(family: 0, type: 0, index: index, flags: 0, change: 0)
        msg.appendAttr(type: iflaMTU, u32: mtu)
        return msg
    }

    public static func setMaster(index: Int32, master: Int32) -> NetlinkMessage {
        var msg = NetlinkMessage(type: RT.newLink, flags: modify)
        msg.appendIfInfo(family: 0, type: 0, index: index, flags: 0, change: 0)
        msg.appendAttr(type: RT.iflaMaster, u32: UInt32(bitPattern: master))
        return msg
    }
}

extension Netlink {
    public func setMTU(index: Int32, mtu: Int, name: String) throws(SyscallError) {
        try request(NetlinkRequest.setMTU(index: index, mtu: UInt32(mtu)), call: "RTM_NEWLINK", object: "\(name) mtu \(mtu)")
    }

    /// Makes the link a port of the bridge `master` (`ip link set NAME master BR`).
    public func setMaster(index: Int32, master: Int32, name: String) throws(SyscallError) {
        try request(NetlinkRequest.setMaster(index: index, master: master), call: "RTM_NEWLINK", object: "\(name) master")
    }
}
