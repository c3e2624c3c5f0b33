#include "loader/elf.h"

#include <elf.h>
#include <linux/limits.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace moat::loader {
namespace {

constexpr uint64_t kUserEnd = 0x0000'8000'0000'0000;

// An ELF file under construction: a header, program headers written at
// e_phoff, and blobs of bytes at chosen offsets, in a file of file_size bytes.
// Whatever does not fit in the file is left out.
struct TestElf {
  Elf64_Ehdr ehdr{};
  std::vector<Elf64_Phdr> phdrs;
  std::vector<std::pair<uint64_t, std::string>> blobs;
  uint64_t file_size = 0;
  std::optional<uint16_t> phnum;  // e_phnum, if not phdrs.size()

  std::vector<std::byte> bytes() const {
    std::vector<std::byte> out(file_size);
    auto put = [&out](uint64_t offset, const void* data, uint64_t size) {
      if (offset < out.size()) {
        std::memcpy(out.data() + offset, data, std::min<uint64_t>(size, out.size() - offset));
      }
    };
    Elf64_Ehdr eh = ehdr;
    eh.e_phnum = phnum.value_or(static_cast<uint16_t>(phdrs.size()));
    put(0, &eh, sizeof(eh));
    // A huge e_phoff would wrap around onto the header: write nothing then.
    for (size_t i = 0; i < phdrs.size() && eh.e_phoff < file_size; ++i) {
      put(eh.e_phoff + i * sizeof(Elf64_Phdr), &phdrs[i], sizeof(Elf64_Phdr));
    }
    for (const auto& [offset, data] : blobs) {
      put(offset, data.data(), data.size());
    }
    return out;
  }
};

Elf64_Phdr phdr(uint32_t type, uint32_t flags, uint64_t offset, uint64_t vaddr, uint64_t filesz,
                uint64_t memsz, uint64_t align = 0x1000) {
  Elf64_Phdr ph{};
  ph.p_type = type;
  ph.p_flags = flags;
  ph.p_offset = offset;
  ph.p_vaddr = vaddr;
  ph.p_paddr = vaddr;
  ph.p_filesz = filesz;
  ph.p_memsz = memsz;
  ph.p_align = align;
  return ph;
}

Elf64_Ehdr ehdr(uint16_t type, uint16_t machine, uint64_t entry) {
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = type;
  eh.e_machine = machine;
  eh.e_version = EV_CURRENT;
  eh.e_entry = entry;
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  return eh;
}

// A static executable: text, read-only data, data + bss, TLS, GNU_STACK.
// The last segment's data ends the file.
TestElf static_exec(uint16_t machine = EM_X86_64) {
  TestElf elf;
  elf.ehdr = ehdr(ET_EXEC, machine, 0x401010);
  elf.phdrs = {
      phdr(PT_LOAD, PF_R, 0, 0x400000, 0x200, 0x200),
      phdr(PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x100, 0x100),
      phdr(PT_LOAD, PF_R, 0x2000, 0x402000, 0x80, 0x80),
      phdr(PT_LOAD, PF_R | PF_W, 0x2f00, 0x403f00, 0x100, 0x2000),
      phdr(PT_TLS, PF_R, 0x2f00, 0x403f00, 0x10, 0x30, 8),
      phdr(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16),
  };
  elf.file_size = 0x3000;
  return elf;
}

constexpr char kInterp[] = "/lib64/ld-linux-x86-64.so.2";

// A dynamically linked PIE: PT_PHDR, PT_INTERP, segments from address 0.
TestElf dynamic_pie(uint16_t machine = EM_X86_64) {
  TestElf elf;
  elf.ehdr = ehdr(ET_DYN, machine, 0x1040);
  elf.phdrs = {
      phdr(PT_PHDR, PF_R, 64, 64, 5 * sizeof(Elf64_Phdr), 5 * sizeof(Elf64_Phdr), 8),
      phdr(PT_INTERP, PF_R, 0x300, 0x300, sizeof(kInterp), sizeof(kInterp), 1),
      phdr(PT_LOAD, PF_R, 0, 0, 0x400, 0x400),
      phdr(PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x200, 0x200),
      phdr(PT_LOAD, PF_R | PF_W, 0x1e00, 0x2e00, 0x200, 0x1000),
  };
  elf.blobs = {{0x300, std::string(kInterp, sizeof(kInterp))}};
  elf.file_size = 0x2000;
  return elf;
}

Result<ElfImage, ElfError> parse(const TestElf& elf, Machine m = Machine::kX86_64) {
  auto bytes = elf.bytes();
  return parse_elf(bytes, m);
}

// Expects parsing to fail with `kind`; returns the message.
std::string expect_error(const TestElf& elf, ElfErrorKind kind, Machine m = Machine::kX86_64) {
  auto result = parse(elf, m);
  EXPECT_FALSE(result.has_value());
  if (result.has_value()) {
    return "";
  }
  EXPECT_EQ(result.error().kind, kind) << result.error().message;
  EXPECT_FALSE(result.error().message.empty());
  return result.error().message;
}

// What any successful parse promises, whatever the input.
void check_invariants(const ElfImage& image, size_t file_size) {
  ASSERT_FALSE(image.loads.empty());
  for (size_t i = 0; i < image.loads.size(); ++i) {
    const Segment& s = image.loads[i];
    EXPECT_LE(s.filesz, s.memsz);
    EXPECT_LE(s.offset, file_size);
    EXPECT_LE(s.filesz, file_size - s.offset);
    EXPECT_LE(s.memsz, kUserEnd);
    EXPECT_LE(s.vaddr, kUserEnd - s.memsz);
    if (i > 0) {
      EXPECT_LE(image.loads[i - 1].vaddr + image.loads[i - 1].memsz, s.vaddr);
    }
  }
  EXPECT_EQ(image.min_vaddr % 4096, 0u);
  EXPECT_EQ(image.max_vaddr % 4096, 0u);
  EXPECT_LE(image.min_vaddr, image.loads.front().vaddr);
  EXPECT_LE(image.max_vaddr, kUserEnd);
  if (image.interp) {
    EXPECT_FALSE(image.interp->empty());
    EXPECT_EQ(image.interp->find('\0'), std::string::npos);
  }
}

TEST(ParseElf, StaticExecutable) {
  auto result = parse(static_exec());
  ASSERT_TRUE(result.has_value()) << result.error().message;
  const ElfImage& image = *result;
  EXPECT_FALSE(image.position_independent);
  EXPECT_EQ(image.machine, Machine::kX86_64);
  EXPECT_EQ(image.entry, 0x401010u);
  EXPECT_EQ(image.phentsize, sizeof(Elf64_Phdr));
  EXPECT_EQ(image.phnum, 6);
  ASSERT_EQ(image.loads.size(), 4u);
  EXPECT_EQ(image.loads[0].vaddr, 0x400000u);
  EXPECT_EQ(image.loads[0].flags, kSegmentRead);
  EXPECT_EQ(image.loads[1].flags, kSegmentRead | kSegmentExec);
  EXPECT_EQ(image.loads[3].vaddr, 0x403f00u);
  EXPECT_EQ(image.loads[3].offset, 0x2f00u);
  EXPECT_EQ(image.loads[3].filesz, 0x100u);
  EXPECT_EQ(image.loads[3].memsz, 0x2000u);
  EXPECT_EQ(image.loads[3].align, 0x1000u);
  EXPECT_EQ(image.loads[3].flags, kSegmentRead | kSegmentWrite);
  EXPECT_FALSE(image.interp.has_value());
  ASSERT_TRUE(image.tls.has_value());
  EXPECT_EQ(image.tls->vaddr, 0x403f00u);
  EXPECT_EQ(image.tls->filesz, 0x10u);
  EXPECT_EQ(image.tls->memsz, 0x30u);
  EXPECT_EQ(image.tls->align, 8u);
  EXPECT_FALSE(image.executable_stack);
  // No PT_PHDR: the headers are found through the first PT_LOAD, which maps
  // file offset 0 at 0x400000.
  EXPECT_EQ(image.phdr_vaddr, 0x400000u + sizeof(Elf64_Ehdr));
  EXPECT_EQ(image.min_vaddr, 0x400000u);
  EXPECT_EQ(image.max_vaddr, 0x406000u);
  check_invariants(image, 0x3000);
}

TEST(ParseElf, DynamicPie) {
  auto result = parse(dynamic_pie());
  ASSERT_TRUE(result.has_value()) << result.error().message;
  const ElfImage& image = *result;
  EXPECT_TRUE(image.position_independent);
  EXPECT_EQ(image.entry, 0x1040u);
  EXPECT_EQ(image.phnum, 5);
  ASSERT_EQ(image.loads.size(), 3u);
  EXPECT_EQ(image.interp, std::optional<std::string>(kInterp));
  EXPECT_FALSE(image.tls.has_value());
  EXPECT_EQ(image.phdr_vaddr, 64u);
  EXPECT_EQ(image.min_vaddr, 0u);
  EXPECT_EQ(image.max_vaddr, 0x4000u);
  // No PT_GNU_STACK: executable on x86-64, as Linux has it.
  EXPECT_TRUE(image.executable_stack);
}

TEST(ParseElf, Aarch64) {
  auto result = parse(dynamic_pie(EM_AARCH64), Machine::kAarch64);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->machine, Machine::kAarch64);
  // No PT_GNU_STACK: non-executable on AArch64.
  EXPECT_FALSE(result->executable_stack);
}

