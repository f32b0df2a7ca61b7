import SiloSys

/// Capability sets for the container's process, as 64-bit masks (bit N = capability N).
public struct CapabilityState: Equatable, Sendable {
    public var bounding: UInt64
    public var effective: UInt64
    public var permitted: UInt64
    public var inheritable: UInt64
    /// Raised after capset (OCI process.capabilities.ambient); silo run's own containers keep it empty.
    public var ambient: UInt64 = 0
    /// The highest capability number this kernel knows (/proc/sys/kernel/cap_last_cap).
    public var lastCap: Int32

    public init(bounding: UInt64, effective: UInt64, permitted: UInt64, inheritable: UInt64 = 0, lastCap: Int32) {
        self.bounding = bounding
        self.effective = effective
        self.permitted = permitted
        self.inheritable = inheritable
        self.lastCap = lastCap
    }
}
