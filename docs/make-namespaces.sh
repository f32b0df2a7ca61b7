#!/bin/sh
# Regenerates the namespaces tutorial from its templates by running every command it shows:
#   docs/namespaces.md.in     -> docs/namespaces.md      (English)
#   docs/zh/namespaces.md.in  -> docs/zh/namespaces.md   (Chinese)
# so that each output in the tutorial is what this machine says now.
#
#   docs/make-namespaces.sh [en|zh]...      (default: both; as root, after `swift build`)
#   SILO=/path/to/silo docs/make-namespaces.sh
#
# Template syntax (Markdown, plus):
#   a ```console block     each `$ CMD` line is kept and followed by CMD's output (stdout and
#                          stderr, run by sh -c with no stdin), then `[exit status N]` when N != 0;
#                          any other line in the block is dropped (the previous run's output).
#   <!-- run: CMD -->      runs CMD silently (set-up and clean-up); not copied.
#   <!-- needs netns -->   the next console block needs `silo netns` (branch netns): while silo
#                          has none, its commands are listed without output.
#   <!-- until netns: TEXT -->  TEXT is copied only while silo has no `silo netns`.
#   `$ CMD &`              CMD is started in the background with no output (a process the
#                          next lines look at); the line is kept as is.
#
# The output must be what a reader's machine says, not what other work on this one left:
# while any named network namespace, veth or bridge exists in the host's network namespace
# (integration tests, other containers, a previous run killed half-way), the script lists them
# and refuses. `--force` renders anyway, for a look; never commit what it wrote.
# Values that belong to the build machine's sandbox rather than to Linux are scrubbed (see
# scrub below); values that are simply this host's (its hostname, PIDs, addresses) are kept
# and the templates say whose they are. scripts/check-docs.sh checks the result.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

silo=${SILO:-}
if [ -z "$silo" ]; then
    # The newer of the release and debug builds.
    for c in "$root/.build/release/silo" "$root/.build/debug/silo"; do
        if [ -x "$c" ] && { [ -z "$silo" ] || [ "$c" -nt "$silo" ]; }; then silo=$c; fi
    done
