#!/bin/sh
# Runs GoogleTest binaries inside the arm64 test VM (busybox sh), one after
# another, each with the same GTEST ARGS. Cases that fail are run once more;
# a binary passes only if each of them then passes, and every such case is
# reported as FLAKY on its own line, so an intermittent failure stays visible
# without failing the whole run. A case that fails twice fails its binary.
# Every binary runs, whatever the ones before it did; the exit status is 0
# only when all of them passed.
#   gtest_rerun.sh BINARY... [-- GTEST ARGS...]

# Runs one binary, with reruns; returns its verdict.
run_one() {
  bin=$1
  shift
  log=$(mktemp)
  "$bin" "$@" >"$log" 2>&1
  status=$?
  cat "$log"
  if [ "$status" -eq 0 ]; then
    rm -f "$log"
    return 0
  fi
  failed=$(sed -n 's/^\[  FAILED  \] \([A-Za-z0-9_/.]*\).*/\1/p' "$log" | sort -u | tr '\n' ':')
  rm -f "$log"
  if [ -z "$failed" ]; then
    return "$status"
  fi
  echo "== rerunning the failed cases of $bin once: $failed"
  if "$bin" "$@" --gtest_filter="$failed"; then
    for name in $(echo "$failed" | tr ':' ' '); do
      echo "FLAKY: $name failed once and passed when run again"
    done
    return 0
  fi
  return 1
}

# The binaries, one a line (busybox sh has no arrays); "$@" keeps the
# GTEST ARGS.
bins=
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  bins="$bins$1
"
  shift
done
[ $# -gt 0 ] && shift
if [ -z "$bins" ]; then
  echo "usage: gtest_rerun.sh BINARY... [-- GTEST ARGS...]" >&2
  exit 2
fi

verdict=0
old_ifs=$IFS
IFS='
'
for bin in $bins; do
  IFS=$old_ifs
  echo "== $bin"
  run_one "$bin" "$@" || verdict=$?
done
IFS=$old_ifs
exit "$verdict"