TEST(ParseElf, ExecutableStackFollowsGnuStack) {
  TestElf elf = static_exec();
  elf.phdrs[5].p_flags = PF_R | PF_W | PF_X;
  auto result = parse(elf);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_TRUE(result->executable_stack);
}

TEST(ParseElf, PhdrVaddrIsZeroWhenUnmapped) {
  TestElf elf = static_exec();
  // Move the headers past every segment's file contents.
  elf.ehdr.e_phoff = 0x3000;
  elf.file_size = 0x3000 + 6 * sizeof(Elf64_Phdr);
  auto result = parse(elf);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->phdr_vaddr, 0u);
}

TEST(ParseElf, PhdrVaddrInALaterSegment) {
  TestElf elf = static_exec();
  elf.ehdr.e_phoff = 0x2f40;  // inside the data segment's file bytes
  elf.file_size = 0x2f40 + 6 * sizeof(Elf64_Phdr);
  elf.phdrs[3].p_filesz = elf.file_size - 0x2f00;
  auto result = parse(elf);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->phdr_vaddr, 0x403f40u);
}

TEST(ParseElf, AdjacentSegmentsMayShareAPage) {
  TestElf elf = static_exec();
  // The read-only data now ends where the data segment begins, mid-page.
  elf.phdrs[2] = phdr(PT_LOAD, PF_R, 0x2e00, 0x403e00, 0x100, 0x100);
  auto result = parse(elf);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->loads.size(), 4u);
}

