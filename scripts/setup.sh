#!/usr/bin/env bash
# Installs what moat needs to build and test on Debian 12, idempotently:
# packages already present are not touched, and apt runs only when something
# is missing. Needs root (or sudo) for the installation step.
set -euo pipefail

SUDO=
if [[ $(id -u) != 0 ]]; then
  SUDO=sudo
fi

packages=(
  build-essential cmake ninja-build pkg-config linux-libc-dev
  libboost-dev libspdlog-dev libfmt-dev libcli11-dev libgtest-dev
  musl-tools clang-format
  # Trace mode's golden tests compare `moat trace` with strace.
  strace
  # The Debian root filesystems the end-to-end tests run programs from.
  mmdebstrap
  # The arm64 cross build: toolchain, arm64 libraries (multiarch), musl for
  # arm64 guest programs, and qemu user mode to run arm64 unit tests here.
  gcc-aarch64-linux-gnu g++-aarch64-linux-gnu
  libboost-dev:arm64 libspdlog-dev:arm64 libfmt-dev:arm64 libgtest-dev:arm64 musl-dev:arm64
  qemu-user-static
)
if [[ "${MOAT_SETUP_BENCH:-0}" == 1 ]]; then
  packages+=(hyperfine)
fi

# arm64 packages come from Debian's archive through multiarch.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "moat setup: adding the arm64 architecture to dpkg"
  ${SUDO:-} dpkg --add-architecture arm64
  need_update=1
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "moat setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  ${SUDO:-} apt-get update -qq
  ${SUDO:-} apt-get install -y -qq --no-install-recommends "${missing[@]}"
elif [[ -n "${need_update:-}" ]]; then
  ${SUDO:-} apt-get update -qq
fi

if [[ ! -e /dev/kvm ]]; then
  echo "moat setup: warning: /dev/kvm does not exist; moat cannot run programs on this host" >&2
fi
