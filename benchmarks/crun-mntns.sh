# Sourced by the shell benchmarks that time crun beside silo (run.sh, cgroup-limits.sh,
# rootless.sh). crun 1.8 refuses a hybrid cgroup layout with a controller on the unified
# hierarchy, so it runs in a private mount namespace where /sys/fs/cgroup/unified is detached,
# kept by a bind mount at DIR/crun.mnt; benchmarks/driver.c setns()es into it (mntns=...)
# before exec'ing crun.

# crun_mntns_up DIR: makes the namespace (again, if a killed run left it half made).
crun_mntns_up() {
    mkdir -p "$1"
    mountpoint -q "$1" || { mount --bind "$1" "$1" && mount --make-private "$1"; }
    [ -e "$1/crun.mnt" ] || touch "$1/crun.mnt"
    mountpoint -q "$1/crun.mnt" || unshare --mount="$1/crun.mnt" --propagation private umount -l /sys/fs/cgroup/unified
}

# crun_mntns_down DIR: removes it and DIR; nothing to do if it is not there.
crun_mntns_down() {
    umount "$1/crun.mnt" 2>/dev/null || true
    umount "$1" 2>/dev/null || true
    rm -f "$1/crun.mnt"
    rmdir "$1" 2>/dev/null || true
}

# enter_crun_view MARKER SCRIPT ARGS...: for a benchmark that runs whole in such a view
# (engines.sh, exec-latency.sh): re-executes SCRIPT ARGS in a private mount namespace, once
# (MARKER in the environment says it is there), and detaches /sys/fs/cgroup/unified in it, so
# that crun runs and every runtime sees the same layout.
enter_crun_view() {
    local marker=$1
    shift
    if [ -z "${!marker:-}" ]; then
        exec env "$marker=1" unshare -m --propagation private "$@"
    fi
    if mountpoint -q /sys/fs/cgroup/unified && [ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ]; then
        umount /sys/fs/cgroup/unified
    fi
}
