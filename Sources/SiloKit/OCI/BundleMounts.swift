#if canImport(Glibc)
import Glibc
#endif
import SiloSpec
import SiloSys

/// config.json's mounts as MountSteps: the same fd-based path as `silo run` (every target
/// resolved with RESOLVE_IN_ROOT in the child, mounted by fd). Binds are detached copies made
/// here, in the parent; everything else is a fresh instance made by the child.
enum BundleMounts {
    /// Options that are neither mount attributes nor file system parameters: propagation is
    /// left private (every detached copy is), atime flags keep the kernel's default.
    static let ignoredOptions: Set<String> = [
        "bind", "rbind", "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable",
        "runbindable", "relatime", "norelatime", "strictatime", "nostrictatime", "noatime", "atime",
        "nodiratime", "diratime", "defaults", "sync", "async", "dirsync", "mand", "nomand", "tmpcopyup",
        "rro", "rrw", "silent", "loud", "lazytime", "nolazytime",
    ]

    static func plan(_ spec: OCISpec, bundle: String, attachAt: String, bindsInChild: Bool = false, rootFD: Int32, readOnly: Bool,
                     bindSys: Bool, userNamespace: Bool = false, cgroup: BundleCgroup? = nil, cgroupNamespace: Bool = false,
                     trees: inout [Int32], rootless: Bool = false) throws(RuntimeError) -> MountPlan {
        // Rootless, the binds are the child's own copies (Rootless.placeholder), made first.
        var clones: [MountStep] = []
        var plan = MountPlan(newRoot: attachAt)
        func pre(_ s: InitStage, _ op: MountOp) { plan.beforePivot.append(MountStep(s, op)) }
        // Nothing of the container may reach the host: slave (or private) until pivot_root,
        // which refuses a shared parent; the config's rootfsPropagation is applied after it.
        let isPrivate = ["private", "rprivate"].contains(spec.linux?.rootfsPropagation ?? "")
        pre(.mountPropagation, .mount(source: nil, target: "/", type: nil, flags: [.rec, isPrivate ? .private : .slave], data: nil))
        var after: [MountStep] = []
        if let p = spec.linux?.rootfsPropagation, let flags = propagation(p) {
            after.append(MountStep(.mountPropagation, .mount(source: nil, target: "/", type: nil, flags: flags.union(.rec), data: nil)))
        }
        pre(.mountRootfs, .attachRoot(lowerFD: rootFD, overlay: false, upperOptions: "", at: attachAt))
        for (i, m) in spec.mounts.enumerated() {
            let dest = m.destination.hasPrefix("/") ? m.destination : "/" + m.destination
            var data = m.options.filter { !ignoredOptions.contains($0) }.joined(separator: ",")
            // The config's source names a fresh mount in mountinfo, as mount(2)'s source would.
            if !(m.options.contains("bind") || m.options.contains("rbind") || m.type == "bind"),
               let source = m.source, !source.isEmpty, !source.contains(",") {
                data = data.isEmpty ? "source=\(source)" : "source=\(source)," + data
            }
            let isBind = m.type == "bind" || m.options.contains("bind") || m.options.contains("rbind")
            if isBind {
                let step = try bind(m, index: i, dest: dest, bundle: bundle, inChild: bindsInChild && !userNamespace, trees: &trees,
                                    rootless: rootless, clones: &clones)
                pre(.mountVolumes, step)
                // A detached copy is private: the options' propagation is set once it is in place.
                for o in m.options {
                    guard let flags = propagation(o) else { continue }
                    after.append(MountStep(.mountPropagation, .mount(source: nil, target: dest, type: nil, flags: flags, data: nil)))
                }
                continue
            }
            switch m.type ?? "" {
            case "proc": pre(.mountProc, .fresh(type: "proc", target: dest, mode: 0o555, attributes: [], options: data))
            case "sysfs" where bindSys:
                // A user namespace without its own network namespace may not mount sysfs: a
                // read-only copy of the host's, as runc's rootless spec does.
                let fd = try copy("/sys", recursive: true, attributes: [.rdonly, .nosuid, .nodev, .noexec], index: i,
                                  rootless: rootless, clones: &clones)
                trees.append(fd)
                pre(.mountSys, .moveTree(fd: fd, target: dest, isFile: false))
            case "sysfs": pre(.mountSys, .fresh(type: "sysfs", target: dest, mode: 0o555, attributes: [], options: data))
            case "tmpfs": pre(.mountTmpfs, .fresh(type: "tmpfs", target: dest, mode: 0o755, attributes: [], options: data))
            case "devpts", "mqueue": pre(.mountDev, .fresh(type: m.type!, target: dest, mode: 0o755, attributes: [], options: data))
            case "cgroup", "cgroup2":
                // The container's own cgroup, read-only (none on a host without usable cgroups).
                plan.beforePivot += try cgroup?.mountSteps(at: dest, cgroupNamespace: cgroupNamespace, trees: &trees) ?? []
            default:
                throw RuntimeError(.usage, "config.json: .mounts[\(i)].type: mount type \"\(m.type ?? "")\" is not supported")
            }
        }
        for key in (spec.linux?.sysctl ?? [:]).keys.sorted() {
            guard !key.contains("/"), !key.split(separator: ".").contains(".."), !key.isEmpty else {
                throw RuntimeError(.usage, "config.json: .linux.sysctl.\"\(key)\": not a sysctl name")
            }
            pre(.sysctl, .sysctl(key: key, value: spec.linux!.sysctl[key]!))
        }
        plan.beforePivot += try deviceSteps(spec, userNamespace: userNamespace)
        for p in spec.linux?.maskedPaths ?? [] { pre(.maskPaths, .mask(p)) }
        for p in spec.linux?.readonlyPaths ?? [] { pre(.maskPaths, .readonlyIfPresent(p)) }
        if let attach = plan.beforePivot.firstIndex(where: { if case .attachRoot = $0.op { true } else { false } }) {
            plan.beforePivot.insert(contentsOf: clones, at: attach)
        }
        plan.afterPivot += after
        if readOnly { plan.afterPivot.append(MountStep(.readonlyRoot, .setattr(path: "/", recursive: false, set: .rdonly))) }
        return plan
    }

