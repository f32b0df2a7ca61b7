#if canImport(Glibc)
import Glibc
#endif
import CSiloShim

/// The fd-based half of LinuxSyscalls that assembles a container's root. Nothing here takes a
/// path inside the rootfs as a string the kernel would resolve from the host's `/`: each
/// component is opened relative to the directory before it with RESOLVE_IN_ROOT, symlinks are
/// read and followed by hand inside the root, and mounts land on the resulting fds.
extension LinuxSyscalls {
    static let resolveInRootFlags: UInt64 = 0x10 | 0x02  // RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS
    static let oPath: Int32 = 0o10000000  // O_PATH (a _GNU_SOURCE macro Swift does not import)

    public func overlayRoot(lower: Int32, upperOptions: String) throws(SyscallError) -> Int32 {
        let upperFS = try freshMount("tmpfs", options: upperOptions, attributes: [.nosuid, .nodev])
        defer { Glibc.close(upperFS) }
        if mkdirat(upperFS, "upper", 0o755) != 0 { throw SyscallError.last("mkdir", "rootfs upper layer") }
        if mkdirat(upperFS, "work", 0o755) != 0 { throw SyscallError.last("mkdir", "rootfs work dir") }
        // fsconfig(FSCONFIG_SET_FD) needs real open files: the O_PATH fds of open_tree and
        // fsmount are refused. Straight-line code: this runs on every start.
        let lowerDir = openat(lower, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if lowerDir < 0 { throw SyscallError.last("open", "rootfs lower layer") }
        defer { Glibc.close(lowerDir) }
        let upperDir = openat(upperFS, "upper", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if upperDir < 0 { throw SyscallError.last("open", "rootfs upper layer") }
        defer { Glibc.close(upperDir) }
        let workDir = openat(upperFS, "work", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if workDir < 0 { throw SyscallError.last("open", "rootfs work dir") }
        defer { Glibc.close(workDir) }
        let fs = silo_fsopen("overlay", 1 /* FSOPEN_CLOEXEC */)
        if fs < 0 { throw SyscallError.last("fsopen", "overlay") }
        defer { Glibc.close(fs) }
        if silo_fsconfig(fs, 5 /* FSCONFIG_SET_FD */, "lowerdir+", nil, lowerDir) != 0 { throw SyscallError.last("fsconfig", "overlay lowerdir+") }
        if silo_fsconfig(fs, 5, "upperdir", nil, upperDir) != 0 { throw SyscallError.last("fsconfig", "overlay upperdir") }
        if silo_fsconfig(fs, 5, "workdir", nil, workDir) != 0 { throw SyscallError.last("fsconfig", "overlay workdir") }
        if silo_fsconfig(fs, 1 /* FSCONFIG_SET_STRING */, "source", "overlay", 0) != 0 { throw SyscallError.last("fsconfig", "overlay source") }
        if silo_fsconfig(fs, 0 /* FSCONFIG_SET_FLAG */, "userxattr", nil, 0) != 0 { throw SyscallError.last("fsconfig", "overlay userxattr") }
        if silo_fsconfig(fs, 6 /* FSCONFIG_CMD_CREATE */, nil, nil, 0) != 0 { throw SyscallError.last("fsconfig(CREATE)", "overlay") }
        let mnt = silo_fsmount(fs, 1 /* FSMOUNT_CLOEXEC */, 0)
        if mnt < 0 { throw SyscallError.last("fsmount", "overlay") }
        return mnt
    }

    public func resolveInRoot(_ root: Int32, _ path: String, create: Creation) throws(SyscallError) -> ResolvedPath? {
        if case .done(let result) = resolveWithoutLinks(root, path, create: create) { return result }
        var pending = path.split(whereSeparator: { $0 == "/" }).reversed().map(String.init)
        var resolved: [String] = []  // components below root, none a symlink
        var dir = root
        var links = 0
        defer { if dir != root { Glibc.close(dir) } }
        func enter(_ fd: Int32) {
            if dir != root { Glibc.close(dir) }
            dir = fd
        }
        while let name = pending.popLast() {
            if name == "." { continue }
            if name == ".." {
                // `resolved` holds no symlinks, so its parent is its prefix; at root, `..` stays.
                if resolved.popLast() != nil { enter(try openInRoot(root, resolved.joined(separator: "/"), path, directory: true)) }
                continue
            }
            let last = pending.isEmpty
            var fd = silo_openat2(dir, name, UInt64(Self.oPath | O_NOFOLLOW | O_CLOEXEC), 0, Self.resolveInRootFlags)
            if fd < 0 && Glibc.errno == ENOENT {
                switch create {
                case .none: return nil
                case .file where last:
                    let f = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
                    if f < 0 && Glibc.errno != EEXIST { throw SyscallError.last("create", path) }
                    if f >= 0 { Glibc.close(f) }
                case .file, .directory:
                    var mode: UInt32 = 0o755
                    if case .directory(let m) = create, last { mode = m }
                    if mkdirat(dir, name, mode) != 0 && Glibc.errno != EEXIST { throw SyscallError.last("mkdir", path) }
                }
                fd = silo_openat2(dir, name, UInt64(Self.oPath | O_NOFOLLOW | O_CLOEXEC), 0, Self.resolveInRootFlags)
            }
            if fd < 0 { throw SyscallError.last("open", path) }
            let kind = Self.kind(fd)
            if kind == .symlink {
                links += 1
                let target = Self.readlink(fd)
                Glibc.close(fd)
                if links > 40 || target.isEmpty { throw SyscallError("open", errno: ELOOP, object: path) }
                if target.hasPrefix("/") {
                    resolved = []
                    enter(root)
                }
                pending += target.split(whereSeparator: { $0 == "/" }).reversed().map(String.init)
                continue
            }
            if last { return ResolvedPath(fd: fd, kind: kind) }
            if kind != .directory {
                Glibc.close(fd)
                throw SyscallError("open", errno: ENOTDIR, object: path)
            }
            resolved.append(name)
            enter(fd)
        }
        // Only the targets silo mounts on reach here, never "/": a path that ends at the
        // root (through `..` or a link to `/`) would stack a mount over the new root itself.
        throw SyscallError("open", errno: EBUSY, object: "\(path) (resolves to the container's /)")
    }

    private enum FastResolution { case done(ResolvedPath?), walk }

    private func resolveWithoutLinks(_ root: Int32, _ path: String, create: Creation) -> FastResolution {
        // The common cases in one or three calls: no symlink on the way (RESOLVE_NO_SYMLINKS
        // fails with ELOOP on any, and the walk below takes over), the target there or only
        // its last component missing. Every lookup stays RESOLVE_IN_ROOT.
        let noLinks = Self.resolveInRootFlags | 0x04  // RESOLVE_NO_SYMLINKS
        let whole = silo_openat2(root, path, UInt64(Self.oPath | O_CLOEXEC), 0, noLinks)
        if whole >= 0 {
            // A literal `..` could end at the root itself: the walk below refuses that.
            if !Self.hasDotDot(path), path.contains(where: { $0 != "/" && $0 != "." }) { return .done(ResolvedPath(fd: whole, kind: Self.kind(whole))) }
            Glibc.close(whole)
        } else if Glibc.errno == ENOENT && create == .none {
            // Missing before any symlink (a link would have stopped the lookup with ELOOP
            // first): the walk would find the same.
            return .done(nil)
        } else if Glibc.errno == ENOENT, let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            let name = String(path[path.index(after: slash)...])
            let parent = silo_openat2(root, String(path[..<slash]), UInt64(Self.oPath | O_DIRECTORY | O_CLOEXEC), 0, noLinks)
            if parent >= 0, !name.isEmpty, name != ".", name != ".." {
                defer { Glibc.close(parent) }
                if create == .file {
                    // The new file's own fd is the mount target: no second lookup to race.
                    let f = openat(parent, name, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
                    if f >= 0 { return .done(ResolvedPath(fd: f, kind: .regular)) }
                } else if case .directory(let mode) = create, mkdirat(parent, name, mode) == 0 {
                    let d = silo_openat2(parent, name, UInt64(Self.oPath | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), 0, noLinks)
                    if d >= 0 { return .done(ResolvedPath(fd: d, kind: .directory)) }
                }
            } else if parent >= 0 {
                Glibc.close(parent)
            }
        }
        return .walk
    }

    private func openInRoot(_ root: Int32, _ rel: String, _ path: String, directory: Bool) throws(SyscallError) -> Int32 {
        let fd = silo_openat2(root, rel.isEmpty ? "." : rel, UInt64(Self.oPath | O_CLOEXEC | (directory ? O_DIRECTORY : 0)), 0,
                              Self.resolveInRootFlags | 0x04 /* RESOLVE_NO_SYMLINKS */)
        if fd < 0 { throw SyscallError.last("open", path) }
        return fd
    }

    /// Whether a component of `path` is `..`, over bytes: String.contains(String) would pull in
    /// _StringProcessing (about 50 us on the first call of every start).
    static func hasDotDot(_ path: String) -> Bool {
        var dots = 0  // dots so far in this component, -1 once it has anything else
        for b in path.utf8 {
            if b == 0x2f {
                if dots == 2 { return true }
                dots = 0
            } else if b == 0x2e && dots >= 0 {
                dots += 1
            } else {
                dots = -1
            }
        }
        return dots == 2
    }

    static func kind(_ fd: Int32) -> FileKind {
        var st = Glibc.stat()
        if fstat(fd, &st) != 0 { return .other }
        switch st.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .regular
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    static func readlink(_ fd: Int32) -> String {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBytes { readlinkat(fd, "", $0.baseAddress!.assumingMemoryBound(to: CChar.self), 4096) }
        if n <= 0 || n >= 4096 { return "" }
        return String(decoding: buf[0..<n], as: UTF8.self)
    }

    public func moveMount(fd: Int32, onto target: Int32, name: String) throws(SyscallError) {
        if silo_move_mount(fd, "", target, "", MoveMountFlags.fEmptyPath | MoveMountFlags.tEmptyPath) != 0 {
            throw SyscallError.last("move_mount", name)
        }
    }

    public func freshMount(_ type: String, options: String?, attributes: MountAttr) throws(SyscallError) -> Int32 {
        let fs = silo_fsopen(type, 1 /* FSOPEN_CLOEXEC */)
        if fs < 0 { throw SyscallError.last("fsopen", type) }
        defer { Glibc.close(fs) }
        // The name mountinfo and df show; without it they say "none". A `source=NAME` option (an
        // OCI mount's source, which runtime-tools matches in mountinfo) names it instead: the
        // kernel takes one source only.
        let named = (options ?? "").split(separator: ",").contains { $0.hasPrefix("source=") }
        if !named, silo_fsconfig(fs, 1 /* FSCONFIG_SET_STRING */, "source", type, 0) != 0 {
            throw SyscallError.last("fsconfig", "\(type) source")
        }
        var attrs = attributes
        for option in (options ?? "").split(whereSeparator: { $0 == "," }) {
            if let (attr, on) = Self.attributeOption(option) {
                if on { attrs.insert(attr) } else { attrs.remove(attr) }
                continue
            }
            let kv = option.split(maxSplits: 1, whereSeparator: { $0 == "=" }).map(String.init)
            let r = kv.count == 2 ? silo_fsconfig(fs, 1 /* FSCONFIG_SET_STRING */, kv[0], kv[1], 0)
                : silo_fsconfig(fs, 0 /* FSCONFIG_SET_FLAG */, kv[0], nil, 0)
            if r != 0 { throw SyscallError.last("fsconfig", "\(type) option \(option)") }
        }
        if silo_fsconfig(fs, 6 /* FSCONFIG_CMD_CREATE */, nil, nil, 0) != 0 { throw SyscallError.last("fsconfig(CREATE)", type) }
        let mnt = silo_fsmount(fs, 1 /* FSMOUNT_CLOEXEC */, UInt32(truncatingIfNeeded: attrs.rawValue))
        if mnt < 0 { throw SyscallError.last("fsmount", type) }
        return mnt
    }

    /// The mount(8) options that are mount attributes, not file system parameters.
    static func attributeOption(_ o: Substring) -> (MountAttr, Bool)? {
        switch o {
        case "ro": (.rdonly, true)
        case "rw": (.rdonly, false)
        case "nosuid": (.nosuid, true)
        case "suid": (.nosuid, false)
        case "nodev": (.nodev, true)
        case "dev": (.nodev, false)
        case "noexec": (.noexec, true)
        case "exec": (.noexec, false)
        default: nil
        }
    }

    public func duplicate(_ fd: Int32, onto target: Int32) throws(SyscallError) {
        // dup2 + FD_CLOEXEC: Glibc's module does not export dup3 (a _GNU_SOURCE name); the
        // child is single-threaded, so no exec can come between the two.
        if dup2(fd, target) < 0 { throw SyscallError.last("dup2", "fd \(target)") }
        if fcntl(target, F_SETFD, FD_CLOEXEC) < 0 { throw SyscallError.last("fcntl(FD_CLOEXEC)", "fd \(target)") }
    }

    public func cloneTree(_ dir: Int32, _ path: String, recursive: Bool) throws(SyscallError) -> Int32 {
        var flags = OpenTreeFlags.clone | OpenTreeFlags.cloexec
        if recursive { flags |= AtFlags.recursive }
        if path.isEmpty { flags |= AtFlags.emptyPath }
        let fd = silo_open_tree(dir, path, flags)
        if fd < 0 { throw SyscallError.last("open_tree", path) }
        return fd
    }

    public func mountSetattr(fd: Int32, recursive: Bool, set: MountAttr) throws(SyscallError) {
        let flags = AtFlags.emptyPath | (recursive ? AtFlags.recursive : 0)
        if silo_mount_setattr(fd, "", flags, set.rawValue, 0, 0, 0) != 0 { throw SyscallError.last("mount_setattr") }
    }

    public func symlink(_ target: String, in dir: Int32, name: String) throws(SyscallError) {
        if symlinkat(target, dir, name) != 0 && Glibc.errno != EEXIST { throw SyscallError.last("symlink", name) }
    }

    public func fchdir(_ fd: Int32) throws(SyscallError) {
        if Glibc.fchdir(fd) != 0 { throw SyscallError.last("fchdir") }
    }

    public func close(_ fd: Int32) {
        if fd >= 0 { Glibc.close(fd) }
    }
}
