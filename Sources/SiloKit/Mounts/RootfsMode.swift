import SiloSys

public enum RootfsMode: Equatable, Sendable {
    /// overlayfs over the idmapped rootfs, upper layer on a tmpfs that vanishes with the container.
    case overlay
    /// The overlay, made read-only once every mount point is in place (`--read-only`): the
    /// container can write nowhere on its rootfs, yet volumes may target paths the image lacks.
    case readOnly
    /// Writes go to the base rootfs (`--rootfs-rw`).
    case readWrite
}
