#if canImport(Glibc)
import Glibc
#endif

/// Names for the signal numbers that code without Glibc (planners, fakes, tests) spells out.
public enum Signal {
    public static let kill: Int32 = SIGKILL
}
