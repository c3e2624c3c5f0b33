#!/bin/sh
# Runs a GoogleTest binary inside the arm64 test VM (busybox sh). Cases that
# fail are run once more; the suite passes only if each of them then passes,
# and every such case is reported as FLAKY on its own line, so an
# intermittent failure stays visible without failing the whole run. A case
# that fails twice fails the suite.
#   gtest_rerun.sh BINARY [GTEST ARGS...]
bin=$1
shift
log=$(mktemp)
"$bin" "$@" >"$log" 2>&1
status=$?
cat "$log"
if [ "$status" -eq 0 ]; then
  rm -f "$log"
  exit 0
fi
failed=$(sed -n 's/^\[  FAILED  \] \([A-Za-z0-9_/.]*\).*/\1/p' "$log" | sort -u | tr '\n' ':')
rm -f "$log"
if [ -z "$failed" ]; then
  exit "$status"
fi
echo "== rerunning the failed cases once: $failed"
if "$bin" "$@" --gtest_filter="$failed"; then
  for name in $(echo "$failed" | tr ':' ' '); do
    echo "FLAKY: $name failed once and passed when run again"
  done
  exit 0
fi
exit 1
