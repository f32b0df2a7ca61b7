# Sourced by busybox.sh and debian.sh: a rootfs is built in a directory beside its destination
# and swapped in at the end, so that a failed or killed build leaves the old one (or none) in
# place, never half of one. Both use $dest (the destination) and $tmp (the staging directory).

# rootfs_stage NAME: makes $dest's parent and sets $tmp to a new empty directory in it,
# removed when the script exits before rootfs_install.
rootfs_stage() {
    parent=$(dirname "$dest")
    mkdir -p "$parent"
    # The default location is private to root, so that --rootfs-rw is allowed on it.
    case "$dest" in /var/lib/silo/*) chmod 0700 /var/lib/silo ;; esac
    tmp=$(mktemp -d "$parent/.$1.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
}

# rootfs_install: puts $tmp in the place of $dest.
rootfs_install() {
    chmod 0755 "$tmp"
    rm -rf "$dest.old"
    if [ -e "$dest" ]; then mv "$dest" "$dest.old"; fi
    mv "$tmp" "$dest"
    rm -rf "$dest.old"
    trap - EXIT
    echo "rootfs ready: $dest"
}
