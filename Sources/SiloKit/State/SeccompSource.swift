/// Where the filter of a container's process comes from, kept in its record so that `exec`
/// gives an exec'd process the same one (docs/oci.md, "exec"): an OCI container's is its
/// config's `linux.seccomp` (none without it), a `silo run -d` container's its `--seccomp`.
public enum SeccompSource: String, Sendable {
    /// The container runs without a filter (no `linux.seccomp`, or `--seccomp unconfined`).
    case unconfined
    /// silo's DefaultSeccompProfile, compiled into silo: nothing is stored.
    case builtIn = "default"
    /// A profile compiled at create, stored as ROOT/ID/seccomp.bpf.
    case stored
}
