#include "sentry/syscalls/syscall_table.h"

#include "arch_abi.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

namespace moat::sentry {
namespace {

// name -> number, read from a kernel UAPI header's __NR_ definitions.
std::map<std::string, int> read_numbers(const std::string& path) {
  std::ifstream in(path);
  std::map<std::string, int> numbers;
  std::regex define(R"(#define __NR(?:3264)?_(\w+)\s+(\d+))");
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, define)) {
      numbers[m[1]] = std::stoi(m[2]);
    }
  }
  return numbers;
}

TEST(SyscallTable, NamesAndNumbersAreUnique) {
  std::set<std::string_view> names;
  std::set<int> amd64;
  std::set<int> arm64;
  for (const auto& info : syscall_table()) {
    EXPECT_TRUE(names.insert(info.name).second) << "duplicate name " << info.name;
    if (info.amd64 >= 0) {
      EXPECT_TRUE(amd64.insert(info.amd64).second) << "duplicate amd64 number for " << info.name;
    }
    if (info.arm64 >= 0) {
      EXPECT_TRUE(arm64.insert(info.arm64).second) << "duplicate arm64 number for " << info.name;
    }
    EXPECT_TRUE(info.amd64 >= 0 || info.arm64 >= 0) << info.name << " exists on no architecture";
    EXPECT_LT(info.amd64, 1024);
    EXPECT_LT(info.arm64, 1024);
  }
}

TEST(SyscallTable, SupportedRowsHaveHandlersAndUnsupportedRowsNone) {
  for (const auto& info : syscall_table()) {
    if (info.status == SupportStatus::kUnsupported) {
      EXPECT_EQ(info.handler, nullptr) << info.name;
    } else {
      EXPECT_NE(info.handler, nullptr) << info.name;
    }
    EXPECT_LE(info.arg_count, 6) << info.name;
  }
}

TEST(SyscallTable, Amd64NumbersMatchTheKernelHeaders) {
  auto numbers = read_numbers("/usr/include/x86_64-linux-gnu/asm/unistd_64.h");
  ASSERT_GT(numbers.size(), 300u) << "linux-libc-dev's amd64 header is missing";
  for (const auto& info : syscall_table()) {
    auto it = numbers.find(std::string(info.name));
    if (info.amd64 >= 0) {
      ASSERT_NE(it, numbers.end()) << info.name << " is not an amd64 syscall";
      EXPECT_EQ(it->second, info.amd64) << info.name;
    } else {
      EXPECT_EQ(it, numbers.end()) << info.name << " exists on amd64 as " << it->second;
    }
  }
  // Every amd64 syscall of the headers is in the table.
  std::set<std::string_view> names;
  for (const auto& info : syscall_table()) {
    names.insert(info.name);
  }
  for (const auto& [name, number] : numbers) {
    EXPECT_TRUE(names.count(name)) << name << " (" << number << ") is missing from the table";
  }
}

TEST(SyscallTable, Arm64NumbersMatchTheGenericHeader) {
  auto numbers = read_numbers("/usr/include/asm-generic/unistd.h");
  ASSERT_GT(numbers.size(), 250u) << "linux-libc-dev's asm-generic header is missing";
  // The generic header spells a few 64-bit names differently.
  numbers["newfstatat"] = numbers["fstatat"];
  for (const auto& info : syscall_table()) {
    if (info.arm64 < 0) {
      continue;
    }
    auto it = numbers.find(std::string(info.name));
    ASSERT_NE(it, numbers.end()) << info.name << " is not a generic syscall";
    EXPECT_EQ(it->second, info.arm64) << info.name;
  }
}

TEST(SyscallTable, LookupByThisArchitecturesNumber) {
  const SyscallInfo* read = find_syscall(static_cast<uint64_t>(arch::syscall_number(0, 63)));
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->name, "read");
  for (const auto& info : syscall_table()) {
    int number = arch::syscall_number(info.amd64, info.arm64);
    if (number >= 0) {
      EXPECT_EQ(find_syscall(static_cast<uint64_t>(number)), &info) << info.name;
    }
  }
  EXPECT_EQ(find_syscall(1u << 30), nullptr);  // an x32 number
  EXPECT_EQ(find_syscall(~uint64_t{0}), nullptr);
}

}  // namespace
}  // namespace moat::sentry
