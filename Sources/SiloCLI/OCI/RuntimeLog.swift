#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSpec
import SiloSys

/// The `--log FILE` of runc: each error (and warning) appended as one line, in logrus' JSON form
/// `{"level":"error","msg":"...","time":"2026-12-04T22:06:18Z"}` or its text form
/// `time="..." level=error msg="..."`. containerd's shim reads the last `"level":"error"` object
/// of the file after a failed create, start or exec; conmon passes the file to podman.
/// The message still goes to stderr as well.
public enum RuntimeLog {
    /// One line, newline included. `time` is RFC 3339 in UTC to the second, as logrus writes it.
    public static func line(level: String, message: String, format: GlobalOptions.LogFormat, time: String) -> String {
        switch format {
        case .json:
            let object: JSON = .fields([("level", .string(level)), ("msg", .string(message)), ("time", .string(time))])
            return object.encoded() + "\n"
        case .text:
            // logrus quotes a value with Go's %q; JSON's string escaping is the same for the
            // characters a message holds (quotes, backslashes, controls).
            return "time=\(JSON.string(time).encoded()) level=\(level) msg=\(JSON.string(message).encoded())\n"
        }
    }

    /// Now, as logrus' default time format.
    public static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return ContainerRecord.timestamp(timespec(tv_sec: ts.tv_sec, tv_nsec: 0))
    }

    /// A warning goes to the `--log` file when there is one, and only there (runc's logrus does
    /// the same): create's stderr is the container's stderr, which conmon and containerd's shim
    /// turn into the container's log, so a warning on it would read as the process's output.
    /// Without --log it goes to stderr.
    static func warn(_ warning: Warning, _ options: GlobalOptions) {
        warn(warning.message, options)
    }

    static func warn(_ message: String, _ options: GlobalOptions) {
        guard options.logPath != nil else { return Output.error("silo: warning: \(message)") }
        append(options, level: "warning", message: message)
    }

    /// Appends one line to `options.logPath` (O_APPEND, created 0644 as runc does); nothing when
    /// no log was asked for. A log that cannot be written is not a second error: the message is
    /// on stderr already.

    public static func append(_ options: GlobalOptions, level: String, message: String) {
        guard let path = options.logPath else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        try? FileIO.writeAll(fd: fd, Array(line(level: level, message: message, format: options.logFormat, time: now()).utf8))
    }
}