TEST(ParseElf, Truncated) {
  auto full = dynamic_pie().bytes();
  const size_t headers_end = sizeof(Elf64_Ehdr) + 5 * sizeof(Elf64_Phdr);
  struct Case {
    size_t size;
    ElfErrorKind kind;
  };
  for (Case c : {Case{0, ElfErrorKind::kNotElf}, Case{3, ElfErrorKind::kNotElf},
                 Case{10, ElfErrorKind::kTruncated}, Case{40, ElfErrorKind::kTruncated},
                 Case{63, ElfErrorKind::kTruncated}, Case{64, ElfErrorKind::kTruncated},
                 Case{64 + 56 + 20, ElfErrorKind::kTruncated},
                 Case{headers_end - 1, ElfErrorKind::kTruncated},
                 Case{full.size() - 1, ElfErrorKind::kTruncated}}) {
    auto result = parse_elf(std::span(full).first(c.size), Machine::kX86_64);
    ASSERT_FALSE(result.has_value()) << "size " << c.size;
    EXPECT_EQ(result.error().kind, c.kind) << "size " << c.size << ": " << result.error().message;
  }
}

TEST(ParseElf, NotElf) {
  TestElf elf = static_exec();
  elf.ehdr.e_ident[EI_MAG1] = 'F';
  EXPECT_EQ(expect_error(elf, ElfErrorKind::kNotElf), "not an ELF file");
  std::string script = "#!/bin/sh\necho hello\n";
  auto bytes = std::as_bytes(std::span(script));
  EXPECT_EQ(parse_elf(bytes, Machine::kX86_64).error().kind, ElfErrorKind::kNotElf);
}

