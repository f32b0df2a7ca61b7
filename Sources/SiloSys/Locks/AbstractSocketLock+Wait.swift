#if canImport(Glibc)
import Glibc
#endif

extension AbstractSocketLock {
    /// Waits up to about two seconds for the lock; nil if it stays taken.
    public static func wait(_ name: String) -> Int32? {
        for _ in 0..<2000 {
            if let fd = tryLock(name) { return fd }
            usleep(1000)
        }
        return nil
    }
}
