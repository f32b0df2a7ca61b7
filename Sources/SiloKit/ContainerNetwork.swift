#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// The container's network, for `--network`: prepared in the parent before clone, configured
/// after the child exists (its netns is /proc/PID/ns/net), released when it has exited.
struct ContainerNetwork {
    /// Whether clone() gets CLONE_NEWNET (false when joining a named netns).
    var newNamespace = true
    /// A sysfs mount made by the parent for the container's netns, moved in by the child.
    var sysfsFD: Int32?

    static func prepare(_ config: RunConfig) throws(RuntimeError) -> ContainerNetwork {
        switch config.network {
        case .none:
            return ContainerNetwork()
        case .netns, .bridge:
            throw RuntimeError(.usage, "network: only `none` is implemented yet")
        }
    }

    /// Called after the id maps are written and before the child goes on.
    mutating func configure(childPID: pid_t) throws(SyscallError) {}

    /// Called once the container has exited (or failed to start): remove what silo made.
    mutating func release() {}
}