TEST(ParseElf, ProgramHeadersOutsideTheFile) {
  TestElf elf = static_exec();
  elf.ehdr.e_phoff = 0x2f00;  // the table would end past 0x3000
  EXPECT_EQ(expect_error(elf, ElfErrorKind::kTruncated),
            "program headers extend past the end of the file");
  elf.ehdr.e_phoff = 0x10000;
  expect_error(elf, ElfErrorKind::kTruncated);
}

TEST(ParseElf, ProgramHeaderOffsetOverflow) {
  for (uint64_t phoff :
       {~uint64_t{0}, ~uint64_t{0} - 55, ~uint64_t{0} - 6 * 56 + 1, uint64_t{1} << 63}) {
    TestElf elf = static_exec();
    elf.ehdr.e_phoff = phoff;
    expect_error(elf, ElfErrorKind::kTruncated);
  }
}

TEST(ParseElf, TooManyProgramHeaders) {
  TestElf elf = static_exec();
  elf.phnum = 65535;  // PN_XNUM
  EXPECT_EQ(expect_error(elf, ElfErrorKind::kMalformed), "too many program headers (65535)");
  elf.phnum = 65536 / sizeof(Elf64_Phdr) + 1;
  expect_error(elf, ElfErrorKind::kMalformed);
}

TEST(ParseElf, NoProgramHeaders) {
  TestElf elf = static_exec();
  elf.phnum = 0;
  expect_error(elf, ElfErrorKind::kMalformed);
}

TEST(ParseElf, NoLoadSegments) {
  TestElf elf = static_exec();
  elf.phdrs = {phdr(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16)};
  EXPECT_EQ(expect_error(elf, ElfErrorKind::kMalformed), "ELF file has no PT_LOAD segments");
}

TEST(ParseElf, WrongProgramHeaderSize) {
  TestElf elf = static_exec();
  elf.ehdr.e_phentsize = 32;
  EXPECT_EQ(expect_error(elf, ElfErrorKind::kMalformed), "program header size is 32, not 56");
  elf.ehdr.e_phentsize = 64;
  expect_error(elf, ElfErrorKind::kMalformed);
}

TEST(ParseElf, OverlappingSegments) {
  TestElf elf = static_exec();
  elf.phdrs[1].p_memsz = 0x1001;  // one byte into the next segment
  expect_error(elf, ElfErrorKind::kMalformed);
  elf = static_exec();
  elf.phdrs[2].p_vaddr = 0x401000;  // on top of the text
  elf.phdrs[2].p_offset = 0x2000;
  expect_error(elf, ElfErrorKind::kMalformed);
}

TEST(ParseElf, UnsortedSegments) {
  TestElf elf = static_exec();
  std::swap(elf.phdrs[1], elf.phdrs[2]);
  EXPECT_EQ(expect_error(elf, ElfErrorKind::kMalformed),
            "PT_LOAD segments are not sorted by address");
}

TEST(ParseElf, SegmentBeyondUserSpace) {
  TestElf elf = static_exec();
  elf.phdrs[3].p_memsz = kUserEnd;  // ends far past 2^47
  expect_error(elf, ElfErrorKind::kMalformed);
  elf = static_exec();
  elf.phdrs[3].p_vaddr = kUserEnd - 0x1000 + 0xf00;  // ends just past 2^47
  elf.phdrs[3].p_memsz = 0x101;
  elf.phdrs[3].p_filesz = 0x100;
  expect_error(elf, ElfErrorKind::kMalformed);
  // Ending exactly at the limit is fine.
  elf.phdrs[3].p_memsz = 0x100;
  auto result = parse(elf);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->max_vaddr, kUserEnd);
}

