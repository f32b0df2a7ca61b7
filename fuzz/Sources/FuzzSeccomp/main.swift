import FuzzSupport
import SiloKit

// `--seccomp FILE`: the OCI / Docker profile reader, then the filter silo derives from it and
// its compilation to BPF by libseccomp (in memory; nothing is loaded).
let context = SeccompProfile.Context(capabilities: Set(Capabilities.names(in: Capabilities.defaultMask)))

fuzz { bytes in
    guard let profile = try? SeccompProfile.parse(json: String(decoding: bytes, as: UTF8.self), source: "fuzz", context: context)
    else { return }
    _ = profile.filter()
    _ = try? profile.compile(source: "fuzz")
}
