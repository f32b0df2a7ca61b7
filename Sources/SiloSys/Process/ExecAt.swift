#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// execveat(2) of an O_PATH fd (AT_EMPTY_PATH): runs the file the fd names without a path
/// lookup, so a command opened before a user switch runs even when its directories are not
/// searchable by the new user (the file itself must still be executable by it).
public enum ExecAt {
    /// Returns only on failure.
    public static func run(_ fd: Int32, _ argv: [String], _ envp: [String], object: String) -> SyscallError {
        var code: Int32 = 0
        CStringArray.with(argv) { cargv in
            CStringArray.with(envp) { cenvp in
                _ = silo_execveat(fd, "", cargv, cenvp, 0x1000 /* AT_EMPTY_PATH */)
                code = errno
            }
        }
        return SyscallError("exec", errno: code, object: object)
    }
}
