# Batch script for selftest.sh, run inside the arm64 test VM by
# `run.sh --script`. Also the example of the batch convention (README.md).
. "$MOAT_VM_CTL/vmtest.sh"

uname -m
ls -l /dev/kvm
head -n 5 /proc/cpuinfo
dmesg | grep -i kvm

vm_test kvm_probe -- ./kvm_probe
vm_test net_modules -- sh -c 'moat-vm-net-modules && ls -l /dev/net/tun && ip link add v0 type veth peer name v1 && ip link add br0 type bridge'
vm_test threads_smp -- sh -c '[ "$(grep -c ^processor /proc/cpuinfo)" = 2 ]'
cat "$MOAT_VM_OUT/logs/kvm_probe.log"
vm_summary
