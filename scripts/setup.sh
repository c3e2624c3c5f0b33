#!/usr/bin/env bash
# Installs what moat needs to build and test on Debian 12, idempotently:
# packages already present are not touched, and apt runs only when something
# is missing. Needs root (or sudo) for the installation step.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config linux-libc-dev
  libboost-dev libspdlog-dev libfmt-dev libcli11-dev libgtest-dev
  musl-tools clang-format
)
if [[ "${MOAT_SETUP_BENCH:-0}" == 1 ]]; then
  packages+=(hyperfine)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "moat setup: installing ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) != 0 ]]; then
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ ! -e /dev/kvm ]]; then
  echo "moat setup: warning: /dev/kvm does not exist; moat cannot run programs on this host" >&2
fi
