# Cross build for AArch64 hosts with Debian's gcc-aarch64-linux-gnu toolchain.
# Libraries (fmt, spdlog, gtest) come from Debian's arm64 multiarch packages.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# Test binaries (and GoogleTest's test discovery) run on an x86-64 build host
# through qemu user-mode emulation (Debian's qemu-user-static).
find_program(MOAT_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(MOAT_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${MOAT_QEMU_AARCH64} -L /usr/aarch64-linux-gnu)
endif()
