/// tc's netem qdisc through rtnetlink (RTM_NEWQDISC/RTM_DELQDISC on the root of a device), as
/// `tc qdisc replace dev D root netem delay ... loss ...` sends it: struct tcmsg, TCA_KIND
/// "netem", TCA_OPTIONS = struct tc_netem_qopt followed by 64-bit latency and jitter (ns).
public struct NetemSettings: Equatable, Sendable {
    public var delayNanoseconds: UInt64 = 0
    public var jitterNanoseconds: UInt64 = 0
    /// Percentages, 0 to 100.
    public var lossPercent: Double = 0
    public var duplicatePercent: Double = 0
    /// Packets sent at once instead of delayed (TCA_NETEM_REORDER): needs a delay to overtake.
    public var reorderPercent: Double = 0
    public init() {}
}

extension NetlinkRequest {
    static let newQdisc: UInt16 = 36, delQdisc: UInt16 = 37
    static let tcaKind: UInt16 = 1, tcaOptions: UInt16 = 2
    static let netemLatency64: UInt16 = 10, netemJitter64: UInt16 = 11, netemReorder: UInt16 = 3
    static let rootParent: UInt32 = 0xFFFF_FFFF
    static let replace: UInt16 = 0x100

    /// struct tcmsg: family, 3 pad, ifindex, handle, parent, info.
    static func tcmsg(index: Int32, handle: UInt32) -> [UInt8] {
        [0, 0, 0, 0] + le(UInt32(bitPattern: index)) + le(handle) + le(rootParent) + le(0)
    }

    /// A probability as netem takes it: the fraction of UINT32_MAX.
    static func probability(_ percent: Double) -> UInt32 {
        let p = min(max(percent, 0), 100) / 100
        return p >= 1 ? UInt32.max : UInt32(p * Double(UInt32.max))
    }

    public static func replaceNetem(index: Int32, _ s: NetemSettings) -> NetlinkMessage {
        var msg = NetlinkMessage(type: newQdisc, flags: RT.request | RT.ack | RT.create | replace)
        msg.appendRaw(tcmsg(index: index, handle: 0x8001_0000))
        msg.appendAttr(type: tcaKind, string: "netem")
        // tc sends TCA_OPTIONS without NLA_F_NESTED: its payload starts with a struct, not attributes.
        // latency and jitter in the struct are in psched ticks; the 64-bit attributes override them.
        // With reordering, tc sets gap 1 when none is given: every other packet may go at once.
        let gap: UInt32 = s.reorderPercent > 0 ? 1 : 0
        let qopt = le(0) + le(1000) + le(probability(s.lossPercent)) + le(gap) + le(probability(s.duplicatePercent)) + le(0)
        var options = qopt + attr(netemLatency64, le64(s.delayNanoseconds)) + attr(netemJitter64, le64(s.jitterNanoseconds))
        // struct tc_netem_reorder: probability, correlation.
        if s.reorderPercent > 0 { options += attr(netemReorder, le(probability(s.reorderPercent)) + le(0)) }
        msg.appendAttr(type: tcaOptions, options)
        return msg
    }

    public static func deleteRootQdisc(index: Int32) -> NetlinkMessage {
        var msg = NetlinkMessage(type: delQdisc, flags: modify)
        msg.appendRaw(tcmsg(index: index, handle: 0))
        return msg
    }

    /// One attribute with an 8-byte payload (already aligned).
    static func attr(_ type: UInt16, _ payload: [UInt8]) -> [UInt8] {
        [UInt8(4 + payload.count), 0, UInt8(type & 0xff), UInt8(type >> 8)] + payload
    }

    static func le64(_ v: UInt64) -> [UInt8] { le(UInt32(truncatingIfNeeded: v)) + le(UInt32(truncatingIfNeeded: v >> 32)) }
}

extension Netlink {
    public func replaceNetem(index: Int32, _ s: NetemSettings, name: String) throws(SyscallError) {
        try request(NetlinkRequest.replaceNetem(index: index, s), call: "RTM_NEWQDISC", object: "\(name) netem")
    }

    /// Back to the default qdisc; none to remove is not an error.
    public func deleteRootQdisc(index: Int32, name: String) throws(SyscallError) {
        do { try request(NetlinkRequest.deleteRootQdisc(index: index), call: "RTM_DELQDISC", object: "\(name) root") } catch {
            if error.errno != 2 /* ENOENT */ && error.errno != 22 /* EINVAL: no qdisc of ours */ { throw error }
        }
    }
}
