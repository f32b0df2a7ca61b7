import SiloSys

/// The child's mounts: each MountOp of the plan, every target resolved inside the new root
/// and mounted on by fd (docs/security.md), never by a path string.
extension ContainerInit {
    func apply(_ op: MountOp, root: inout Int32) throws(SyscallError) {
        switch op {
        case let .mount(source, target, type, flags, data):
            try sys.mount(source: source, target: target, type: type, flags: flags, data: data)
        case let .attachRoot(lowerFD, overlay, upperOptions, at):
            // overlayfs takes a layer only from the caller's own mount namespace: the lower
            // goes under the attach point first (read-only), the overlay on top of it.
            if overlay { try sys.moveMount(fd: lowerFD, to: at) }
            let tree = overlay ? try sys.overlayRoot(lower: lowerFD, upperOptions: upperOptions) : lowerFD
            // After the move the fd names the attached mount: every target below is resolved
            // from it, never from the attach point's path.
            try sys.moveMount(fd: tree, to: at)
            root = tree
        case let .cloneTreeInto(path, into, recursive, attributes):
            let tree = try sys.cloneTree(-100 /* AT_FDCWD */, path, recursive: recursive)
            defer { sys.close(tree) }
            if !attributes.isEmpty { try sys.mountSetattr(fd: tree, recursive: recursive, set: attributes) }
            try sys.duplicate(tree, onto: into)
        case let .moveTree(fd, target, isFile):
            let at = try resolved(target, root: root, create: isFile ? .file : .directory(mode: 0o755))
            defer { sys.close(at.fd) }
            if isFile != (at.kind != .directory) {
                // move_mount's own EINVAL says nothing about which volume or why.
                throw SyscallError("volume", errno: isFile ? Errno.isADirectory : Errno.notADirectory,
                                   object: isFile ? "-v FILE:\(target): the source is a file but \(target) in the rootfs is a directory"
                                       : "-v DIR:\(target): the source is a directory but \(target) in the rootfs is not")
            }
            try sys.moveMount(fd: fd, onto: at.fd, name: target)
            // The fd now names a mount inside the container (under a read-only cover for
            // /sys/fs/cgroup's binds): closed at once, so that no later step, `-w
            // /proc/self/fd/N` included, can reach it before close_range.
            sys.close(fd)
        case let .fresh(type, target, mode, attributes, options):
            let at = try resolved(target, root: root, create: .directory(mode: mode))
            defer { sys.close(at.fd) }
            let mnt = try sys.freshMount(type, options: options, attributes: attributes)
            defer { sys.close(mnt) }
            try sys.moveMount(fd: mnt, onto: at.fd, name: target)
        case let .bindDevice(source, target):
            let at = try resolved(target, root: root, create: .file)
            defer { sys.close(at.fd) }
            let node = try sys.cloneTree(-100 /* AT_FDCWD */, source, recursive: false)
            defer { sys.close(node) }
            try sys.moveMount(fd: node, onto: at.fd, name: target)
        case let .setattr(path, recursive, set):
            try sys.mountSetattr(path, recursive: recursive, set: set, clear: [])
        case let .symlink(linkTarget, at):
            let slash = at.lastIndex(of: "/") ?? at.startIndex
            let dir = try resolved(String(at[..<slash]), root: root, create: .directory(mode: 0o755))
            defer { sys.close(dir.fd) }
            try sys.symlink(linkTarget, in: dir.fd, name: String(at[at.index(after: slash)...]))
        case .bindPath, .deviceNode:
            try applyBundleStep(op, root: root)
        case let .mask(path):
            guard let at = try sys.resolveInRoot(root, path, create: .none) else { return }
            defer { sys.close(at.fd) }
            let cover = at.kind == .directory
                ? try sys.freshMount("tmpfs", options: nil, attributes: [.rdonly, .nosuid, .nodev, .noexec])
                : try sys.cloneTree(-100 /* AT_FDCWD */, "/dev/null", recursive: false)
            defer { sys.close(cover) }
            try sys.moveMount(fd: cover, onto: at.fd, name: path)
        case let .readonlyIfPresent(path):
            guard let at = try sys.resolveInRoot(root, path, create: .none) else { return }
            defer { sys.close(at.fd) }
            let copy = try sys.cloneTree(at.fd, "", recursive: true)
            defer { sys.close(copy) }
            try sys.mountSetattr(fd: copy, recursive: true, set: .rdonly)
            try sys.moveMount(fd: copy, onto: at.fd, name: path)
        case let .sysctl(key, value):
            let path = "/proc/sys/" + key.split(separator: ".").joined(separator: "/")
            let at = try resolved(path, root: root, create: .none)
            defer { sys.close(at.fd) }
            // The O_PATH fd reopened for writing: the path string is never walked again.
            do { try sys.writeFile("/proc/self/fd/\(at.fd)", value) } catch {
                throw SyscallError("write", errno: error.errno, object: "sysctl \(key)")
            }
        }
    }

    /// A mount target inside the new root; an empty or "/" path would be the root itself,
    /// which resolveInRoot refuses.
    /// The steps only OCI bundles plan: a bind the child makes itself, a `linux.devices` node.
    func applyBundleStep(_ op: MountOp, root: Int32) throws(SyscallError) {
        switch op {
        case let .bindPath(source, target, isFile, recursive, attributes):
            let at = try resolved(target, root: root, create: isFile ? .file : .directory(mode: 0o755))
            defer { sys.close(at.fd) }
            let tree = try sys.cloneTree(-100 /* AT_FDCWD */, source, recursive: recursive)
            defer { sys.close(tree) }
            if !attributes.isEmpty { try sys.mountSetattr(fd: tree, recursive: recursive, set: attributes) }
            try sys.moveMount(fd: tree, onto: at.fd, name: target)
        case let .deviceNode(path, type, mode, major, minor, uid, gid):
            let slash = path.lastIndex(of: "/") ?? path.startIndex
            let dir = try resolved(String(path[..<slash]), root: root, create: .directory(mode: 0o755))
            defer { sys.close(dir.fd) }
            try DeviceNode.make(in: dir.fd, name: String(path[path.index(after: slash)...]), type: type, mode: mode,
                                major: major, minor: minor, uid: uid, gid: gid, object: path)
        default:
            break
        }
    }

    private func resolved(_ path: String, root: Int32, create: Creation) throws(SyscallError) -> ResolvedPath {
        guard let at = try sys.resolveInRoot(root, path, create: create) else { throw SyscallError("open", errno: Errno.noSuchFile, object: path) }
        return at
    }
}
