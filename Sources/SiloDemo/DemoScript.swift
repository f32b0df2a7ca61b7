#if canImport(Glibc)
import Glibc
#endif
import SiloKit
import SiloSys

/// A tiny script builder: each block echoes its marker, then runs its command with stderr
/// on stdout, so that a refusal (`Operation not permitted`) is evidence too.
struct DemoScript {
    private(set) var text = "exec 2>&1\n"

    mutating func block(_ name: String, _ command: String) {
        text += "echo @@\(name)\n\(command)\n"
    }

    /// What a kept container runs last: it says so, then sleeps with its pipes to the demo
    /// closed, so that the demo can exit and the container stays.
    static let keepTail = "echo \(DemoContainer.kept)\nexec sleep 2147483647 </dev/null >/dev/null 2>&1\n"

    /// Everything after this runs once the host has measured its side.
    mutating func waitForHost() {
        text += "echo \(DemoContainer.ready)\nread -r _ || true\n"
    }
}
