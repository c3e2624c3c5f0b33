#include "loader/initial_stack.h"

#include <cstring>

#include "base/bits.h"

namespace moat::loader {
namespace {

// Linux's MAX_ARG_STRLEN: the longest argument or environment string,
// counting its NUL.
constexpr uint64_t kMaxArgStrlen = 32 * kPageSize;

constexpr uint64_t kWordSize = 8;
constexpr uint64_t kStackAlign = 16;
constexpr uint64_t kRandomSize = 16;

constexpr uint64_t align_up(uint64_t v, uint64_t align) {
  return (v + align - 1) & ~(align - 1);
}

// Fills the stack image, which begins at guest address m_base.
class StackWriter {
 public:
  StackWriter(std::vector<std::byte>& bytes, uint64_t base) : m_bytes(bytes), m_base(base) {}

  void put_bytes(uint64_t addr, const void* data, size_t size) {
    std::memcpy(m_bytes.data() + (addr - m_base), data, size);
  }

  // The image starts zeroed, so the NUL is already there.
  void put_string(uint64_t addr, const std::string& s) { put_bytes(addr, s.data(), s.size()); }

  // Guest words are little-endian on both architectures.
  void put_word(uint64_t addr, uint64_t value) {
    for (uint64_t i = 0; i < kWordSize; ++i) {
      m_bytes[addr - m_base + i] = static_cast<std::byte>((value >> (8 * i)) & 0xff);
    }
  }

 private:
  std::vector<std::byte>& m_bytes;
  uint64_t m_base;
};

bool is_reserved_aux(uint64_t type) {
  return type == kAtNull || type == kAtRandom || type == kAtExecfn || type == kAtPlatform;
}

}  // namespace

Result<InitialStack> build_initial_stack(const InitialStackSpec& spec) {
  if (spec.stack_top % kStackAlign != 0) {
    return Errno::kEINVAL;
  }
  // These the function places itself; a caller's AT_NULL would cut auxv short.
  for (const AuxEntry& e : spec.auxv) {
    if (is_reserved_aux(e.type)) {
      return Errno::kEINVAL;
    }
  }

  // Sizes, measured downwards from stack_top. No sum can overflow: every
  // string already sits in host memory.
  uint64_t string_bytes = 0;
  for (const auto* list : {&spec.argv, &spec.envp}) {
    for (const std::string& s : *list) {
      if (s.size() + 1 > kMaxArgStrlen) {
        return Errno::kE2BIG;
      }
      string_bytes += s.size() + 1;
    }
  }
  if (spec.execfn.size() + 1 > kMaxArgStrlen || spec.platform.size() + 1 > kMaxArgStrlen) {
    return Errno::kE2BIG;
  }
  const bool has_platform = !spec.platform.empty();
  const uint64_t execfn_size = spec.execfn.size() + 1;
  const uint64_t platform_size = has_platform ? spec.platform.size() + 1 : 0;
  const uint64_t aux_count = spec.auxv.size() + 2 + (has_platform ? 1 : 0) + 1;
  const uint64_t table_words = 1 + (spec.argv.size() + 1) + (spec.envp.size() + 1) + 2 * aux_count;

  const uint64_t strings_depth = align_up(execfn_size + string_bytes, kStackAlign);
  const uint64_t random_depth = strings_depth + platform_size + kRandomSize;
  const uint64_t total = align_up(random_depth + table_words * kWordSize, kStackAlign);
  if (total > spec.max_size || total > spec.stack_top) {
    return Errno::kE2BIG;
  }

  InitialStack stack;
  stack.sp = spec.stack_top - total;
  stack.bytes.resize(total);
  StackWriter out(stack.bytes, stack.sp);

  // The strings, execfn highest, then the environment and arguments in
  // order below it, so that argv[0] is lowest.
  const uint64_t execfn_addr = spec.stack_top - execfn_size;
  out.put_string(execfn_addr, spec.execfn);
  std::vector<uint64_t> argv_addrs(spec.argv.size());
  std::vector<uint64_t> envp_addrs(spec.envp.size());
  uint64_t cursor = execfn_addr;
  for (size_t i = spec.envp.size(); i-- > 0;) {
    cursor -= spec.envp[i].size() + 1;
    envp_addrs[i] = cursor;
    out.put_string(cursor, spec.envp[i]);
  }
  for (size_t i = spec.argv.size(); i-- > 0;) {
    cursor -= spec.argv[i].size() + 1;
    argv_addrs[i] = cursor;
    out.put_string(cursor, spec.argv[i]);
  }

  const uint64_t platform_addr = spec.stack_top - strings_depth - platform_size;
  if (has_platform) {
    out.put_string(platform_addr, spec.platform);
  }
  const uint64_t random_addr = spec.stack_top - random_depth;
  out.put_bytes(random_addr, spec.random.data(), spec.random.size());

  // The table, from sp upwards; padding separates it from the data above.
  uint64_t addr = stack.sp;
  auto push = [&](uint64_t word) {
    out.put_word(addr, word);
    addr += kWordSize;
  };
  push(spec.argv.size());
  stack.argv = addr;
  for (uint64_t a : argv_addrs) {
    push(a);
  }
  push(0);
  stack.envp = addr;
  for (uint64_t a : envp_addrs) {
    push(a);
  }
  push(0);
  stack.auxv = addr;
  for (const AuxEntry& e : spec.auxv) {
    push(e.type);
    push(e.value);
  }
  push(kAtRandom);
  push(random_addr);
  push(kAtExecfn);
  push(execfn_addr);
  if (has_platform) {
    push(kAtPlatform);
    push(platform_addr);
  }
  push(kAtNull);
  push(0);
  return stack;
}

}  // namespace moat::loader
