import CSiloShim

extension FileIO {
    /// openat2(2) with `resolve` flags (RESOLVE_IN_ROOT…): the fd, or -1 with errno set.
    public static func openat2(_ dir: Int32, _ path: String, flags: Int32, mode: UInt64 = 0, resolve: UInt64) -> Int32 {
        silo_openat2(dir, path, UInt64(flags), mode, resolve)
    }
}
