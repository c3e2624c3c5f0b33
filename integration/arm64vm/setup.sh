#!/usr/bin/env bash
# Prepares the arm64 test VM (see README.md): host packages, a Debian arm64
# kernel, and an initramfs with busybox, strace, the 9p modules and our /init.
#
#   setup.sh              check packages, fetch the current kernel, busybox and
#                         strace when the cached ones are missing or stale,
#                         rebuild the initramfs when one of its inputs changed
#   setup.sh --if-needed  what run.sh calls: nothing when the cached image is
#                         current; no apt at all once kernel, busybox and
#                         strace are cached (only rebuilds the initramfs after
#                         edits)
#
# Idempotent. The cache lives in ${MOAT_ARM64VM_CACHE:-$HOME/.cache/moat/arm64vm}.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
cache=${MOAT_ARM64VM_CACHE:-$HOME/.cache/moat/arm64vm}

# Kernel modules copied into the initramfs, in load order (dependencies
# first, as each module's "depends=" field says). /init loads the 9p set at
# boot; the network set is loaded on demand by moat-vm-net-modules.
modules_9p=(virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p)
modules_net=(tun tap veth llc stp bridge)

log() { printf 'arm64vm setup: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# A hash of everything the initramfs is built from besides the downloaded
# packages, so editing init or this script rebuilds it.
inputs_hash() {
  cat "$here/init" "$here/setup.sh" | sha256sum | cut -d' ' -f1
}

if_needed=0
if [[ ${1:-} == --if-needed ]]; then
  if_needed=1
  if [[ -f $cache/kernel/vmlinuz && -f $cache/initrd.gz && -f $cache/stamp ]] &&
    grep -qx "inputs=$(inputs_hash)" "$cache/stamp"; then
    exit 0
  fi
elif [[ $# -gt 0 ]]; then
  die "usage: setup.sh [--if-needed]"
fi

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    die "need root for: $*"
  fi
}

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

apt_updated=0
apt_update() {
  if [[ $apt_updated -eq 0 ]]; then
    log "apt-get update"
    as_root apt-get update -qq
    apt_updated=1
  fi
}

# Prints "NAME=VERSION" of the candidate of an arm64 package, or nothing.
candidate() {
  apt-cache policy "$1:arm64" 2>/dev/null | awk -v p="$1" '/Candidate:/ && $2 != "(none)" { print p "=" $2 }'
}

# The kernel package the linux-image-arm64 metapackage currently depends on.
kernel_pkg() {
  apt-cache depends linux-image-arm64:arm64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9][^ :]*-arm64\)\(:arm64\)\{0,1\}$/\1/p' | head -n1
}

