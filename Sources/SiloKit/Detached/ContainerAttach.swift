#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// `silo attach`: finds the attach socket of a running `run -dt` container (AttachServer).
/// A container started without -t has none: attach refuses it and names what works instead
/// (`logs -f`, `exec -it`), rather than following the log as docker does; its output is
/// one `logs -f` away and its stdin is /dev/null, so there is nothing attach could add.
public enum ContainerAttach {
    /// A connected socket; the errors name the container and say why not.
    public static func connect(id: String, store: ContainerStateStore) throws(RuntimeError) -> Int32 {
        let record = try store.load(id: id)
        let status = DetachedStatus.of(id, record: record, store: store)
        let short = String(id.prefix(12))
        guard status.state != .exited else {
            throw RuntimeError(.runtime, "container \(short): not running (\(status.text())); `silo logs \(short)` shows its output")
        }
        let path = store.directory(of: id) + "/" + AttachChannel.socketName
        guard access(path, F_OK) == 0 else {
            throw RuntimeError(.runtime, "container \(short): no terminal to attach to (started without -t); `silo logs -f \(short)` follows its output, `silo exec -it \(short) sh` opens a shell")
        }
        do { return try AttachChannel.connect(path) } catch {
            if error.errno == EAGAIN { throw unanswered(id, record: record) }
            throw RuntimeError(.runtime, "container \(short): attach socket \(path): \(error.reason)")
        }
    }

    /// The monitor holds its attach socket but does not answer (stopped, or stuck).
    public static func unanswered(_ id: String, record: ContainerRecord?) -> RuntimeError {
        let monitor = record?.monitorPid.map { " (pid \($0))" } ?? ""
        let seconds = AttachChannel.answerTimeout / 1000
        return RuntimeError(.runtime, "container \(id.prefix(12)): its monitor\(monitor) did not answer within \(seconds) s (stopped or stuck?)")
    }
}