    /// /dev: the default devices, always (podman sends only "deny all"), as runc makes them; one
    /// the config names itself (podman --privileged lists every host node) is the config's.
    static func deviceSteps(_ spec: OCISpec, userNamespace: Bool) throws(RuntimeError) -> [MountStep] {
        var steps: [MountStep] = []
        let configured = Set((spec.linux?.devices ?? []).map { $0.path.hasPrefix("/") ? $0.path : "/" + $0.path })
        for d in MountPlan.devices where !configured.contains("/dev/" + d) {
            steps.append(MountStep(.mountDev, .bindDevice(source: "/dev/" + d, target: "/dev/" + d)))
        }
        if !configured.contains("/dev/ptmx") { steps.append(MountStep(.mountDev, .symlink(target: "pts/ptmx", at: "/dev/ptmx"))) }
        for (i, d) in (spec.linux?.devices ?? []).enumerated() {
            steps.append(MountStep(.mountDev, try device(d, index: i, bind: userNamespace)))
        }
        for (name, target) in [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")] {
            steps.append(MountStep(.mountDev, .symlink(target: target, at: "/dev/" + name)))
        }
        return steps
    }

    /// An extra `linux.devices` node: made by mknod, or in a user namespace (where mknod of a
    /// device is refused) bound from the host's node of the same path, as runc does.
    static func device(_ d: OCISpec.Device, index i: Int, bind: Bool) throws(RuntimeError) -> MountOp {
        let path = d.path.hasPrefix("/") ? d.path : "/" + d.path
        guard !path.split(separator: "/").contains(".."), path != "/" else {
            throw RuntimeError(.usage, "config.json: .linux.devices[\(i)].path: \"\(d.path)\" is not a path inside the container")
        }
        let type: UInt32
        switch d.type {
        case "c", "u": type = UInt32(S_IFCHR)
        case "b": type = UInt32(S_IFBLK)
        case "p": type = UInt32(S_IFIFO)
        default: throw RuntimeError(.usage, "config.json: .linux.devices[\(i)].type: \"\(d.type)\" is not one of c, b, u, p")
        }
        guard d.major >= 0, d.minor >= 0 else { throw RuntimeError(.usage, "config.json: .linux.devices[\(i)]: negative major or minor") }
        if bind && type != UInt32(S_IFIFO) { return .bindDevice(source: path, target: path) }
        return .deviceNode(path: path, type: type, mode: d.fileMode ?? 0o666, major: UInt64(d.major), minor: UInt64(d.minor),
                           uid: d.uid ?? 0, gid: d.gid ?? 0)
    }

