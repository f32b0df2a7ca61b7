#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// silo's exit statuses, as docker and podman use them: 125 for a runtime or usage error, 126 for
/// a command that cannot be executed, 127 for one that does not exist.
enum ExitStatus {
    static func of(_ e: RuntimeError) -> Int32 {
        switch e.code {
        case .cannotExecute: 126
        case .notFound: 127
        default: 125
        }
    }

    /// A failed execve (execvp's PATH search included).
    static func ofExec(_ e: SyscallError) -> Int32 {
        e.errno == ENOENT || e.errno == ENOTDIR ? 127 : 126
    }
}
