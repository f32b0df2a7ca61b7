#if canImport(Glibc)
import Glibc
#endif

/// silo's own environment (SILO_PATH, SILO_ROOTFS, SILO_TRACE…), not the container's.
public enum ProcessEnvironment {
    public static func value(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}