mkdir -p "$cache"
work=$(mktemp -d "$cache/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Downloads NAME=VERSION (arm64) into $work and prints the .deb path.
download() {
  (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "${1%%=*}:arm64=${1#*=}" >&2)
  ls "$work/${1%%=*}"_*_arm64.deb
}

# 1. Host packages. busybox-static:arm64 is deliberately not installed: it
# conflicts with the host's busybox and would replace /bin/busybox with an
# arm64 binary. It is downloaded into the cache like the kernel instead.
ensure_packages() {
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    log "adding the arm64 architecture to dpkg"
    as_root dpkg --add-architecture arm64
    apt_update
  fi
  local missing=() pkg
  for pkg in qemu-system-arm cpio binutils; do
    installed "$pkg" || missing+=("$pkg")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    apt-cache show "${missing[@]}" >/dev/null 2>&1 || apt_update
    log "installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# 2. Kernel: vmlinuz and the modules we need, kept in $cache/kernel.
ensure_kernel() {
  local kpkg kwant='' khave deb kver m f
  kpkg=$(kernel_pkg)
  if [[ -z $kpkg ]]; then
    apt_update
    kpkg=$(kernel_pkg)
  fi
  [[ -n $kpkg ]] && kwant=$(candidate "$kpkg")
  khave=$(cat "$cache/kernel/.version" 2>/dev/null || true)
  if [[ -z $kwant ]]; then
    [[ -n $khave ]] || die "cannot resolve the kernel package of linux-image-arm64:arm64"
    log "cannot resolve the current kernel package; using the cached $khave"
    return
  fi
  [[ $kwant != "$khave" ]] || return 0
  log "downloading $kwant"
  if ! deb=$(download "$kwant"); then
    [[ -n $khave ]] || die "could not download $kwant"
    log "download failed; using the cached $khave"
    return
  fi
  dpkg-deb -x "$deb" "$work/kernel-root"
  kver=$(ls "$work/kernel-root/lib/modules")
  mkdir -p "$work/kernel/modules"
  cp "$work/kernel-root/boot/vmlinuz-$kver" "$work/kernel/vmlinuz"
  for m in "${modules_9p[@]}" "${modules_net[@]}"; do
    f=$(find "$work/kernel-root/lib/modules/$kver" \( -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" \) | head -n1)
    [[ -n $f ]] || die "module $m is not in $kwant"
    # busybox insmod wants plain .ko files (bookworm ships them plain).
    case $f in
      *.ko) cp "$f" "$work/kernel/modules/$m.ko" ;;
      *.ko.xz) xz -dc "$f" >"$work/kernel/modules/$m.ko" ;;
      *.ko.zst) zstd -qdc "$f" >"$work/kernel/modules/$m.ko" ;;
    esac
  done
  grep -q '^CONFIG_KVM=y' "$work/kernel-root/boot/config-$kver" ||
    log "warning: $kwant is not built with CONFIG_KVM=y; /dev/kvm may be missing"
  echo "$kver" >"$work/kernel/.release"
  echo "$kwant" >"$work/kernel/.version"
  rm -rf "$work/kernel-root" "$deb" "$cache/kernel"
  mv "$work/kernel" "$cache/kernel"
}

# 3. busybox (static, arm64), kept in $cache/busybox.
ensure_busybox() {
  local bwant bhave deb
  bwant=$(candidate busybox-static)
  bhave=$(cat "$cache/busybox/.version" 2>/dev/null || true)
  if [[ -z $bwant && -z $bhave ]]; then
    apt_update
    bwant=$(candidate busybox-static)
  fi
  [[ -n $bwant && $bwant != "$bhave" ]] || return 0
  log "downloading $bwant"
  if ! deb=$(download "$bwant"); then
    [[ -n $bhave ]] || die "could not download $bwant"
    log "download failed; using the cached $bhave"
    return
  fi
  dpkg-deb -x "$deb" "$work/busybox-root"
  mkdir -p "$work/busybox"
  cp "$work/busybox-root/bin/busybox" "$work/busybox/busybox"
  echo "$bwant" >"$work/busybox/.version"
  rm -rf "$cache/busybox"
  mv "$work/busybox" "$cache/busybox"
}

# 4. strace (arm64) for the trace golden tests' native reference: Debian's
# strace with its shared libraries and the dynamic loader, kept in
# $cache/strace/root as they go into the initramfs. Like busybox, the package
# is downloaded, not installed (strace is not Multi-Arch: same). The
# libraries copied are the closure of readelf's NEEDED entries, found in the
# packages strace depends on (apt-cache depends --recurse), so that a library
# a newer strace needs cannot go missing silently.
strace_packages() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances strace:arm64 2>/dev/null |
    sed -n 's/^\([a-z0-9][^ :<>]*\)\(:arm64\)\{0,1\}$/\1/p'
}

