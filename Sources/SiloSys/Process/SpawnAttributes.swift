#if canImport(Glibc)
import Glibc
#endif

/// posix_spawn attributes for a child that starts with every signal at its default and none
/// blocked, whatever its parent blocked or ignored: silo blocks the signals it forwards, and a
/// hook, a lab's container or a test's child must not inherit that.
public enum SpawnAttributes {
    /// `newSession`: POSIX_SPAWN_SETSID (glibc 2.26; Swift does not import the name).
    public static func withDefaultSignals<T>(newSession: Bool = false, _ body: (UnsafePointer<posix_spawnattr_t>) -> T) -> T {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (newSession ? 0x80 : 0)))
        return body(&attr)
    }
}
