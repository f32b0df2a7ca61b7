#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// Unbuffered output straight to fds 1 and 2 (no stdio buffering to lose at _exit). Only the
/// command line writes to them; SiloKit returns values.
enum Output {
    static func out(_ s: String) { write(1, s.hasSuffix("\n") ? s : s + "\n") }
    static func error(_ s: String) { write(2, s.hasSuffix("\n") ? s : s + "\n") }
    static func warning(_ w: Warning) { error("silo: warning: \(w.message)") }
    static func write(_ fd: Int32, _ s: String) {
        try? FileIO.writeAll(fd: fd, Array(s.utf8))
    }
}