# Copies the libraries ELF file $1 needs, found in the unpacked packages
# under $2, into $3/lib/aarch64-linux-gnu, and theirs, recursively.
copy_needed() {
  local lib f
  for lib in $(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
    [[ -e $3/lib/aarch64-linux-gnu/$lib ]] && continue
    f=$(find "$2/lib/aarch64-linux-gnu" "$2/usr/lib/aarch64-linux-gnu" -name "$lib" 2>/dev/null | head -n1)
    [[ -n $f ]] || die "$lib (needed by $(basename "$1")) is in none of: $(strace_packages | tr '\n' ' ')"
    cp -L "$f" "$3/lib/aarch64-linux-gnu/$lib"
    copy_needed "$3/lib/aarch64-linux-gnu/$lib" "$2" "$3"
  done
}

ensure_strace() {
  local pkgs=() pkg v swant='' shave deb interp
  mapfile -t pkgs < <(strace_packages)
  if [[ ${#pkgs[@]} -eq 0 ]]; then
    apt_update
    mapfile -t pkgs < <(strace_packages)
  fi
  for pkg in "${pkgs[@]}"; do
    v=$(candidate "$pkg")
    if [[ -z $v ]]; then
      swant=
      break
    fi
    swant+="${swant:+ }$v"
  done
  shave=$(cat "$cache/strace/.version" 2>/dev/null || true)
  if [[ -z $swant ]]; then
    [[ -n $shave ]] || die "cannot resolve strace:arm64 and its dependencies"
    log "cannot resolve strace:arm64's packages; using the cached $shave"
    return
  fi
  [[ $swant != "$shave" ]] || return 0
  log "downloading $swant"
  mkdir -p "$work/strace-pkgs" "$work/strace/root/usr/bin" "$work/strace/root/lib/aarch64-linux-gnu"
  for v in $swant; do
    if ! deb=$(download "$v"); then
      [[ -n $shave ]] || die "could not download $v"
      log "download failed; using the cached $shave"
      return
    fi
    dpkg-deb -x "$deb" "$work/strace-pkgs"
    rm -f "$deb"
  done
  cp "$work/strace-pkgs/usr/bin/strace" "$work/strace/root/usr/bin/strace"
  copy_needed "$work/strace/root/usr/bin/strace" "$work/strace-pkgs" "$work/strace/root"
  # The loader is also one of the NEEDED libraries; its PT_INTERP path
  # (/lib/ld-linux-aarch64.so.1) points to that copy, as in Debian.
  interp=$(readelf -l "$work/strace/root/usr/bin/strace" |
    sed -n 's/.*\[Requesting program interpreter: \(.*\)\]$/\1/p')
  [[ -f $work/strace/root/lib/aarch64-linux-gnu/${interp##*/} ]] ||
    die "strace's loader $interp is not among its libraries"
  if [[ $interp != "/lib/aarch64-linux-gnu/${interp##*/}" ]]; then
    mkdir -p "$work/strace/root${interp%/*}"
    ln -s "/lib/aarch64-linux-gnu/${interp##*/}" "$work/strace/root$interp"
  fi
  echo "$swant" >"$work/strace/.version"
  rm -rf "$work/strace-pkgs" "$cache/strace"
  mv "$work/strace" "$cache/strace"
}

if [[ $if_needed -eq 1 && -f $cache/kernel/.version && -f $cache/busybox/.version &&
  -f $cache/strace/.version ]] &&
  command -v qemu-system-aarch64 >/dev/null && command -v cpio >/dev/null &&
  command -v readelf >/dev/null; then
  : # Everything downloaded is cached; only the initramfs is stale.
else
  ensure_packages
  ensure_kernel
  ensure_busybox
  ensure_strace
fi
[[ -f $cache/kernel/vmlinuz ]] || die "no kernel in $cache/kernel"
[[ -x $cache/busybox/busybox ]] || die "no arm64 busybox in $cache/busybox"
[[ -x $cache/strace/root/usr/bin/strace ]] || die "no arm64 strace in $cache/strace"

# 5. initramfs, rebuilt only when one of its inputs changed.
stamp="kernel=$(cat "$cache/kernel/.version")
busybox=$(cat "$cache/busybox/.version")
strace=$(cat "$cache/strace/.version")
inputs=$(inputs_hash)"
if [[ -f $cache/initrd.gz && -f $cache/stamp && $(cat "$cache/stamp") == "$stamp" ]]; then
  log "up to date ($(head -n1 "$cache/stamp"))"
  exit 0
fi

log "building the initramfs"
root=$work/initramfs
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,mnt,tmp,run,root,etc,lib/moat-vm}
# The applet links (busybox --install -s) are made by /init at boot: making
# them here would need to run the arm64 binary.
cp "$cache/busybox/busybox" "$root/bin/busybox"
cp "$here/init" "$root/init"
chmod 755 "$root/init"
for m in "${modules_9p[@]}" "${modules_net[@]}"; do
  cp "$cache/kernel/modules/$m.ko" "$root/lib/moat-vm/"
done
printf '%s\n' "${modules_9p[@]}" >"$root/lib/moat-vm/modules-boot"
{
  echo '#!/bin/sh'
  echo '# Loads the network modules (tun, tap, veth, bridge); safe to repeat.'
  for m in "${modules_net[@]}"; do
    echo "grep -q '^$m ' /proc/modules || insmod /lib/moat-vm/$m.ko || exit 1"
  done
} >"$root/sbin/moat-vm-net-modules"
chmod 755 "$root/sbin/moat-vm-net-modules"
cp "$cache/kernel/.release" "$root/lib/moat-vm/kernel-release"
cp -a "$cache/strace/root/." "$root/"
echo moat-vm >"$root/etc/hostname"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
  cpio --quiet -o -0 -H newc -R 0:0 | gzip -6 >"$work/initrd.gz")
mv "$work/initrd.gz" "$cache/initrd.gz"
echo "$stamp" >"$cache/stamp"
log "ready: $(head -n1 "$cache/stamp"), $(du -h "$cache/initrd.gz" | cut -f1) initramfs"
