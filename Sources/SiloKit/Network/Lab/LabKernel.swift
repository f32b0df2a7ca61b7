import SiloSys

/// What `Lab` asks of the kernel, one step per call, namespaces named: the seam the unit tests
/// replace to check the order of `up` and what a failure half-way rolls back. The real one is
/// `LinuxLabKernel` (named namespaces, rtnetlink, /proc/sys inside the namespace).
public protocol LabKernel: AnyObject {
    func addNamespace(_ ns: String) throws(RuntimeError)
    /// Removes the name; a name that is already gone is not an error.
    func deleteNamespace(_ ns: String) throws(RuntimeError)
    func addBridge(_ name: String, in ns: String) throws(RuntimeError)
    /// A veth pair, one end in each namespace, both with `mtu` if given, both down.
    func addVeth(_ a: LabDevice, _ b: LabDevice, mtu: Int?) throws(RuntimeError)
    func setMaster(_ device: LabDevice, bridge: String) throws(RuntimeError)
    func addAddress(_ address: IPNetwork, on device: LabDevice) throws(RuntimeError)
    func setUp(_ device: LabDevice, _ up: Bool) throws(RuntimeError)
    /// Waits (a bounded time) until each device has a carrier: the kernel turns it on from a
    /// worker that runs at most once a second, and a bridge forwards nothing before it.
    func waitForCarrier(_ devices: [LabDevice])
    func addRoute(_ destination: IPNetwork, via gateway: IPAddress, on device: LabDevice) throws(RuntimeError)
    /// netem on the device's egress; nil puts the default qdisc back.
    func setNetem(_ device: LabDevice, _ settings: NetemSettings?) throws(RuntimeError)
    /// A tbf rate limit on the device's egress (replacing netem, both being the root qdisc).
    func setRate(_ device: LabDevice, _ settings: TbfSettings) throws(RuntimeError)
    /// net.ipv4.ip_forward and net.ipv6.conf.all.forwarding, written inside `ns`.
    func enableForwarding(in ns: String) throws(RuntimeError)
    /// A container in `ns` (`silo run --network netns:NS`); its PID and start time.
    func startContainer(_ c: LabTopology.Container, in ns: String) throws(RuntimeError) -> (pid: Int32, startTime: UInt64)
    /// SIGKILL to the process if it is still the one started (same start time), and reaps it.
    func kill(pid: Int32, startTime: UInt64)
    /// Releases what the kernel object holds (sockets, fds).
    func finish()
}

/// A device in one of the lab's namespaces.
public struct LabDevice: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    public init(_ namespace: String, _ name: String) {
        self.namespace = namespace
        self.name = name
    }
    public var description: String { "\(namespace):\(name)" }
}
