#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// `silo demo` as a library: one section per namespace kind, each starting a container and
/// weighing the evidence from both sides. Printing is the caller's (SiloCLI's DemoReport).
public enum Demo {
    public typealias Section = (kind: NamespaceKind, about: @Sendable (DemoLanguage) -> DemoSection.About, run: @Sendable (DemoContext) -> DemoSection)

    /// In the order the demo shows them.
    public static let sections: [Section] = [
        (.mnt, DemoMount.about, DemoMount.run), (.uts, DemoUTS.about, DemoUTS.run), (.ipc, DemoIPC.about, DemoIPC.run),
        (.pid, DemoPID.about, DemoPID.run), (.net, DemoNet.about, DemoNet.run), (.user, DemoUser.about, DemoUser.run),
        (.cgroup, DemoCgroup.about, DemoCgroup.run), (.time, DemoTime.about, DemoTime.run),
    ]
}
