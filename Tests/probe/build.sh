#!/bin/sh
# Builds the static test probe (silo-probe.c) and a test rootfs that holds it in /usr/bin:
# the default busybox rootfs plus the probe. The hardening integration tests run it from there
# (SILO_PROBE_ROOTFS, default /var/lib/silo/rootfs/test). Needs gcc and glibc's static libc
# (libc6-dev). Idempotent; takes about two seconds.
#   Tests/probe/build.sh [ROOTFS]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dest=${1:-/var/lib/silo/rootfs/test}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gcc -static -O2 -Wall -Wextra -o "$out/silo-probe" "$here/silo-probe.c"
SILO_ROOTFS_EXTRA="$out" "$top/rootfs-scripts/busybox.sh" "$dest"
