#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// The monitor's side of `silo run -dt`: it holds the container's pty master for the
/// container's whole life (so that the terminal never hangs up when nobody is attached), copies
/// everything the container prints into the log, and relays between the pty and one
/// `silo attach` at a time over `attach.sock` in the container's state directory
/// (AttachChannel). A second attach is refused with a `b` message while the first is connected;
/// typed input goes to the pty only for a container started with -i.
struct AttachServer {
    let path: String
    let interactive: Bool
    private(set) var listener: Int32
    /// The attached client, -1 when none; kept open after the exit is sent, until the monitor
    /// exits, so that the client's end of file means "the exit is recorded".
    private(set) var client: Int32 = -1

    /// Before the container starts: a bind failure stops `run -d` with its reason.
    init(directory: String, interactive: Bool) throws(RuntimeError) {
        path = directory + "/" + AttachChannel.socketName
        self.interactive = interactive
        do { listener = try AttachChannel.listen(path) } catch { throw RuntimeError(error) }
    }

    /// Relays until the command exits, then drains what its last processes wrote, reaps it,
    /// and removes the socket (nobody can attach to an exited container).
    mutating func relay(pid: pid_t, master: Int32, log: inout ContainerLog) -> Int32 {
        let command = try? Pidfd.open(pid)
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
        var buffer = [UInt8](repeating: 0, count: AttachChannel.maxMessage)
        var masterOpen = true
        ProcessMappings.dropCleanFilePages()
        while command != nil {
            var fds = [pollfd(fd: masterOpen ? master : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: command?.fd ?? -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: client, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 4, -1) < 0 { if errno == EINTR { continue }; break }
            if fds[0].revents != 0 && !copyOut(master, &buffer, &log) { masterOpen = false }
            if fds[1].revents != 0 { break }
            if fds[2].revents != 0 { accept() }
            if fds[3].revents != 0 { readClient(master, &buffer) }
        }
        let status = ProcessWait.status(of: pid)
        var last = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        while masterOpen && poll(&last, 1, 100) > 0 && copyOut(master, &buffer, &log) {}
        close(master)
        close(listener)
        listener = -1
        unlink(path)
        return status
    }

    /// No pty came (the console socket failed): nobody may wait on a socket that will never
    /// be served.
    mutating func abandon() {
        close(listener)
        listener = -1
        unlink(path)
    }

    /// Tells the attached client the container's status (after it was recorded).
    func sendExit(_ status: Int32) {
        if client >= 0 { AttachChannel.send(.exit, Array(String(status).utf8), to: client) }
    }

    /// false once the pty has no slave left (EIO).
    private mutating func copyOut(_ master: Int32, _ buffer: inout [UInt8], _ log: inout ContainerLog) -> Bool {
        let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count - 1) }
        if n < 0 { return errno == EAGAIN || errno == EINTR }
        if n == 0 { return false }
        buffer.withUnsafeBytes { log.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        if client >= 0 && !AttachChannel.send(.output, buffer[0..<n], to: client) { dropClient() }
        return true
    }

    private mutating func accept() {
        let fd = AttachChannel.accept(listener)
        guard fd >= 0 else { return }
        if client >= 0 {
            AttachChannel.send(.busy, Array("another silo attach is connected to this container".utf8), to: fd)
            close(fd)
            return
        }
        client = fd
        AttachChannel.send(.hello, [interactive ? 1 : 0], to: fd)
    }

    private mutating func readClient(_ master: Int32, _ buffer: inout [UInt8]) {
        let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
        guard n > 0 else {
            // Detached (or gone): back to idle, so give back the pages the session mapped, as
            // before the first poll.
            dropClient()
            ProcessMappings.dropCleanFilePages()
            return
        }
        let payload = buffer[1..<n]
        switch AttachChannel.Kind(rawValue: buffer[0]) {
        case .input? where interactive:
            writeAll(master, payload)
        case .window?:
            guard let size = AttachChannel.window(from: payload) else { return }
            AttachChannel.setWindowSize(master, size)
        default:
            break
        }
    }

    private mutating func dropClient() {
        close(client)
        client = -1
    }

    /// The pty's input queue is full only when the container reads nothing: wait a little
    /// for it, then drop the rest, as a terminal whose reader is stuck would.
    private func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) {
        var rest = bytes
        while !rest.isEmpty {
            let n = rest.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n > 0 { rest = rest.dropFirst(n); continue }
            if n < 0 && errno == EINTR { continue }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard n < 0 && errno == EAGAIN && poll(&p, 1, 1000) > 0 else { return }
        }
    }
}