TEST(ParseElf, SegmentAddressOverflow) {
  TestElf elf = static_exec();
  elf.phdrs[3].p_vaddr = ~uint64_t{0} - 0xff;
  elf.phdrs[3].p_offset = 0x2f00;
  elf.phdrs[3].p_memsz = 0x2000;
  expect_error(elf, ElfErrorKind::kMalformed);
  elf = static_exec();
  elf.phdrs[3].p_memsz = ~uint64_t{0};
  expect_error(elf, ElfErrorKind::kMalformed);
}

TEST(ParseElf, FileSizeLargerThanMemorySize) {
  TestElf elf = static_exec();
  elf.phdrs[3].p_memsz = 0x80;
  expect_error(elf, ElfErrorKind::kMalformed);
}

TEST(ParseElf, SegmentDataPastTheEndOfTheFile) {
  TestElf elf = static_exec();
  elf.phdrs[3].p_filesz = 0x101;
  expect_error(elf, ElfErrorKind::kTruncated);
  elf = static_exec();
  elf.phdrs[3].p_offset = ~uint64_t{0} - 0xff;  // offset + filesz wraps to 0
  expect_error(elf, ElfErrorKind::kTruncated);
}

TEST(ParseElf, OffsetAndAddressMustBeCongruent) {
  TestElf elf = static_exec();
  elf.phdrs[2].p_offset = 0x2010;
  expect_error(elf, ElfErrorKind::kMalformed);
  // A segment with no file contents needs no particular offset.
  elf = static_exec();
  elf.phdrs[3].p_offset = 0x123;
  elf.phdrs[3].p_filesz = 0;
  auto result = parse(elf);
  ASSERT_TRUE(result.has_value()) << result.error().message;
}

TEST(ParseElf, WrongClass) {
  TestElf elf = static_exec();
  elf.ehdr.e_ident[EI_CLASS] = ELFCLASS32;
  EXPECT_EQ(expect_error(elf, ElfErrorKind::kWrongClass), "32-bit ELF files are not supported");
  elf.ehdr.e_ident[EI_CLASS] = 7;
  expect_error(elf, ElfErrorKind::kWrongClass);
}

TEST(ParseElf, WrongEndian) {
  TestElf elf = static_exec();
  elf.ehdr.e_ident[EI_DATA] = ELFDATA2MSB;
  EXPECT_EQ(expect_error(elf, ElfErrorKind::kWrongEndian),
            "big-endian ELF files are not supported");
  elf.ehdr.e_ident[EI_DATA] = ELFDATANONE;
  expect_error(elf, ElfErrorKind::kWrongEndian);
}

TEST(ParseElf, WrongVersion) {
  TestElf elf = static_exec();
  elf.ehdr.e_ident[EI_VERSION] = 2;
  expect_error(elf, ElfErrorKind::kMalformed);
}

TEST(ParseElf, WrongMachine) {
  EXPECT_EQ(expect_error(static_exec(EM_AARCH64), ElfErrorKind::kWrongMachine, Machine::kX86_64),
            "ELF file is for AArch64, not x86-64");
  EXPECT_EQ(expect_error(static_exec(EM_X86_64), ElfErrorKind::kWrongMachine, Machine::kAarch64),
            "ELF file is for x86-64, not AArch64");
  EXPECT_EQ(expect_error(static_exec(EM_386), ElfErrorKind::kWrongMachine),
            "ELF file is for i386, not x86-64");
  EXPECT_EQ(expect_error(static_exec(999), ElfErrorKind::kWrongMachine),
            "ELF file is for machine 999, not x86-64");
}

