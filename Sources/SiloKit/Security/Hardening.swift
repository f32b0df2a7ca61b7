#if canImport(Glibc)
import Glibc
#endif
import SiloSys

/// Capabilities, seccomp, no_new_privs, rlimits and the session for the plan, all decided in
/// the parent before clone (docs/security.md). The child only replays them.
enum Hardening {
    static func configure(_ plan: inout ContainerPlan, config: RunConfig) throws(RuntimeError) -> [Warning] {
        plan.noNewPrivs = config.noNewPrivileges
        // Without a terminal the container gets its own session, so it has no controlling
        // terminal and cannot reach the one silo was started from. With one, it shares it.
        plan.newSession = isatty(0) == 0
        // Without a controlling terminal there is none to keep out of reach, and setsid is not
        // free: it moves the process into a new scheduler autogroup, a reschedule that costs a
        // whole time slice on a busy machine (docs/rootless.md, "Benchmarks").
        if plan.newSession && !Terminal.hasControllingTerminal() {
            plan.newSession = false
            plan.newProcessGroup = true
        }

        let lastCap = Capabilities.lastCap()
        let caps = try Capabilities.resolve(add: config.capAdd, drop: config.capDrop, lastCap: lastCap)
        plan.capabilities = Capabilities.state(caps, uid: plan.uid, lastCap: lastCap)

        plan.rlimits = try Rlimits.plan(config.ulimits) { resource in
            var lim = rlimit()
            guard getrlimit(__rlimit_resource_t(UInt32(resource)), &lim) == 0 else { return nil }
            return (UInt64(lim.rlim_cur), UInt64(lim.rlim_max))
        }

        for path in thermalThrottlePaths() {
            plan.mounts.beforePivot.append(MountStep(.maskPaths, .mask(path)))
        }

        switch config.seccomp {
        case .unconfined:
            plan.seccompFilter = nil
        case .default:
            plan.seccompFilter = try DefaultSeccompProfile.bpf()
        case .profile(let path):
            let (bpf, warnings) = try loadProfile(path, capabilities: caps)
            plan.seccompFilter = bpf
            return warnings
        }
        return []
    }

    /// Docker's default profile is 20 KiB: a profile of megabytes is a mistake, not a policy.
    static let profileLimit = 4 << 20

    static func loadProfile(_ path: String, capabilities: UInt64) throws(RuntimeError) -> (bpf: [UInt8], warnings: [Warning]) {
        let text: String
        do { text = String(decoding: try RegularFile.read(path, limit: profileLimit), as: UTF8.self) } catch {
            throw RuntimeError(.usage, "--seccomp \(path): \(error.reason)")
        }
        let context = SeccompProfile.Context(capabilities: Set(Capabilities.names(in: capabilities)),
                                             goArchitecture: goArchitecture(Seccomp.nativeArchitecture),
                                             kernel: Kernel.version())
        let profile = try SeccompProfile.parse(json: text, source: path, context: context)
        var warnings: [Warning] = []
        if !profile.skipped.isEmpty {
            let list = profile.skipped.map { "\($0.name) (\($0.path))" }.joined(separator: ", ")
            warnings.append(Warning("seccomp profile \(path): libseccomp \(Seccomp.libraryVersion) does not know \(list); those rules are skipped and the calls get the default action"))
        }
        let (_, overridden) = profile.filter()
        if !overridden.isEmpty {
            warnings.append(Warning("seccomp profile \(path): \(overridden.joined(separator: " and ")) \(overridden.count == 1 ? "stays" : "stay") allowed (silo reports errors with them)"))
        }
        return (try profile.compile(source: path), warnings)
    }

    /// Per-CPU thermal throttle counters leak what the host's other tenants do (Docker masks
    /// them since GHSA-6fw5-f8r9-fgfm). One per possible CPU: the child's `.mask` skips the
    /// ones this machine lacks, so the parent stats nothing here.
    static func thermalThrottlePaths() -> [String] {
        guard let possible = try? FileIO.read("/sys/devices/system/cpu/possible") else { return [] }
        var out: [String] = []
        for range in possible.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
            let ends = range.split(separator: "-").compactMap { Int($0) }
            guard let first = ends.first, let last = ends.last, first <= last, last < 65536 else { continue }
            for cpu in first...last {
                out.append("/sys/devices/system/cpu/cpu\(cpu)/thermal_throttle")
            }
        }
        return out
    }

    /// Docker profiles name architectures the Go way in includes/excludes.
    static func goArchitecture(_ libseccompName: String) -> String {
        switch libseccompName {
        case "x86_64": "amd64"
        case "x86": "386"
        case "aarch64": "arm64"
        case "mipsel64": "mips64le"
        case "mipsel": "mipsle"
        default: libseccompName
        }
    }
}
