#!/usr/bin/env bash
# Runs moat's benchmarks against native Linux in one run and prints a table;
# the figures also go to build/native/bench/results.json.
#   bench/run.sh [--reps N]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset native >/dev/null
cmake --build --preset native --target moat_bench
exec build/native/bench/moat_bench --json build/native/bench/results.json "$@"
