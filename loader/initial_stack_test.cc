#include "loader/initial_stack.h"

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace moat::loader {
namespace {

constexpr uint64_t kTop = 0x7fff'ffff'f000;
constexpr uint64_t kMaxArgStrlen = 32 * 4096;

// Reads the built image by guest address, failing the test on a stray address.
class StackReader {
 public:
  explicit StackReader(const InitialStack& stack) : m_stack(stack) {}

  bool contains(uint64_t addr, uint64_t size) const {
    return addr >= m_stack.sp && addr - m_stack.sp <= m_stack.bytes.size() &&
           size <= m_stack.bytes.size() - (addr - m_stack.sp);
  }

  uint64_t word(uint64_t addr) const {
    EXPECT_TRUE(contains(addr, 8)) << std::hex << addr;
    if (!contains(addr, 8)) {
      return 0;
    }
    uint64_t value = 0;
    for (int i = 7; i >= 0; --i) {
      value = (value << 8) | std::to_integer<uint64_t>(m_stack.bytes[addr - m_stack.sp + i]);
    }
    return value;
  }

  std::string string(uint64_t addr) const {
    std::string s;
    while (contains(addr, 1)) {
      char c = static_cast<char>(m_stack.bytes[addr - m_stack.sp]);
      if (c == '\0') {
        return s;
      }
      s += c;
      ++addr;
    }
    ADD_FAILURE() << "unterminated string";
    return s;
  }

 private:
  const InitialStack& m_stack;
};

struct Parsed {
  uint64_t argc = 0;
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  std::vector<AuxEntry> auxv;  // including AT_NULL
  uint64_t table_end = 0;      // address just past AT_NULL's value
};

// Walks the image as a C runtime's _start would.
Parsed parse_stack(const InitialStack& stack) {
  StackReader r(stack);
  Parsed p;
  uint64_t addr = stack.sp;
  p.argc = r.word(addr);
  addr += 8;
  EXPECT_EQ(addr, stack.argv);
  for (uint64_t ptr; (ptr = r.word(addr)) != 0; addr += 8) {
    p.argv.push_back(r.string(ptr));
  }
  addr += 8;
  EXPECT_EQ(addr, stack.envp);
  for (uint64_t ptr; (ptr = r.word(addr)) != 0; addr += 8) {
    p.envp.push_back(r.string(ptr));
  }
  addr += 8;
  EXPECT_EQ(addr, stack.auxv);
  for (;;) {
    AuxEntry e{r.word(addr), r.word(addr + 8)};
    addr += 16;
    p.auxv.push_back(e);
    if (e.type == kAtNull || !r.contains(addr, 16)) {
      break;
    }
  }
  p.table_end = addr;
  return p;
}

bool has_aux(const Parsed& p, uint64_t type) {
  for (const AuxEntry& e : p.auxv) {
    if (e.type == type) {
      return true;
    }
  }
  return false;
}

uint64_t aux_value(const Parsed& p, uint64_t type) {
  for (const AuxEntry& e : p.auxv) {
    if (e.type == type) {
      return e.value;
    }
  }
  ADD_FAILURE() << "no auxv entry " << type;
  return 0;
}

InitialStackSpec base_spec() {
  InitialStackSpec spec;
  spec.stack_top = kTop;
  for (uint8_t i = 0; i < 16; ++i) {
    spec.random[i] = static_cast<uint8_t>(0xa0 + i);
  }
  spec.execfn = "/usr/bin/prog";
  spec.platform = "x86_64";
  spec.max_size = 1 << 20;
  return spec;
}

TEST(InitialStack, Layout) {
  std::vector<std::string> argv = {"prog", "-v", "file name"};
  std::vector<std::string> envp = {"HOME=/root", "PATH=/bin", ""};
  std::vector<AuxEntry> auxv = {{kAtPagesz, 4096}, {kAtEntry, 0x401000}, {kAtPhnum, 7}};
  InitialStackSpec spec = base_spec();
  spec.argv = argv;
  spec.envp = envp;
  spec.auxv = auxv;

  auto result = build_initial_stack(spec);
  ASSERT_TRUE(result.has_value());
  const InitialStack& stack = *result;
  EXPECT_EQ(stack.sp % 16, 0u);
  EXPECT_EQ(stack.sp + stack.bytes.size(), kTop);

  Parsed p = parse_stack(stack);
  EXPECT_EQ(p.argc, 3u);
  EXPECT_EQ(p.argv, argv);
  EXPECT_EQ(p.envp, envp);

  // The caller's entries in order, then the ones the builder adds, then AT_NULL.
  ASSERT_EQ(p.auxv.size(), 7u);
  for (size_t i = 0; i < auxv.size(); ++i) {
    EXPECT_EQ(p.auxv[i].type, auxv[i].type);
    EXPECT_EQ(p.auxv[i].value, auxv[i].value);
  }
  EXPECT_EQ(p.auxv[3].type, kAtRandom);
  EXPECT_EQ(p.auxv[4].type, kAtExecfn);
  EXPECT_EQ(p.auxv[5].type, kAtPlatform);
  EXPECT_EQ(p.auxv[6].type, kAtNull);
  EXPECT_EQ(p.auxv[6].value, 0u);

  StackReader r(stack);
  EXPECT_EQ(r.string(aux_value(p, kAtExecfn)), "/usr/bin/prog");
  EXPECT_EQ(r.string(aux_value(p, kAtPlatform)), "x86_64");
  uint64_t random = aux_value(p, kAtRandom);
  ASSERT_TRUE(r.contains(random, 16));
  for (uint64_t i = 0; i < 16; ++i) {
    EXPECT_EQ(std::to_integer<uint8_t>(stack.bytes[random - stack.sp + i]), 0xa0 + i);
  }

  // The execfn string ends the stack; the strings sit in order below it, and
  // the platform string and random bytes below them, all above the table.
  uint64_t execfn = aux_value(p, kAtExecfn);
  EXPECT_EQ(execfn + spec.execfn.size() + 1, kTop);
  uint64_t last_env = r.word(stack.envp + 8 * (envp.size() - 1));
  EXPECT_EQ(last_env + 1, execfn);
  uint64_t argv0 = r.word(stack.argv);
  EXPECT_EQ(r.word(stack.argv + 8), argv0 + 5);
  EXPECT_EQ(r.word(stack.argv + 16), argv0 + 8);
  EXPECT_EQ(r.word(stack.envp), argv0 + 18);
  uint64_t platform = aux_value(p, kAtPlatform);
  EXPECT_LT(platform + 7, argv0 + 1);
  EXPECT_EQ(random + 16, platform);
  EXPECT_LE(p.table_end, random);
  EXPECT_LT(random - p.table_end, 16u);
}

TEST(InitialStack, SpAlignedForEveryCount) {
  std::vector<std::string> strings = {"a", "bb", "ccc", "dddd", "eeeee"};
  std::vector<AuxEntry> auxv = {{kAtPagesz, 4096}, {kAtUid, 0}};
  for (size_t argc = 0; argc <= strings.size(); ++argc) {
    for (size_t envc = 0; envc <= strings.size(); ++envc) {
      for (size_t auxc = 0; auxc <= auxv.size(); ++auxc) {
        for (bool platform : {false, true}) {
          InitialStackSpec spec = base_spec();
          spec.argv = std::span(strings).first(argc);
          spec.envp = std::span(strings).last(envc);
          spec.auxv = std::span(auxv).first(auxc);
          if (!platform) {
            spec.platform.clear();
          }
          auto result = build_initial_stack(spec);
          ASSERT_TRUE(result.has_value());
          EXPECT_EQ(result->sp % 16, 0u) << argc << " " << envc << " " << auxc;
          EXPECT_EQ(result->sp + result->bytes.size(), kTop);
          Parsed p = parse_stack(*result);
          EXPECT_EQ(p.argc, argc);
          EXPECT_EQ(p.argv.size(), argc);
          EXPECT_EQ(p.envp.size(), envc);
          EXPECT_EQ(p.auxv.size(), auxc + 3 + (platform ? 1 : 0));
          EXPECT_EQ(p.auxv.back().type, kAtNull);
          EXPECT_EQ(has_aux(p, kAtPlatform), platform);
        }
      }
    }
  }
}

TEST(InitialStack, EmptyArgvAndEnvp) {
  InitialStackSpec spec = base_spec();
  auto result = build_initial_stack(spec);
  ASSERT_TRUE(result.has_value());
  StackReader r(*result);
  EXPECT_EQ(r.word(result->sp), 0u);       // argc
  EXPECT_EQ(r.word(result->sp + 8), 0u);   // argv's NULL
  EXPECT_EQ(r.word(result->sp + 16), 0u);  // envp's NULL
  EXPECT_EQ(result->argv, result->sp + 8);
  EXPECT_EQ(result->envp, result->sp + 16);
  EXPECT_EQ(result->auxv, result->sp + 24);
  EXPECT_EQ(r.word(result->auxv), kAtRandom);
  Parsed p = parse_stack(*result);
  EXPECT_TRUE(p.argv.empty());
  EXPECT_TRUE(p.envp.empty());
  EXPECT_EQ(p.auxv.size(), 4u);
}

TEST(InitialStack, MisalignedTop) {
  InitialStackSpec spec = base_spec();
  spec.stack_top = kTop - 8;
  EXPECT_EQ(build_initial_stack(spec).error(), Errno::kEINVAL);
}

TEST(InitialStack, ReservedAuxEntries) {
  for (uint64_t type : {kAtNull, kAtRandom, kAtExecfn, kAtPlatform}) {
    std::vector<AuxEntry> auxv = {{kAtPagesz, 4096}, {type, 1}};
    InitialStackSpec spec = base_spec();
    spec.auxv = auxv;
    EXPECT_EQ(build_initial_stack(spec).error(), Errno::kEINVAL) << type;
  }
}

TEST(InitialStack, LongStrings) {
  // MAX_ARG_STRLEN counts the NUL.
  std::vector<std::string> fits = {std::string(kMaxArgStrlen - 1, 'a')};
  std::vector<std::string> too_long = {std::string(kMaxArgStrlen, 'a')};
  InitialStackSpec spec = base_spec();
  spec.argv = fits;
  EXPECT_TRUE(build_initial_stack(spec).has_value());
  spec.argv = too_long;
  EXPECT_EQ(build_initial_stack(spec).error(), Errno::kE2BIG);
  spec = base_spec();
  spec.envp = too_long;
  EXPECT_EQ(build_initial_stack(spec).error(), Errno::kE2BIG);
  spec = base_spec();
  spec.execfn = too_long[0];
  EXPECT_EQ(build_initial_stack(spec).error(), Errno::kE2BIG);
}

TEST(InitialStack, TotalSizeLimit) {
  std::vector<std::string> argv(100, std::string(1000, 'x'));
  InitialStackSpec spec = base_spec();
  spec.argv = argv;
  spec.max_size = 100 * 1001;  // the strings alone fill it
  EXPECT_EQ(build_initial_stack(spec).error(), Errno::kE2BIG);
  spec.max_size = 200 * 1000;
  auto result = build_initial_stack(spec);
  ASSERT_TRUE(result.has_value());
  EXPECT_LE(result->bytes.size(), spec.max_size);
  // A limit of exactly the size needed is enough.
  spec.max_size = result->bytes.size();
  EXPECT_TRUE(build_initial_stack(spec).has_value());
  spec.max_size = result->bytes.size() - 1;
  EXPECT_EQ(build_initial_stack(spec).error(), Errno::kE2BIG);
}

TEST(InitialStack, DoesNotWrapBelowZero) {
  InitialStackSpec spec = base_spec();
  spec.stack_top = 64;
  EXPECT_EQ(build_initial_stack(spec).error(), Errno::kE2BIG);
  spec.stack_top = 0;
  EXPECT_EQ(build_initial_stack(spec).error(), Errno::kE2BIG);
}

}  // namespace
}  // namespace moat::loader