TEST(ParseElf, BadType) {
  TestElf elf = static_exec();
  elf.ehdr.e_type = ET_REL;
  EXPECT_EQ(expect_error(elf, ElfErrorKind::kBadType),
            "ELF file is a relocatable object, not an executable");
  elf.ehdr.e_type = ET_CORE;
  EXPECT_EQ(expect_error(elf, ElfErrorKind::kBadType),
            "ELF file is a core dump, not an executable");
  elf.ehdr.e_type = ET_NONE;
  expect_error(elf, ElfErrorKind::kBadType);
}

TEST(ParseElf, EntryOutsideExecutableSegments) {
  TestElf elf = static_exec();
  elf.ehdr.e_entry = 0x402010;  // in the read-only data
  EXPECT_EQ(expect_error(elf, ElfErrorKind::kMalformed),
            "entry point 0x402010 is not in an executable segment");
  elf.ehdr.e_entry = 0x401100;  // one past the end of the text
  expect_error(elf, ElfErrorKind::kMalformed);
  elf.ehdr.e_entry = 0;
  expect_error(elf, ElfErrorKind::kMalformed);
  elf.ehdr.e_entry = 0x401000;  // the first byte is fine
  EXPECT_TRUE(parse(elf).has_value());
}

TEST(ParseElf, InterpNotNulTerminated) {
  TestElf elf = dynamic_pie();
  elf.blobs[0].second.back() = 'x';
  EXPECT_EQ(expect_error(elf, ElfErrorKind::kMalformed), "interpreter path is not NUL-terminated");
}

TEST(ParseElf, InterpOutsideTheFile) {
  TestElf elf = dynamic_pie();
  elf.phdrs[1].p_offset = 0x2000 - 4;
  expect_error(elf, ElfErrorKind::kTruncated);
  elf.phdrs[1].p_offset = ~uint64_t{0} - 4;
  expect_error(elf, ElfErrorKind::kTruncated);
}

TEST(ParseElf, InterpBadSize) {
  TestElf elf = dynamic_pie();
  elf.phdrs[1].p_filesz = 1;
  expect_error(elf, ElfErrorKind::kMalformed);
  elf.phdrs[1].p_filesz = PATH_MAX + 1;
  elf.phdrs[1].p_offset = 0;
  expect_error(elf, ElfErrorKind::kMalformed);
  elf = dynamic_pie();
  elf.blobs[0].second[0] = '\0';  // empty path
  expect_error(elf, ElfErrorKind::kMalformed);
}

TEST(ParseElf, TwoInterps) {
  TestElf elf = dynamic_pie();
  elf.phdrs.insert(elf.phdrs.begin() + 2, elf.phdrs[1]);
  expect_error(elf, ElfErrorKind::kMalformed);
}

TEST(ParseElf, TlsIsChecked) {
  TestElf elf = static_exec();
  elf.phdrs[4].p_filesz = 0x40;  // more than its memsz
  expect_error(elf, ElfErrorKind::kMalformed);
  elf = static_exec();
  elf.phdrs[4].p_offset = 0x10000;
  expect_error(elf, ElfErrorKind::kTruncated);
}

// Reads a whole host file, or nullopt if it cannot be opened.
std::optional<std::vector<std::byte>> read_host_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::vector<char> chars{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::vector<std::byte> bytes(chars.size());
  std::memcpy(bytes.data(), chars.data(), chars.size());
  return bytes;
}

// The host's architecture, from an ELF file built for it.
Machine host_machine(const std::vector<std::byte>& file) {
  Elf64_Ehdr eh;
  std::memcpy(&eh, file.data(), sizeof(eh));
  return eh.e_machine == EM_AARCH64 ? Machine::kAarch64 : Machine::kX86_64;
}

