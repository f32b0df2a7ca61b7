#if canImport(Glibc)
import Glibc
#endif
import SiloSys

extension ContainerStateStore {
    static let seccompFile = "seccomp.bpf"

    /// Records the filter of the container's process: stored next to state.json when it is a
    /// profile of the container's own, so that exec neither re-reads nor re-compiles it (the
    /// config copy could be parsed again; libseccomp would take milliseconds for podman's).
    public func saveSeccomp(_ filter: [UInt8]?, builtIn: Bool, id: String) throws(RuntimeError) -> SeccompSource {
        guard let filter else { return .unconfined }
        if builtIn { return .builtIn }
        try keep(Self.seccompFile, filter, id: id)
        return .stored
    }

    /// The filter an exec'd process of `record` loads (nil: none). A record from before
    /// `seccomp` was kept gets silo's default, as exec gave then.
    public func seccompFilter(of record: ContainerRecord) throws(RuntimeError) -> [UInt8]? {
        switch record.seccomp {
        case .unconfined?: return nil
        case .builtIn?, nil: return try DefaultSeccompProfile.bpf()
        case .stored?:
            let path = directory(of: record.id) + "/" + Self.seccompFile
            guard let bytes = try kept(Self.seccompFile, id: record.id) else {
                throw RuntimeError(.runtime, "state of \(record.id): \(path): \(errnoString(ENOENT))")
            }
            // struct sock_filter is 8 bytes; the kernel takes at most BPF_MAXINSNS (4096).
            guard !bytes.isEmpty, bytes.count % 8 == 0, bytes.count <= 4096 * 8 else {
                throw RuntimeError(.runtime, "state of \(record.id): \(path): not a seccomp filter (\(bytes.count) bytes)")
            }
            return bytes
        }
    }
}
