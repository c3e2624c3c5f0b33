#pragma once

// <linux/kvm.h> for C++. Debian 12's UAPI headers declare flexible arrays
// through __DECLARE_FLEX_ARRAY, whose empty struct has size 1 in C++: that
// shifts the arrays and changes the ioctl numbers that encode struct sizes
// (KVM_GET_SUPPORTED_CPUID, KVM_SET_MSRS, ...), which the kernel then
// rejects with EINVAL. Declare them the way newer headers do for C++.
#include <linux/stddef.h>

#include <cstddef>
#undef __DECLARE_FLEX_ARRAY
#define __DECLARE_FLEX_ARRAY(TYPE, NAME) TYPE NAME[0]
#include <linux/kvm.h>

static_assert(sizeof(kvm_reg_list) == 8, "kvm_reg_list must match the kernel's layout");
static_assert(offsetof(kvm_signal_mask, sigset) == 4, "kvm_signal_mask must match the kernel's");
