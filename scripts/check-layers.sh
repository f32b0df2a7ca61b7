#!/usr/bin/env bash
# The module rules of docs/architecture.md, checked by grep. Exit 1 on the first broken rule set.
# Usage: scripts/check-layers.sh   (from the package root)
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0
say() { echo "check-layers: $*"; fail=1; }

# 1. Only SiloSys imports the C modules.
hits=$(grep -rlE '^\s*(@_implementationOnly\s+)?import\s+(CSiloShim|CCap|CSeccomp)\b' Sources --include=*.swift | grep -v '^Sources/SiloSys/' || true)
[ -n "$hits" ] && say "C modules imported outside SiloSys: $hits"

# 2. Nothing under Sources imports Foundation.
hits=$(grep -rlE '^\s*import\s+(Foundation|FoundationEssentials)\b' Sources --include=*.swift || true)
[ -n "$hits" ] && say "Foundation imported: $hits"

# 3. SiloKit: no argv, no printing, no exit statuses, no CLI or demo types. (A recorded exit
#    status, as in the OCI state's ContainerRecord, is data; mapping errors to one is the CLI's.)
hits=$(grep -rnE '\bCommandLine\b|\bprint\(|\bOutput\.|var exitStatus: Int32 \{|\b(error|e)\.exitStatus\b|[^_a-zA-Z.]exit\(|write\((1|2),|fd: (1|2)\b|\bArgumentParser\b|\bDemo[A-Z][A-Za-z]*\b|\b[A-Z][A-Za-z]*Command\b' Sources/SiloKit --include=*.swift | grep -vE '^\S+:\s*///?' || true)
[ -n "$hits" ] && say "SiloKit does CLI work:"$'\n'"$hits"

# 4. SiloKit's top level holds a handful of files.
top=$(find Sources/SiloKit -maxdepth 1 -name '*.swift' | wc -l)
[ "$top" -gt 6 ] && say "Sources/SiloKit has $top files at its top level (at most 6)"

# 5. silo's main.swift is one call.
code=$(grep -vE '^\s*(//|$|import )' Sources/silo/main.swift | wc -l)
[ "$code" -ne 1 ] && say "Sources/silo/main.swift has $code lines of code (one call expected)"

[ $fail -eq 0 ] && echo "check-layers: ok"
exit $fail
