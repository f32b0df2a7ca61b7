#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

extension Spawn {
    /// Starts `argv` in a session of its own with stdin, stdout and stderr on /dev/null (or
    /// stdout and stderr on `log`), no other fd, and returns without waiting: a process that outlives its
    /// caller (a test network's container). Signals unblocked and at their defaults.
    public static func detached(_ argv: [String], log: String? = nil) throws(SyscallError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of the caller's: a test harness that watches a socket or pipe of its
        // child for EOF (Foundation's Process does) would wait for this one too.
        _ = silo_spawn_addclosefrom(&actions, 3)
        var pid: pid_t = 0
        let rc = SpawnAttributes.withDefaultSignals(newSession: true) { attr in
            CStringArray.with(argv) { cargv in
                posix_spawnp(&pid, argv[0], &actions, attr, UnsafeMutablePointer(mutating: cargv), environ)
            }
        }
        if rc != 0 { throw SyscallError("spawn", errno: rc, object: argv[0]) }
        return pid
    }
}
