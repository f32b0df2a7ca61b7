/// tc's token bucket filter (`tc qdisc replace dev D root tbf rate R burst B latency L`) through
/// rtnetlink: TCA_KIND "tbf", TCA_OPTIONS holding TCA_TBF_PARMS (struct tc_tbf_qopt),
/// TCA_TBF_BURST and, above 4 GB/s, TCA_TBF_RATE64. The rate's link layer is set to Ethernet,
/// so the kernel does not ask for the legacy rate table (TCA_TBF_RTAB) tc still computes.
public struct TbfSettings: Equatable, Sendable {
    public var bytesPerSecond: UInt64
    /// The bucket: what may leave at once. Below the device's MTU every full-size packet is dropped.
    public var burstBytes: UInt32
    /// How long a packet may wait for tokens before it is dropped: the queue holds
    /// rate × latency + burst bytes.
    public var latencyNanoseconds: UInt64

    public init(bytesPerSecond: UInt64, burstBytes: UInt32? = nil, latencyNanoseconds: UInt64 = 50_000_000) {
        self.bytesPerSecond = bytesPerSecond
        // 20 ms worth of traffic, at least 16 KiB (ten full-size Ethernet frames and then some).
        self.burstBytes = burstBytes ?? UInt32(min(max(bytesPerSecond / 50, 16 << 10), UInt64(UInt32.max)))
        self.latencyNanoseconds = latencyNanoseconds
    }

    public var limitBytes: UInt32 {
        let queued = Double(bytesPerSecond) * Double(latencyNanoseconds) / 1e9
        return UInt32(min(queued + Double(burstBytes), Double(UInt32.max)))
    }
}

extension NetlinkRequest {
    static let tbfParms: UInt16 = 1, tbfRate64: UInt16 = 4, tbfBurst: UInt16 = 6
    static let linkLayerEthernet: UInt8 = 1

    public static func replaceTbf(index: Int32, _ s: TbfSettings) -> NetlinkMessage {
        var msg = NetlinkMessage(type: newQdisc, flags: RT.request | RT.ack | RT.create | replace)
        msg.appendRaw(tcmsg(index: index, handle: 0x8002_0000))
        msg.appendAttr(type: tcaKind, string: "tbf")
        let rate32 = UInt32(min(s.bytesPerSecond, UInt64(UInt32.max)))
        // struct tc_ratespec: cell_log, linklayer, overhead (16), cell_align (16), mpu (16), rate (32).
        let rate: [UInt8] = [0, linkLayerEthernet, 0, 0, 0, 0, 0, 0] + le(rate32)
        let none = [UInt8](repeating: 0, count: 12)  // no peak rate
        // limit, buffer, mtu: buffer and mtu in ticks are replaced by TCA_TBF_BURST.
        let qopt = rate + none + le(s.limitBytes) + le(0) + le(0)
        var options = attr(tbfParms, qopt) + attr(tbfBurst, le(s.burstBytes))
        if s.bytesPerSecond >= UInt64(UInt32.max) { options += attr(tbfRate64, le64(s.bytesPerSecond)) }
        msg.appendAttr(type: tcaOptions, options)
        return msg
    }
}

extension Netlink {
    public func replaceTbf(index: Int32, _ s: TbfSettings, name: String) throws(SyscallError) {
        try request(NetlinkRequest.replaceTbf(index: index, s), call: "RTM_NEWQDISC", object: "\(name) tbf")
    }
}
