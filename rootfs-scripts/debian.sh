#!/bin/sh
# Makes a minimal Debian 12 (bookworm) rootfs with mmdebstrap, from this machine's configured
# apt sources (no other network than Debian's mirror). Reused as it is when it was made with the
# same packages; the .debs are kept in a cache, so a rebuild (--force, other packages) downloads
# only what is new.
#   rootfs-scripts/debian.sh [--include PKG,PKG...] [--force] [DIR]
#       default DIR /var/lib/silo/rootfs/debian, default --include python3,iproute2
#   env: SILO_DEBIAN_SOURCES  an apt sources file (.list or deb822 .sources; default: the
#                             machine's /etc/apt/sources.list.d/debian.sources or sources.list)
#        SILO_DEBIAN_CACHE    the .deb cache (default /var/cache/silo/debian-archives)
set -eu
include=python3,iproute2
force=0
dest=/var/lib/silo/rootfs/debian
while [ $# -gt 0 ]; do
    case "$1" in
        --include) include=$2; shift 2 ;;
        --include=*) include=${1#--include=}; shift ;;
        --force) force=1; shift ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "debian.sh: unknown option $1" >&2; exit 2 ;;
        *) dest=$1; shift ;;
    esac
done
suite=bookworm
cache=${SILO_DEBIAN_CACHE:-/var/cache/silo/debian-archives}
sources=${SILO_DEBIAN_SOURCES:-}
if [ -z "$sources" ]; then
    for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
        if [ -s "$f" ]; then sources=$f; break; fi
    done
fi
[ -n "$sources" ] && [ -s "$sources" ] || { echo "debian.sh: no apt sources file (set SILO_DEBIAN_SOURCES)" >&2; exit 1; }
if ! command -v mmdebstrap >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
fi

stamp="suite=$suite include=$include"
if [ "$force" = 0 ] && [ -f "$dest/.silo-debian" ] && [ "$(cat "$dest/.silo-debian")" = "$stamp" ]; then
    echo "rootfs ready (reused): $dest"
    exit 0
fi

mkdir -p "$cache"
. "$(dirname "$0")/staging.sh"
rootfs_stage debian
# The .debs go in and out of the cache through mmdebstrap's sync-in/sync-out hooks (its
# manual's own caching recipe); docs, man pages and locales are left out to keep it small.
mmdebstrap --quiet --variant=minbase --include="$include" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --skip=download/empty --skip=essential/unlink \
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
    --setup-hook="sync-in '$cache' /var/cache/apt/archives/" \
    --customize-hook="sync-out /var/cache/apt/archives '$cache'" \
    --customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*_Packages' \
    "$suite" "$tmp" "$sources"
echo silo > "$tmp/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$tmp/etc/hosts"
echo "$stamp" > "$tmp/.silo-debian"
rootfs_install
