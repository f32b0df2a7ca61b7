#if canImport(Glibc)
import Glibc
#endif
import SiloSpec
import SiloSys

/// The OCI init's last stretch (`silo create`, docs/oci.md): everything up to exec is done by
/// `prepare`; then the command is resolved (so that `create`, not `start`, reports a missing
/// one), READY goes to `create`, and the init blocks opening exec.fifo until `start` reads it.
public struct CreateHold: Sendable {
    /// The O_PATH fd of ROOT/ID/exec.fifo (close-on-exec), opened before pivot_root.
    public var fifoFD: Int32
    /// Fds of the parent the init must not keep: the container's flock (or `start` would wait
    /// for it forever).
    public var closeAfterClone: [Int32] = []
    /// Run inside the container after the fifo opens, before no_new_privs, seccomp and exec.
    public var startContainer: [OCISpec.Hook] = []
    /// The state JSON the startContainer hooks read on stdin.
    public var hookInput: [UInt8] = []
    /// process.terminal: `--console-socket`, connected by the parent before clone (its path is
    /// the host's); the init makes the pty from the container's devpts and sends the master.
    public var consoleSocket: Int32 = -1
    public var consoleSize: (rows: UInt16, columns: UInt16)?

    public static let ready: UInt8 = 0x52  // "R": one byte, never a valid ErrorRecord

    public init(fifoFD: Int32) { self.fifoFD = fifoFD }

    func closeInheritedLocks() {
        for fd in closeAfterClone { close(fd) }
    }
}
