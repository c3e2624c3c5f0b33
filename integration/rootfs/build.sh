#!/usr/bin/env bash
# Builds the Debian root filesystem the end-to-end tests run programs from:
#   build.sh ARCH DEST      ARCH: amd64 or arm64
# Debian bookworm's essential packages plus dash, coreutils and busybox (all
# dynamically linked), unpacked without running maintainer scripts
# (mmdebstrap's extract variant), so it builds as any user in seconds.
# Idempotent: a DEST built from the same package list is kept.
set -euo pipefail

arch=${1:?usage: build.sh ARCH DEST}
dest=${2:?usage: build.sh ARCH DEST}
packages=dash,coreutils,busybox
stamp="bookworm $arch $packages"

if [[ -f $dest/.moat-rootfs && $(cat "$dest/.moat-rootfs") == "$stamp" ]]; then
  exit 0
fi
command -v mmdebstrap >/dev/null || { echo "rootfs: mmdebstrap is missing (scripts/setup.sh installs it)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/moat-rootfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "rootfs: building a $arch root filesystem in $dest"
mmdebstrap --quiet --variant=extract --architectures="$arch" --include="$packages" \
  bookworm "$work/root.tar"
rm -rf "$dest"
mkdir -p "$dest"
tar -C "$dest" -xf "$work/root.tar"
echo "$stamp" >"$dest/.moat-rootfs"
