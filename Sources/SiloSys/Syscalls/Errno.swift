#if canImport(Glibc)
import Glibc
#endif

/// errno values by name, for code that does not import Glibc (SiloKit's planners, the fakes, tests).
public enum Errno {
    public static let notPermitted = EPERM
    public static let noSuchFile = ENOENT
    public static let noSuchProcess = ESRCH
    public static let interrupted = EINTR
    public static let ioError = EIO
    public static let tryAgain = EAGAIN
    public static let permissionDenied = EACCES
    public static let fileExists = EEXIST
    public static let noSuchDevice = ENODEV
    public static let notADirectory = ENOTDIR
    public static let isADirectory = EISDIR
    public static let invalidArgument = EINVAL
    public static let notImplemented = ENOSYS
    public static let tooBig = E2BIG
}
