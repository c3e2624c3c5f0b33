#!/bin/sh
# Runs GoogleTest binaries inside the arm64 test VM (busybox sh), one after
# another, each with the same GTEST ARGS. Every binary runs, whatever the
# ones before it did; the exit status is 0 only when all of them passed.
#   gtest_all.sh BINARY... [-- GTEST ARGS...]

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
  echo "usage: gtest_all.sh BINARY... [-- GTEST ARGS...]" >&2
  exit 2
fi

verdict=0
old_ifs=$IFS
IFS='
'
for bin in $bins; do
  IFS=$old_ifs
  echo "== $bin"
  "$bin" "$@" || verdict=$?
done
IFS=$old_ifs
exit "$verdict"
