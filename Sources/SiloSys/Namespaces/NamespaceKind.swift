/// The kinds of namespace, in `lsns` order (also the order of the /proc/PID/ns listings silo
/// prints). Kernel data (flag, /proc name, initial inode) that the runtime, the demo and the
/// command line all need, so it lives next to CloneFlags.
public enum NamespaceKind: String, CaseIterable, Comparable, Sendable {
    case cgroup, ipc, mnt, net, pid, time, user, uts
    public var cloneFlag: CloneFlags {
        switch self {
        case .cgroup: .newCgroup
        case .ipc: .newIPC
        case .mnt: .newNS
        case .net: .newNet
        case .pid: .newPID
        case .time: .newTime
        case .user: .newUser
        case .uts: .newUTS
        }
    }
    public var cloneFlagName: String { "CLONE_NEW" + (self == .mnt ? "NS" : rawValue.uppercased()) }
    public var initialInode: UInt64 {
        switch self {
        case .ipc: 0xEFFF_FFFF
        case .uts: 0xEFFF_FFFE
        case .user: 0xEFFF_FFFD
        case .pid: 0xEFFF_FFFC
        case .cgroup: 0xEFFF_FFFB
        case .time: 0xEFFF_FFFA
        case .net: 0xEFFF_FFF9
        case .mnt: 0xEFFF_FFF8
        }
    }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}
