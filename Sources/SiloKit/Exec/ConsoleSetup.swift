#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// The OCI terminal: a pty made in the container's own devpts, the slave as the process's
/// controlling terminal and stdio, the master handed to the engine over `--console-socket`
/// (docs/oci.md, "Terminal").
public enum ConsoleSetup {
    /// Call in the process that will exec the user's command, once `/dev/ptmx` is the
    /// container's (after setns into its mount namespace, or in `create`'s init after devpts is
    /// mounted and pivot_root is done) and before the user switch (the pty is opened as
    /// container root; `owner` then gets the slave, as runc chowns the console).
    ///
    /// `consoleSocket` is connected (UnixSocket.connect) before the mount namespace changes,
    /// since its path is the host's. The master goes over it with SCM_RIGHTS, exactly one fd
    /// and a one-byte payload (what conmon and containerd's shim accept); then the master and
    /// the socket are closed here, so the container keeps neither.
    public static func attachNewPty(consoleSocket: Int32, size: (rows: UInt16, columns: UInt16)? = nil,
                                    owner: uid_t? = nil, console: String? = nil) throws(SyscallError) {
        let pty = try Pty.open()
        defer { close(pty.master) }
        if let size, size.rows > 0 || size.columns > 0 { try pty.setSize(rows: size.rows, columns: size.columns) }
        if let owner, owner != 0, fchown(pty.slave, owner, gid_t.max) != 0 {
            throw SyscallError.last("fchown", pty.slaveName)
        }
        if let console { try bindConsole(pty, at: console) }
        try pty.becomeControllingTerminal()
        try UnixSocket.send(fd: pty.master, over: consoleSocket, payload: [0x20], object: "console socket")
        close(consoleSocket)
    }

    /// `silo run` without -i or -t on a terminal: nothing in the container reads the caller's
    /// terminal (docker's behaviour; a pipe or a file on stdin is still passed on as it is).
    public static func stdinFromNull() throws(SyscallError) {
        let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SyscallError.last("open", "/dev/null") }
        if fd == 0 {
            _ = fcntl(0, F_SETFD, 0)  // stdin was closed: this is it, and must survive the exec
        } else {
            if dup2(fd, 0) < 0 { throw SyscallError.last("dup2", "/dev/null") }
            close(fd)
        }
    }

    /// A container's init (create) also gets its pty as /dev/console, as runc and the spec's
    /// default devices have it: an empty file bound over by the slave. Only in `create`, where
    /// no process of the container runs yet that could swap the path.
    static func bindConsole(_ pty: Pty, at path: String) throws(SyscallError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
        } else {
            // A rootfs's own /dev/console may stay (a node or file), but not as a symlink the bind would follow.
            var st = stat()
            if errno != EEXIST || lstat(path, &st) != 0 { throw SyscallError.last("open", path) }
            if st.st_mode & S_IFMT == S_IFLNK { throw SyscallError("mount", errno: ELOOP, object: path) }
        }
        if mount(pty.slaveName, path, nil, UInt(MS_BIND), nil) != 0 { throw SyscallError.last("mount", path) }
    }
}
