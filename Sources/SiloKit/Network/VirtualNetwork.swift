#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// Wiring network namespaces together: veth pairs between named namespaces (or one and the
/// host), and silo's Linux bridges that containers plug into.
public enum VirtualNetwork {
    /// One end of a veth pair: which namespace (nil: the host's, where silo runs), the
    /// device's name there, and the addresses to give it.
    public struct End: Equatable, Sendable {
        public var namespace: String?
        public var device: String?
        public var addresses: [IPNetwork] = []
        public init(namespace: String?, device: String? = nil, addresses: [IPNetwork] = []) {
            self.namespace = namespace
            self.device = device
            self.addresses = addresses
        }
        public var label: String { namespace ?? "host" }
    }

    /// Why `name` cannot name a network device, or nil (the kernel's dev_valid_name).
    public static func invalidDeviceName(_ name: String) -> String? {
        if name.isEmpty { return "empty" }
        if name.utf8.count > 15 { return "longer than 15 bytes" }
        if name == "." || name == ".." { return "`.` and `..` are not names" }
        if name.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace }) { return "contains /, : or a space" }
        return nil
    }

    /// A veth pair between `a` and `b`, addressed and up. Made in one RTM_NEWLINK that puts
    /// each end straight into its namespace; removed again if any later step fails.
    /// Returns the device names chosen.
    public static func link(_ a: End, _ b: End) throws(NetnsError) -> (String, String) {
        if a.namespace == b.namespace {
            throw NetnsError(.failed, "netns link: both ends are in \(a.label); a link needs two different namespaces")
        }
        for end in [a, b] {
            if let d = end.device, let why = invalidDeviceName(d) { throw NetnsError(.failed, "device `\(d)` in \(end.label): invalid name (\(why))") }
        }
        var fds: [Int32] = []
        var sockets: [Netlink] = []
        defer {
            for fd in fds { close(fd) }
            for s in sockets { s.close() }
        }
        func socket(for end: End) throws(NetnsError) -> (Netlink, NetnsRef?) {
            do {
                guard let name = end.namespace else {
                    let s = try Netlink()
                    sockets.append(s)
                    return (s, nil)
                }
                let fd = try NamedNetns.open(name)
                fds.append(fd)
                let s = try Netlink(namespace: fd, name: name)
                sockets.append(s)
                return (s, .fd(fd))
            } catch let e as NetnsError {
                throw e
            } catch let e as SyscallError {
                throw NetnsError.failed(e)
            } catch {
                throw NetnsError(.failed, "\(error)")
            }
        }
        let (nlA, refA) = try socket(for: a)
        let (nlB, refB) = try socket(for: b)
        let nameA: String, nameB: String
        do throws(SyscallError) {
            if let d = a.device { nameA = d } else { nameA = try freeDeviceName(nlA, prefix: "veth") }
            if let d = b.device { nameB = d } else { nameB = try freeDeviceName(nlB, prefix: "veth") }
        } catch {
            throw NetnsError.failed(error)
        }
        let what = "\(a.label):\(nameA) <-> \(b.label):\(nameB)"
        // Made from silo's own namespace, the one an end without IFLA_NET_NS_FD lands in (the
        // request's socket decides it, for the peer too); the fds place the others.
        do throws(SyscallError) {
            let here: Netlink
            if refA == nil { here = nlA } else if refB == nil { here = nlB } else {
                here = try Netlink()
                sockets.append(here)
            }
            try here.addVeth(name: nameA, peer: nameB, namespace: refA, peerNamespace: refB, up: true)
        } catch {
            throw NetnsError(.failed, "veth \(what): \(error.call): \(error.reason)")
        }
        do throws(SyscallError) {
            for (nl, end, name) in [(nlA, a, nameA), (nlB, b, nameB)] {
                let index = try nl.linkIndex(name: name)
                for addr in end.addresses { try nl.addAddress(addr, index: index, name: "\(end.label):\(name)") }
                if nl === nlB { try nl.setLink(index: index, up: true, name: "\(end.label):\(name)") }
            }
        } catch {
            try? nlA.deleteLink(name: nameA)
            throw NetnsError(.failed, "veth \(what): \(error)")
        }
        return (nameA, nameB)
    }

    /// The first `prefixN` not taken in the socket's namespace.
    static func freeDeviceName(_ nl: Netlink, prefix: String) throws(SyscallError) -> String {
        let taken = Set(try nl.links().map(\.name))
        var n = 0
        while taken.contains("\(prefix)\(n)") { n += 1 }
        return "\(prefix)\(n)"
    }
}

// MARK: - Bridges
