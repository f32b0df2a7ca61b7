import SiloKit
import SiloSys
#if canImport(Glibc)
import Glibc
#endif

/// What a section's container left: its blocks, its PID as the host numbered it, and its
/// namespace as the host saw it (/proc/PID/ns/KIND) while it ran.
struct DemoRun {
    var blocks: DemoBlocks
    var pid: pid_t
    var namespaceFromHost: String?
}

