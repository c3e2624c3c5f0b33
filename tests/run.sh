#!/bin/sh
# Runs the conformance suite: every case of every program in tests/, natively
# and under `moat run`, then prints the results table and the per-syscall
# report (status from sentry/syscalls/syscalls.def and the cases covering each
# row). Exits non-zero on any failure not in tests/known_failures.txt.
#
#   tests/run.sh [--build DIR] [RUNNER OPTIONS...]
#
# DIR is a configured build directory (default: build/native); the suite is
# built there first (`cmake --build DIR --target conformance_suite`).
# RUNNER OPTIONS: --moat PATH (default DIR/cli/moat), --timeout SECONDS per
# run (default 30), --json FILE (machine-readable results), --work DIR.
# Needs /dev/kvm. POSIX sh, so it also runs under busybox.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build/native
if [ "${1:-}" = "--build" ]; then
  build=$2
  shift 2
fi
if command -v cmake >/dev/null 2>&1; then
  cmake --build "$build" --target conformance_suite
fi
programs="memory_test stdio_test time_test ids_test uname_test random_test rlimit_test fs_test
  task_test futex_test signal_test thread_test process_test fork_test file_test
  file_attr_test file_meta_test dir_test fd_test exec_test fs_misc_test
  unknown_syscall_test"
set -- --moat "$build/cli/moat" --known-failures "$root/tests/known_failures.txt" "$@"
for p in $programs; do
  set -- "$@" "$build/tests/$p"
done
exec "$build/tests/conformance_runner" "$@"
