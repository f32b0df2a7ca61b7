#if canImport(Glibc)
import Glibc
#endif

public enum Exec {
    /// execvp: PATH search as the shell does it, in silo's own environment. Returns only on
    /// failure. (The container's command is searched by ContainerInit.exec, in the container's PATH.)
    public static func searchingPath(_ argv: [String]) -> SyscallError {
        var code: Int32 = 0
        CStringArray.with(argv) { cargv in
            _ = Glibc.execvp(argv[0], cargv)
            code = Glibc.errno
        }
        return SyscallError("exec", errno: code, object: argv[0])
    }
}
