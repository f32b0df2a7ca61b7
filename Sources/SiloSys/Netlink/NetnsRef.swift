#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// A network namespace to create or move a link into: an open nsfs fd (IFLA_NET_NS_FD) or the
/// pid of a process inside it (IFLA_NET_NS_PID).
public enum NetnsRef: Equatable, Sendable {
    case fd(Int32)
    case pid(Int32)
}
