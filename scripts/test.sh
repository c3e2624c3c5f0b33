#!/usr/bin/env bash
# Builds moat and runs every test, from a fresh Debian 12 machine:
#   1. the CI build (warnings are errors): unit tests, then the kvm tests;
#   2. the AddressSanitizer/UBSan build: unit tests (parsers and sentry objects
#      under the sanitizers).
# Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

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
