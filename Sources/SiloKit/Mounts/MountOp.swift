import SiloSys

/// One step of the container's file-system setup, as the kernel will see it. Every target
/// but the propagation change and `attachRoot`'s point is a path inside the new root,
/// resolved there with RESOLVE_IN_ROOT by the child (never through the host's `/`).
public enum MountOp: Equatable, Sendable {
    /// A mount(2) on a path of the child's own mount namespace (only "/", for propagation).
    case mount(source: String?, target: String, type: String?, flags: MountFlags, data: String?)
    /// Builds the new root as a detached mount, an overlay over the read-only `lowerFD` (with an
    /// upper tmpfs made with `upperOptions`) or `lowerFD` itself, and attaches it at `at`: a
    /// directory of the child's own mount namespace that nothing else resolves through.
    case attachRoot(lowerFD: Int32, overlay: Bool, upperOptions: String, at: String)
    /// Rootless: a copy of the tree at host `path`, made by the child in its own mount namespace
    /// (open_tree there needs no host privilege) and put on fd number `into` (the parent's
    /// placeholder), so the steps after it find it where a root parent's tree would be; with
    /// `attributes` set on every mount of the copy.
    case cloneTreeInto(path: String, into: Int32, recursive: Bool, attributes: MountAttr)
    /// A detached tree (open_tree/fsmount in the parent) moved onto `target`, made as a file
    /// or a directory when missing.
    case moveTree(fd: Int32, target: String, isFile: Bool)
    /// A new file system instance (fsopen/fsmount) onto `target`, made with `mode` when missing.
    case fresh(type: String, target: String, mode: UInt32, attributes: MountAttr, options: String?)
    /// A bind of a host device node (opened before pivot_root) onto the file `target`.
    case bindDevice(source: String, target: String)
    /// After pivot_root: mount_setattr on a path of the container.
    case setattr(path: String, recursive: Bool, set: MountAttr)
    case symlink(target: String, at: String)
    /// A bind made by the child itself (OCI bundles without a user namespace): `source` is a
    /// host path, resolved before pivot_root as the parent would; made at this step, its mount
    /// id (which orders /proc/self/mountinfo) follows the config's order of mounts.
    case bindPath(source: String, target: String, isFile: Bool, recursive: Bool, attributes: MountAttr)
    /// OCI `linux.devices`: a node (`type` S_IFCHR, S_IFBLK or S_IFIFO) made at `path` in the new root.
    case deviceNode(path: String, type: UInt32, mode: UInt32, major: UInt64, minor: UInt64, uid: UInt32, gid: UInt32)
    /// Hides a path that exists: /dev/null over a file, an empty read-only tmpfs over a directory.
    case mask(String)
    /// Makes a path that exists read-only: a recursive clone of it, MOUNT_ATTR_RDONLY, moved back on.
    case readonlyIfPresent(String)
    /// Writes /proc/sys/KEY (dots as slashes) of the container's own proc, resolved in the new
    /// root; before the read-only paths, which usually include /proc/sys (OCI `linux.sysctl`).
    case sysctl(key: String, value: String)
}
