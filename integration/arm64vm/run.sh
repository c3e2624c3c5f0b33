#!/usr/bin/env bash
# Runs one command inside the arm64 test VM (see README.md) and exits with
# its exit status.
#
#   run.sh [options] -- COMMAND...         COMMAND is a shell command line
#                                          (busybox sh, cwd = the share)
#   run.sh [options] --script FILE [-- ARG...]
#                                          runs FILE (a busybox sh script)
#                                          with ARGs: the batch mode
# Options:
#   --share DIR     folder shared at /mnt (default: the repository root)
#   --timeout SECS  kill the VM after SECS seconds and exit 124 (default 600;
#                   0 = no limit)
#   --out DIR       copy what the command wrote to $MOAT_VM_OUT into DIR
#   --console       also print the VM's console (kernel log) to stderr
#
# Environment: MOAT_ARM64VM_CACHE (see setup.sh), MOAT_ARM64VM_APPEND (more
# kernel parameters, e.g. initcall_debug), MOAT_ARM64VM_SMP (vCPUs, default 2)
# and MOAT_ARM64VM_TCG (QEMU's TCG threading, single or multi; default single:
# QEMU 7.2's multi-threaded TCG corrupts a nested guest's TPIDR_EL0 now and
# then, README "Known problems").
#
# Exit status: the command's, 124 on timeout, 125 when the VM failed before
# the command finished (boot failure, guest crash; the console log is shown).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
cache=${MOAT_ARM64VM_CACHE:-$HOME/.cache/moat/arm64vm}
share=$(cd "$here/../.." && pwd -P)
timeout=600
out=
script=
console=0

usage() {
  sed -n '2,22s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 2
}
err() { printf 'arm64vm run: %s\n' "$*" >&2; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --share) share=$(cd "${2:?}" && pwd -P); shift 2 ;;
    --timeout) timeout=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --script) script=${2:?}; shift 2 ;;
    --console) console=1; shift ;;
    --) shift; break ;;
    -h | --help) usage ;;
    *) err "unknown option $1"; usage ;;
  esac
done
[[ $timeout =~ ^[0-9]+$ ]] || { err "--timeout takes whole seconds"; exit 2; }
if [[ -n $script ]]; then
  [[ -f $script ]] || { err "no script $script"; exit 2; }
elif [[ $# -eq 0 ]]; then
  usage
fi

"$here/setup.sh" --if-needed

# Per-run state: the control folder inside the share (the guest finds it
# through moat.ctl= on the kernel command line) and a host-only temp folder
# for the console log. Both are unique, so runs may overlap.
ctl_name=$(basename "$(mktemp -d "$share/.moat-vm-XXXXXXXX")")
ctl=$share/$ctl_name
tmp=$(mktemp -d "${TMPDIR:-/tmp}/moat-arm64vm.XXXXXX")
qpid=
tails=()
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  if [[ -n $qpid ]] && kill -0 "$qpid" 2>/dev/null; then
    kill "$qpid" 2>/dev/null || true
    wait "$qpid" 2>/dev/null || true
  fi
  for t in "${tails[@]}"; do
    kill "$t" 2>/dev/null || true
  done
  rm -rf "$ctl" "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir "$ctl/out"
: >"$ctl/stdout"
: >"$ctl/stderr"
: >"$tmp/console.log"
cp "$here/vmtest.sh" "$ctl/vmtest.sh"
if [[ -n $script ]]; then
  cp "$script" "$ctl/script"
  {
    # shellcheck disable=SC2016 # expanded by the guest's shell
    printf 'exec sh "$MOAT_VM_CTL/script"'
    for arg in "$@"; do
      printf " '%s'" "${arg//\'/\'\\\'\'}"
    done
    echo
  } >"$ctl/cmd"
else
  printf '%s\n' "$*" >"$ctl/cmd"
fi

limit=()
[[ $timeout -gt 0 ]] && limit=(timeout -k 5 "$timeout")
"${limit[@]}" qemu-system-aarch64 \
  -machine virt,virtualization=on,gic-version=3 \
  -cpu max,pauth-impdef=on -smp "${MOAT_ARM64VM_SMP:-2}" -m 1024 \
  -accel "tcg,thread=${MOAT_ARM64VM_TCG:-single}" \
  -nographic -monitor none -serial "file:$tmp/console.log" -no-reboot \
  -nic none \
  -kernel "$cache/kernel/vmlinuz" -initrd "$cache/initrd.gz" \
  -append "console=ttyAMA0 rdinit=/init quiet panic=-1 cryptomgr.notests ${MOAT_ARM64VM_APPEND:-} moat.ctl=$ctl_name" \
  -virtfs "local,path=${share//,/,,},mount_tag=host0,security_model=none" \
  </dev/null >"$tmp/qemu.log" 2>&1 &
qpid=$!

# Stream the command's output while it runs; tail reads the files once more
# after the VM is gone, so nothing at the end is lost.
tail --pid="$qpid" -s 0.2 -n +1 -f "$ctl/stdout" &
tails+=($!)
tail --pid="$qpid" -s 0.2 -n +1 -f "$ctl/stderr" >&2 &
tails+=($!)
if [[ $console -eq 1 ]]; then
  tail --pid="$qpid" -s 0.2 -n +1 -f "$tmp/console.log" >&2 &
  tails+=($!)
fi

rc=0
wait "$qpid" || rc=$?
qpid=
for t in "${tails[@]}"; do
  wait "$t" || true
done
tails=()

# Shows the console from the first sign of trouble (a panic, an oops, an
# error line of /init), or its last lines; --console shows all of it.
show_console() {
  local first
  if [[ $console -eq 0 ]]; then
    first=$(grep -n -m1 -E 'Kernel panic|Internal error:|Unable to handle|moat-vm: error' \
      "$tmp/console.log" | cut -d: -f1)
    if [[ -n $first ]]; then
      err "console from the first sign of trouble (all of it: --console):"
      sed -n "$first,$((first + 15))p" "$tmp/console.log" | sed 's/^/  | /' >&2
    else
      err "last console lines (all of them: --console):"
      tail -n 20 "$tmp/console.log" | sed 's/^/  | /' >&2
    fi
  fi
  if [[ -s $tmp/qemu.log ]]; then
    sed 's/^/  qemu: /' "$tmp/qemu.log" >&2
  fi
}

if [[ -n $out ]]; then
  mkdir -p "$out"
  cp -R "$ctl/out/." "$out/"
fi
if [[ -f $ctl/status ]]; then
  exit "$(cat "$ctl/status")"
fi
if [[ $timeout -gt 0 && ($rc -eq 124 || $rc -eq 137) ]]; then
  err "timed out after ${timeout}s; the VM was killed"
  exit 124
fi
if [[ -f $ctl/started ]]; then
  err "the VM stopped before the command finished (qemu exit status $rc)"
else
  err "the VM failed to boot or to start the command (qemu exit status $rc)"
fi
show_console
exit 125