    /// A propagation option (`shared`, `rslave`, ...) as mount(2) flags; nil for any other.
    static func propagation(_ option: String) -> MountFlags? {
        let recursive = option.hasPrefix("r") && option != "rw" && option != "ro"
        let base: MountFlags
        switch recursive ? String(option.dropFirst()) : option {
        case "shared": base = .shared
        case "slave": base = .slave
        case "private": base = .private
        case "unbindable": base = MountFlags(rawValue: 1 << 17)  // MS_UNBINDABLE
        default: return nil
        }
        return recursive ? base.union(.rec) : base
    }

    /// The host paths the config's binds take (relative ones from the bundle).
    static func bindSources(_ spec: OCISpec, bundle: String) -> [String] {
        spec.mounts.compactMap { m in
            guard m.type == "bind" || m.options.contains("bind") || m.options.contains("rbind"), let s = m.source, !s.isEmpty else { return nil }
            let path = s.hasPrefix("/") ? s : bundle + "/" + s
            return (try? Rootfs.realpath(path, what: "bind source")) ?? path  // /var/run is /run
        }
    }

    /// Where the child assembles the new root: the first of `silo run`'s candidates that is not
    /// a source of a bind nor above one (the attached root covers it in the child), `clear`;
    /// else the usual one, and the parent copies the binds beforehand.
    static func staging(avoiding sources: [String]) throws(RuntimeError) -> (path: String, clear: Bool) {
        for candidate in ["/tmp", "/run", "/mnt", "/var/tmp"] {
            guard let st = try? FileIO.lstat(candidate), st.st_mode & S_IFMT == S_IFDIR, st.st_mode & 0o001 != 0 else { continue }
            if !sources.contains(where: { $0 == candidate || $0.hasPrefix(candidate + "/") }) { return (candidate, true) }
        }
        return (try Rootfs.stagingDirectory(), false)
    }

    /// A bind or rbind: a detached copy of the source (relative to the bundle, as runc reads it)
    /// with the attributes of its options.
    static func bind(_ m: OCISpec.Mount, index i: Int, dest: String, bundle: String, inChild: Bool, trees: inout [Int32],
                     rootless: Bool, clones: inout [MountStep]) throws(RuntimeError) -> MountOp {
        guard let given = m.source, !given.isEmpty else {
            throw RuntimeError(.usage, "config.json: .mounts[\(i)].source: a bind mount needs a source")
        }
        let source = given.hasPrefix("/") ? given : bundle + "/" + given
        var attrs: MountAttr = []
        for o in m.options {
            switch o {
            case "ro": attrs.insert(.rdonly)
            case "nosuid": attrs.insert(.nosuid)
            case "nodev": attrs.insert(.nodev)
            case "noexec": attrs.insert(.noexec)
            default: break
            }
        }
        // Without a user namespace the child, host root still in a copy of the host's mounts,
        // makes the bind at its turn (mountinfo then lists it in the config's order); mapped
        // root could not, so the parent copies it beforehand.
        if inChild {
            guard FileIO.exists(source) else {
                throw RuntimeError(.runtime, "config.json: .mounts[\(i)]: \(SyscallError("open_tree", errno: ENOENT, object: source).description)")
            }
            return .bindPath(source: source, target: dest, isFile: !FileIO.isDirectory(source), recursive: m.options.contains("rbind"), attributes: attrs)
        }
        let fd = try copy(source, recursive: m.options.contains("rbind"), attributes: attrs, index: i, rootless: rootless, clones: &clones)
        trees.append(fd)
        return .moveTree(fd: fd, target: dest, isFile: !FileIO.isDirectory(source))
    }

    static func copy(_ path: String, recursive: Bool, attributes: MountAttr, index i: Int,
                     rootless: Bool, clones: inout [MountStep]) throws(RuntimeError) -> Int32 {
        if rootless {
            return try Rootless.placeholder(for: path, what: "config.json: .mounts[\(i)]", stage: .mountVolumes,
                                            recursive: recursive, attributes: attributes, clones: &clones)
        }
        let sys = LinuxSyscalls()
        do throws(SyscallError) {
            let fd = try sys.cloneTree(-100 /* AT_FDCWD */, path, recursive: recursive)
            if !attributes.isEmpty {
                do { try sys.mountSetattr(fd: fd, recursive: recursive, set: attributes) } catch {
                    sys.close(fd)
                    throw error
                }
            }
            return fd
        } catch {
            throw RuntimeError(.runtime, "config.json: .mounts[\(i)]: \(error.description)", cause: error)
        }
    }
}
