#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// `silo demo` as a library: one section per namespace kind, each starting a container and
/// weighing the evidence from both sides. Printing is the caller's (SiloCLI's DemoReport).
public enum Demo {
    public typealias Section = (kind: NamespaceKind, run: @Sendable (DemoContext) -> DemoSection)

    /// In the order the demo shows them.
    public static let sections: [Section] = [
        (.mnt, DemoMount.run), (.uts, DemoUTS.run), (.ipc, DemoIPC.run), (.pid, DemoPID.run),
        (.net, DemoNet.run), (.user, DemoUser.run), (.cgroup, DemoCgroup.run), (.time, DemoTime.run),
    ]
}
