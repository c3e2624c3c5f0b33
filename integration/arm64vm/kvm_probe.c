// kvm_probe: checks that /dev/kvm works in the arm64 test VM.
//
// Creates a VM and a vCPU, initializes it with the preferred target, runs
// three instructions at EL1 with the MMU off (store 42 to an address with no
// memslot) and expects a KVM_EXIT_MMIO carrying that store. Prints each step;
// exits 0 when all of them worked. Build: aarch64-linux-gnu-gcc -static.
// Times are emulation times (TCG): never report them as arm64 speed.
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>

#define CHECK(call, what)                             \
  do {                                                \
    if ((call) < 0) {                                 \
      printf("FAIL %s: %s\n", what, strerror(errno)); \
      return 1;                                       \
    }                                                 \
  } while (0)

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(void) {
  enum { kMemBase = 0x40000000, kMemSize = 0x10000, kMmio = 0x10000000 };
  double t0 = now_us();

  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  CHECK(kvm, "open /dev/kvm");
  int api = ioctl(kvm, KVM_GET_API_VERSION, 0);
  printf("KVM_GET_API_VERSION = %d\n", api);
  int ipa = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
  printf("KVM_CAP_ARM_VM_IPA_SIZE = %d\n", ipa);

  int vm = ioctl(kvm, KVM_CREATE_VM, 0);
  CHECK(vm, "KVM_CREATE_VM");
  printf("KVM_CREATE_VM = fd %d\n", vm);

  uint32_t* mem = mmap(NULL, kMemSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  mem[0] = 0xd2800540;  // movz x0, #42
  mem[1] = 0xd2a20001;  // movz x1, #0x1000, lsl #16  (x1 = kMmio)
  mem[2] = 0xf9000020;  // str x0, [x1]
  mem[3] = 0x14000000;  // b .
  struct kvm_userspace_memory_region region = {
      .slot = 0,
      .guest_phys_addr = kMemBase,
      .memory_size = kMemSize,
      .userspace_addr = (uint64_t)(uintptr_t)mem,
  };
  CHECK(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region), "KVM_SET_USER_MEMORY_REGION");

  int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
  CHECK(vcpu, "KVM_CREATE_VCPU");
  printf("KVM_CREATE_VCPU = fd %d\n", vcpu);

  struct kvm_vcpu_init init;
  memset(&init, 0, sizeof(init));
  CHECK(ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init), "KVM_ARM_PREFERRED_TARGET");
  printf("KVM_ARM_PREFERRED_TARGET = target %u\n", init.target);
  CHECK(ioctl(vcpu, KVM_ARM_VCPU_INIT, &init), "KVM_ARM_VCPU_INIT");
  printf("KVM_ARM_VCPU_INIT = ok\n");
  double t1 = now_us();

  uint64_t pc = kMemBase;
  struct kvm_one_reg reg = {
      .id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(regs.pc),
      .addr = (uint64_t)(uintptr_t)&pc,
  };
  CHECK(ioctl(vcpu, KVM_SET_ONE_REG, &reg), "KVM_SET_ONE_REG pc");

  int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  CHECK(run_size, "KVM_GET_VCPU_MMAP_SIZE");
  struct kvm_run* run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
  if (run == MAP_FAILED) {
    perror("mmap kvm_run");
    return 1;
  }
  double t2 = now_us();
  CHECK(ioctl(vcpu, KVM_RUN, 0), "KVM_RUN");
  double t3 = now_us();
  uint64_t data = 0;
  memcpy(&data, run->mmio.data, sizeof(data));
  printf("KVM_RUN = exit_reason %u", run->exit_reason);
  if (run->exit_reason == KVM_EXIT_MMIO) {
    printf(" (MMIO) phys_addr 0x%llx len %u is_write %u data %llu",
           (unsigned long long)run->mmio.phys_addr, run->mmio.len, run->mmio.is_write,
           (unsigned long long)data);
  }
  printf("\n");
  printf(
      "create vm+memslot+vcpu+init: %.0f us; first KVM_RUN: %.0f us "
      "(emulated, not arm64 speed)\n",
      t1 - t0, t3 - t2);

  int ok = run->exit_reason == KVM_EXIT_MMIO && run->mmio.phys_addr == kMmio &&
           run->mmio.is_write && run->mmio.len == 8 && data == 42;
  printf("%s\n", ok ? "PASS kvm_probe" : "FAIL kvm_probe: unexpected exit");
  return ok ? 0 : 1;
}