void check_host_executable(const std::vector<std::byte>& file) {
  ASSERT_GE(file.size(), sizeof(Elf64_Ehdr));
  Machine host = host_machine(file);
  auto result = parse_elf(file, host);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  const ElfImage& image = *result;
  check_invariants(image, file.size());
  // Debian builds PIEs with a dynamic loader by default.
  EXPECT_TRUE(image.position_independent);
  ASSERT_TRUE(image.interp.has_value());
  if (host == Machine::kX86_64) {
    EXPECT_EQ(*image.interp, "/lib64/ld-linux-x86-64.so.2");
  } else {
    EXPECT_EQ(*image.interp, "/lib/ld-linux-aarch64.so.1");
  }
  EXPECT_NE(image.phdr_vaddr, 0u);
  EXPECT_FALSE(image.executable_stack);
  Machine other = host == Machine::kX86_64 ? Machine::kAarch64 : Machine::kX86_64;
  EXPECT_EQ(parse_elf(file, other).error().kind, ElfErrorKind::kWrongMachine);
}

TEST(ParseElf, ThisTestBinary) {
  auto file = read_host_file("/proc/self/exe");
  ASSERT_TRUE(file.has_value());
  check_host_executable(*file);
}

TEST(ParseElf, HostTrue) {
  auto file = read_host_file("/bin/true");
  if (!file) {
    GTEST_SKIP() << "no /bin/true";
  }
  check_host_executable(*file);
}

// Corrupting the headers byte by byte, or cutting the file anywhere, must never
// crash the parser (run it under ASan), and what it accepts must be sound.
TEST(ParseElf, SurvivesCorruptHeaders) {
  for (const TestElf& elf : {static_exec(), dynamic_pie()}) {
    const auto good = elf.bytes();
    const size_t headers_end = elf.ehdr.e_phoff + elf.phdrs.size() * sizeof(Elf64_Phdr);
    for (size_t offset = 0; offset < headers_end; ++offset) {
      for (uint8_t value : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
        auto bytes = good;
        bytes[offset] = std::byte{value};
        auto result = parse_elf(bytes, Machine::kX86_64);
        if (result.has_value()) {
          check_invariants(*result, bytes.size());
        }
      }
    }
  }
}

TEST(ParseElf, SurvivesRandomCorruption) {
  // xorshift64: deterministic, so a failure reproduces.
  uint64_t state = 0x9e3779b97f4a7c15;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  int accepted = 0;
  for (const TestElf& elf : {static_exec(), dynamic_pie()}) {
    const auto good = elf.bytes();
    const size_t headers_end = elf.ehdr.e_phoff + elf.phdrs.size() * sizeof(Elf64_Phdr);
    for (int round = 0; round < 20000; ++round) {
      auto bytes = good;
      int changes = 1 + static_cast<int>(next() % 4);
      for (int i = 0; i < changes; ++i) {
        bytes[next() % headers_end] = static_cast<std::byte>(next() & 0xff);
      }
      auto result = parse_elf(bytes, Machine::kX86_64);
      if (result.has_value()) {
        ++accepted;
        check_invariants(*result, bytes.size());
      }
    }
  }
  // Many changes land in fields the parser ignores (p_paddr, e_shoff, ...).
  EXPECT_GT(accepted, 0);
}

TEST(ParseElf, EveryTruncationFails) {
  for (const TestElf& elf : {static_exec(), dynamic_pie()}) {
    const auto good = elf.bytes();
    ASSERT_TRUE(parse_elf(good, Machine::kX86_64).has_value());
    // The last segment's data ends the file, so any cut loses something needed.
    for (size_t size = 0; size < good.size(); ++size) {
      // A copy of exactly `size` bytes, so ASan sees any read past its end.
      std::vector<std::byte> cut(good.begin(), good.begin() + static_cast<ptrdiff_t>(size));
      auto result = parse_elf(cut, Machine::kX86_64);
      ASSERT_FALSE(result.has_value()) << "size " << size;
      if (size >= SELFMAG) {
        EXPECT_EQ(result.error().kind, ElfErrorKind::kTruncated)
            << "size " << size << ": " << result.error().message;
      }
    }
  }
}

TEST(MachineName, Names) {
  EXPECT_STREQ(machine_name(Machine::kX86_64), "x86-64");
  EXPECT_STREQ(machine_name(Machine::kAarch64), "AArch64");
}

}  // namespace
}  // namespace moat::loader
