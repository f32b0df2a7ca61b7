#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

public enum HostIdentity {
    /// Real root: euid 0 in the initial user namespace (crun's is_rootless() test).
    public static var isRealRoot: Bool {
        guard geteuid() == 0, let map = try? FileIO.read("/proc/self/uid_map") else { return false }
        let f = map.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        return f.count == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295"
    }

    public static var hasTimeNamespaces: Bool { FileIO.exists("/proc/self/ns/time") }
}
