#!/bin/sh
# Makes silo's default rootfs from Debian's busybox-static: a few directories, the static
# busybox and its applet links, /etc/passwd and /etc/group. Idempotent; takes about a second.
#   rootfs-scripts/busybox.sh [DIR]      (default /var/lib/silo/rootfs/busybox)
set -eu
dest=${1:-/var/lib/silo/rootfs/busybox}
bb=/bin/busybox
if [ ! -x "$bb" ] || ldd "$bb" >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
    fi
fi
[ -x "$bb" ] || { echo "busybox.sh: $bb: not found (apt-get install busybox-static)" >&2; exit 1; }

. "$(dirname "$0")/staging.sh"
rootfs_stage busybox
for d in bin sbin usr/bin usr/sbin etc root tmp proc sys dev var/tmp home srv run mnt; do mkdir -p "$tmp/$d"; done
chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
chmod 0700 "$tmp/root"
cp "$bb" "$tmp/bin/busybox"
for applet in $("$bb" --list-full); do
    [ "$applet" = bin/busybox ] && continue
    ln -sf /bin/busybox "$tmp/$applet"
done
cat > "$tmp/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
user:x:1000:1000:user:/home/user:/bin/sh
P
cat > "$tmp/etc/group" <<'G'
root:x:0:
daemon:x:1:
tty:x:5:
users:x:100:user
nogroup:x:65534:
user:x:1000:
G
mkdir -p "$tmp/home/user" && chown 1000:1000 "$tmp/home/user"
echo silo > "$tmp/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$tmp/etc/hosts"
: > "$tmp/etc/resolv.conf"
# Extra static binaries (the test probe) may be dropped in by the caller: SILO_ROOTFS_EXTRA=DIR.
if [ -n "${SILO_ROOTFS_EXTRA:-}" ] && [ -d "$SILO_ROOTFS_EXTRA" ]; then
    cp -a "$SILO_ROOTFS_EXTRA"/. "$tmp/usr/bin/"
fi
rootfs_install
