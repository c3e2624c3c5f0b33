#!/usr/bin/env bash
# Checks the arm64 test VM end to end: cross-compiles kvm_probe.c, boots the
# VM once and runs selftest-batch.sh in it (KVM inside the VM, the network
# modules, the batch result convention). Exits 0 when everything passed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
share=$(mktemp -d "${TMPDIR:-/tmp}/moat-arm64vm-selftest.XXXXXX")
trap 'rm -rf "$share"' EXIT

aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -o "$share/kvm_probe" "$here/kvm_probe.c"
rc=0
"$here/run.sh" --share "$share" --out "$share/out" --timeout 300 \
  --script "$here/selftest-batch.sh" || rc=$?
echo "--- results.tsv"
cat "$share/out/results.tsv" 2>/dev/null || echo "(none)"
exit "$rc"
