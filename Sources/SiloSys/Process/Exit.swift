#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

public enum Exit {
    /// _exit(2): no atexit handlers, no stdio flush, for children that must not run the parent's.
    public static func now(_ status: Int32) -> Never { silo_exit(status) }
}
