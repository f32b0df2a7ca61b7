#!/usr/bin/env bash
# Builds silo's libFuzzer targets (with AddressSanitizer) and runs each for SECONDS (default 10)
# from a copy of its committed corpus. Fails on the first crash, hang (an input taking over 5 s),
# leak or memory blow-up (over 2 GiB); the input that did it is left in fuzz/findings/.
#   fuzz/run.sh [SECONDS] [TARGET...]        (docs/fuzzing.md)
set -euo pipefail
cd "$(dirname "$0")"
export PATH=/opt/swift/usr/bin:$PATH
# A crash ends at once with the sanitizer's report; Swift's own backtracer takes seconds per crash.
export SWIFT_BACKTRACE=enable=no
seconds=${1:-10}
shift $(( $# > 0 ? 1 : 0 ))
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(FuzzJSON FuzzSeccomp FuzzEnvFile FuzzIDMap FuzzArguments FuzzPasswd); fi

build_log=$(mktemp /tmp/silo-fuzz-build.XXXXXX)
if ! swift build -Xswiftc -sanitize=fuzzer,address >"$build_log" 2>&1; then
    grep -E 'error|warning: unre' "$build_log" | head -n 40 || tail -n 40 "$build_log"
    rm -f "$build_log"
    echo "fuzz: build failed" >&2
    exit 1
fi
rm -f "$build_log"
bin=$(swift build -Xswiftc -sanitize=fuzzer,address --show-bin-path)

# The corpus is copied: what a run adds stays out of the repository (docs/fuzzing.md says how
# to keep it). SILO_FUZZ_TMP also holds the files of targets whose parser reads a path: on
# /dev/shm the env-file target runs 3x faster than on a journalled /tmp.
work=$(mktemp -d -p /dev/shm silo-fuzz.XXXXXX 2>/dev/null || mktemp -d /tmp/silo-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
export SILO_FUZZ_TMP=$work
mkdir -p findings
status=0
for t in "${targets[@]}"; do
    mkdir -p "$work/$t"
    cp corpus/$t/* "$work/$t/"
    if "$bin/$t" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -dict="dict/$t.dict" \
            -artifact_prefix="findings/$t-" -print_final_stats=1 "$work/$t" >"$work/$t.log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
        cov=$(grep -o 'cov: [0-9]*' "$work/$t.log" | tail -n 1)
        echo "fuzz: $t: $runs inputs in ${seconds}s, $cov, no crash"
    else
        tail -n 40 "$work/$t.log"
        echo "fuzz: $t FAILED; the input is in fuzz/$(ls -t findings/$t-* 2>/dev/null | head -n 1)" >&2
        status=1
    fi
done
exit $status