fi
[ -n "$silo" ] && [ -x "$silo" ] || { echo "make-namespaces.sh: no silo binary (swift build, or set SILO)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "make-namespaces.sh: run as root: the commands start containers" >&2; exit 1; }

force=0
if [ "${1:-}" = --force ]; then force=1; shift; fi

# What would leak into the output: `silo netns list` and `ip netns list` show every name,
# `silo demo net` every host device, `lsns` every namespace with its NSFS name and command.
foreign() {
    if [ -d /run/netns ]; then
        for f in /run/netns/*; do
            [ -e "$f" ] && echo "named network namespace ${f#/run/netns/}"
        done
    fi
    ip -o link show type veth 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print "veth " $2 }'
    ip -o link show type bridge 2>/dev/null | awk -F': ' '{ print "bridge " $2 }'
    # A running silo is a test or a container: its namespaces would show in `lsns`, `silo ns`
    # and the process counts.
    for p in $(pgrep -x silo 2>/dev/null); do
        echo "silo process $p: $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | cut -c1-80)"
    done
}
found=$(foreign)
if [ -n "$found" ]; then
    {
        echo "make-namespaces.sh: this machine is not quiet; the tutorial would show what these are:"
        printf '%s\n' "$found" | sed 's/^/  /'
        echo "  (tests running? wait for them. Your own? delete them, e.g. \`silo netns delete NAME\`,"
        echo "  \`silo network prune\`.  --force renders anyway, not for committing.)"
    } >&2
    [ "$force" = 1 ] || exit 1
    echo "make-namespaces.sh: --force: rendering anyway" >&2
fi

# The commands say `silo`: put the binary first on PATH under that name.
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT INT TERM
ln -s "$silo" "$bin/silo"
PATH="$bin:$PATH"
NO_COLOR=1
COLUMNS=100
export PATH NO_COLOR COLUMNS
unset SILO_ROOTFS

if timeout 10 silo netns list >/dev/null 2>&1; then has_netns=1; else has_netns=0; fi

# Sandbox details, not Linux: the build VM runs its agent as PID 1 in a nested memory cgroup
# and mounts its tool directory under /mnt/sandboxing. Each is replaced by a label of the same
# width, so that the demo's two columns stay aligned.
scrub() {
    LC_ALL=C awk '
    function sub_same_width(re, label,    out, rest, m, w, t) {
        out = ""; rest = $0
        while (match(rest, re)) {
            # display width: UTF-8 continuation bytes (of the demo'"'"'s "…") take no column
            t = substr(rest, RSTART, RLENGTH); w = RLENGTH - gsub(/[\200-\277]/, "", t); m = label
            # in a column (followed by blanks) keep the width; in a sentence, just the label
            if (substr(rest, RSTART + RLENGTH, 1) ~ /^ ?$/) {
                while (length(m) < w) m = m " "
                if (length(m) > w) m = substr(m, 1, w)
            }
            out = out substr(rest, 1, RSTART - 1) m
            rest = substr(rest, RSTART + RLENGTH)
        }
        $0 = out rest
    }
    {
        sub_same_width("/mnt/sandboxing/[^ ]*", "(the build sandbox)")
        sub_same_width("process_api/[0-9a-f]+(…)?", "(sandbox cgroup)")
        sub_same_width("process_api", "(host init)")
        sub_same_width("memfd:sealed-[0-9]+", "(sandbox)")
        print
    }'
}

render() {
    template=$1
    out=$2
    tmp="$out.tmp"
    in_block=0
    needs_netns=0
    skip=0
    {
        printf '<!-- Generated by docs/make-namespaces.sh from %s: edit that, then run the script. -->\n' "${template#"$root"/}"
        printf '<!-- Run on Linux %s, %s. -->\n\n' "$(uname -r)" "$(date -u +%Y-%m-%d)"
        while IFS= read -r line || [ -n "$line" ]; do
            if [ "$in_block" = 1 ]; then
                case $line in
                '```')
                    in_block=0
                    echo '```'
                    ;;
                '$ '*' &')
                    printf '%s\n' "$line"
                    if [ "$skip" = 0 ]; then
                        cmd=${line#'$ '}
                        sh -c "$cmd" </dev/null >/dev/null 2>&1
                        sleep 0.5
                    fi
                    ;;
                '$ '*)
                    printf '%s\n' "$line"
                    if [ "$skip" = 0 ]; then
                        cmd=${line#'$ '}
                        status=0
                        output=$(sh -c "$cmd" </dev/null 2>&1) || status=$?
                        output=$(printf '%s\n' "$output" | scrub)
                        [ -n "$output" ] && printf '%s\n' "$output"
                        [ "$status" = 0 ] || printf '[exit status %s]\n' "$status"
                    fi
                    ;;
                esac
                continue
            fi
            case $line in
            '<!-- run: '*' -->')
                cmd=${line#'<!-- run: '}
                cmd=${cmd%' -->'}
                sh -c "$cmd" </dev/null >/dev/null 2>&1 || true
                ;;
            '<!-- needs netns -->')
                needs_netns=1
                ;;
            '<!-- until netns: '*' -->')
                if [ "$has_netns" = 0 ]; then
                    text=${line#'<!-- until netns: '}
                    printf '%s\n' "${text%' -->'}"
                fi
                ;;
            '```console')
                in_block=1
                skip=0
                if [ "$needs_netns" = 1 ] && [ "$has_netns" = 0 ]; then skip=1; fi
                needs_netns=0
                printf '%s\n' "$line"
                ;;
            *)
                printf '%s\n' "$line"
                ;;
            esac
        done <"$template"
    } >"$tmp"
    mv "$tmp" "$out"
    echo "make-namespaces.sh: wrote ${out#"$root"/}"
}

langs=${*:-en zh}
for lang in $langs; do
    case $lang in
    # silo demo and silo ns speak the language of the locale (LC_ALL, LC_MESSAGES, LANG).
    en) (unset LC_ALL LC_MESSAGES; LANG=C.UTF-8; export LANG; render "$here/namespaces.md.in" "$here/namespaces.md") ;;
    zh) (unset LC_ALL LC_MESSAGES; LANG=zh_CN.UTF-8; export LANG; render "$here/zh/namespaces.md.in" "$here/zh/namespaces.md") ;;
    *) echo "make-namespaces.sh: unknown language $lang (en, zh)" >&2; exit 1 ;;
    esac
done
