#if canImport(Glibc)
import Glibc
#endif
import CSeccomp
import CSiloShim

/// What the kernel does when a filter matches (the SECCOMP_RET_* values libseccomp uses).
public enum SeccompAction: Equatable, Hashable, Sendable, CustomStringConvertible {
    case allow
    case errno(UInt16)
    case killThread
    case killProcess
    case trap
    case trace(UInt16)
    case log

    var raw: UInt32 {
        switch self {
        case .allow: 0x7fff_0000
        case .errno(let e): 0x0005_0000 | UInt32(e)
        case .killThread: 0x0000_0000
        case .killProcess: 0x8000_0000
        case .trap: 0x0003_0000
        case .trace(let e): 0x7ff0_0000 | UInt32(e)
        case .log: 0x7ffc_0000
        }
    }

    public var description: String {
        switch self {
        case .allow: "allow"
        case .errno(let e): "errno \(e)"
        case .killThread: "kill thread"
        case .killProcess: "kill process"
        case .trap: "trap"
        case .trace(let e): "trace \(e)"
        case .log: "log"
        }
    }
}
