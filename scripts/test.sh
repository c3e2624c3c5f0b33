#!/usr/bin/env bash
# Builds moat and runs every test, from a fresh Debian 12 machine:
#   1. the CI build (warnings are errors): unit tests, then the kvm tests;
#   2. the AddressSanitizer/UBSan build: unit tests (parsers and sentry objects
#      under the sanitizers);
#   3. the arm64 cross build: its unit tests under qemu user mode, then the
#      end-to-end suite inside the arm64 test VM (one boot; label arm64vm).
# Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
# The Debian root filesystems of the end-to-end tests (integration/rootfs).
integration/rootfs/build.sh amd64 build/rootfs/amd64
integration/rootfs/build.sh arm64 build/rootfs/arm64

jobs=$(nproc)
echo "== build (ci preset: -Werror)"
cmake --preset ci >/dev/null
cmake --build --preset ci -j "$jobs"
echo "== tests (ci preset: unit, kvm)"
ctest --preset ci -j "$jobs" --timeout 300

echo "== build (asan preset)"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
echo "== tests (asan preset: unit)"
ctest --preset asan -L unit -j "$jobs" --timeout 300

echo "== build (aarch64 preset: cross, -Werror)"
cmake --preset aarch64 -DMOAT_WERROR=ON >/dev/null
cmake --build --preset aarch64 -j "$jobs"
echo "== tests (aarch64 preset: unit under qemu-aarch64, arm64vm in the arm64 test VM)"
ctest --preset aarch64 -L unit -j "$jobs" --timeout 300
integration/arm64vm/setup.sh --if-needed
ctest --preset aarch64 -L arm64vm -V --timeout 1800
