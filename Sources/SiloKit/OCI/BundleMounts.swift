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

    static func plan(_ spec: OCISpec, bundle: String, attachAt: String, rootFD: Int32, readOnly: Bool,
                     bindSys: Bool, cgroup: BundleCgroup? = nil, cgroupNamespace: Bool = false,
                     trees: inout [Int32]) throws(RuntimeError) -> MountPlan {
        var plan = MountPlan(newRoot: attachAt)
        func pre(_ s: InitStage, _ op: MountOp) { plan.beforePivot.append(MountStep(s, op)) }
        let propagation: MountFlags = switch spec.linux?.rootfsPropagation {
        case "private", "rprivate": .private
        case "shared", "rshared": .shared
        default: .slave
        }
        pre(.mountPropagation, .mount(source: nil, target: "/", type: nil, flags: [.rec, propagation], data: nil))
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
                let step = try bind(m, index: i, dest: dest, bundle: bundle, trees: &trees)
                pre(.mountVolumes, step)
                continue
            }
            switch m.type ?? "" {
            case "proc": pre(.mountProc, .fresh(type: "proc", target: dest, mode: 0o555, attributes: [], options: data))
            case "sysfs" where bindSys:
                // A user namespace without its own network namespace may not mount sysfs: a
                // read-only copy of the host's, as runc's rootless spec does.
                let fd = try copy("/sys", recursive: true, attributes: [.rdonly, .nosuid, .nodev, .noexec], index: i)
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
        // The default devices, always (podman sends only "deny all"), as runc makes them.
        for d in MountPlan.devices { pre(.mountDev, .bindDevice(source: "/dev/" + d, target: "/dev/" + d)) }
        pre(.mountDev, .symlink(target: "pts/ptmx", at: "/dev/ptmx"))
        for (name, target) in [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")] {
            pre(.mountDev, .symlink(target: target, at: "/dev/" + name))
        }
        for p in spec.linux?.maskedPaths ?? [] { pre(.maskPaths, .mask(p)) }
        for p in spec.linux?.readonlyPaths ?? [] { pre(.maskPaths, .readonlyIfPresent(p)) }
        if readOnly { plan.afterPivot.append(MountStep(.readonlyRoot, .setattr(path: "/", recursive: false, set: .rdonly))) }
        return plan
    }

    /// A bind or rbind: a detached copy of the source (relative to the bundle, as runc reads it)
    /// with the attributes of its options.
    static func bind(_ m: OCISpec.Mount, index i: Int, dest: String, bundle: String, trees: inout [Int32]) throws(RuntimeError) -> MountOp {
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
        let fd = try copy(source, recursive: m.options.contains("rbind"), attributes: attrs, index: i)
        trees.append(fd)
        return .moveTree(fd: fd, target: dest, isFile: !FileIO.isDirectory(source))
    }

    static func copy(_ path: String, recursive: Bool, attributes: MountAttr, index i: Int) throws(RuntimeError) -> Int32 {
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
