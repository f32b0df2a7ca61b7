#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// A pseudo-terminal pair from the devpts instance `/dev/ptmx` leads to in the caller's mount
/// namespace: in a container, `/dev/ptmx -> pts/ptmx` is the container's own devpts (mounted
/// `newinstance`), so the pty's name and number are the container's, not the host's.
public struct Pty {
    public let master: Int32
    public let slave: Int32
    /// N of /dev/pts/N.
    public let number: UInt32

    // The <asm-generic/ioctls.h> numbers; Swift imports none of the _IO* macros. x86 and arm64 share them.
    static let setLock: UInt = 0x4004_5431       // TIOCSPTLCK, _IOW('T', 0x31, int)
    static let getNumber: UInt = 0x8004_5430     // TIOCGPTN, _IOR('T', 0x30, unsigned int)
    static let getPeer: UInt = 0x5441            // TIOCGPTPEER, _IO('T', 0x41)
    static let setControlling: UInt = 0x540E     // TIOCSCTTY
    static let setWindowSize: UInt = 0x5414      // TIOCSWINSZ

    /// Opens the master (close-on-exec), unlocks it (unlockpt) and opens the slave through the
    /// master (TIOCGPTPEER, Linux 4.13): never by its /dev/pts/N path, which a process of the
    /// container could replace between the two opens.
    public static func open(ptmx: String = "/dev/ptmx") throws(SyscallError) -> Pty {
        let master = retryingEINTR { Glibc.open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC) }
        if master < 0 { throw SyscallError.last("open", ptmx) }
        var unlock: Int32 = 0
        var number: UInt32 = 0
        if silo_ioctl_ptr(master, setLock, &unlock) != 0 || silo_ioctl_ptr(master, getNumber, &number) != 0 {
            let e = SyscallError.last("ioctl(TIOCSPTLCK)", ptmx)
            close(master)
            throw e
        }
        let slave = silo_ioctl_ptr(master, getPeer, UnsafeMutableRawPointer(bitPattern: UInt(O_RDWR | O_NOCTTY | O_CLOEXEC)))
        if slave < 0 {
            let e = SyscallError.last("ioctl(TIOCGPTPEER)", "/dev/pts/\(number)")
            close(master)
            throw e
        }
        return Pty(master: master, slave: slave, number: number)
    }

    public var slaveName: String { "/dev/pts/\(number)" }

    public func setSize(rows: UInt16, columns: UInt16) throws(SyscallError) {
        var ws = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        if silo_ioctl_ptr(master, Pty.setWindowSize, &ws) != 0 { throw SyscallError.last("ioctl(TIOCSWINSZ)", slaveName) }
    }

    /// Makes the slave the caller's controlling terminal and its stdin, stdout and stderr: a new
    /// session first unless the caller leads one already (a session leader cannot setsid), then
    /// TIOCSCTTY, then dup2 onto 0, 1, 2 (dup2 clears close-on-exec on the copies). The slave's
    /// own fd is closed.
    public func becomeControllingTerminal() throws(SyscallError) {
        if getsid(0) != getpid() && setsid() < 0 { throw SyscallError.last("setsid") }
        if silo_ioctl_ptr(slave, Pty.setControlling, nil) != 0 { throw SyscallError.last("ioctl(TIOCSCTTY)", slaveName) }
        for target: Int32 in 0...2 where dup2(slave, target) < 0 {
            throw SyscallError.last("dup2", slaveName)
        }
        if slave > 2 { close(slave) }
    }
}
