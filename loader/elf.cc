#include "loader/elf.h"

#include <elf.h>
#include <linux/limits.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "base/bits.h"

namespace moat::loader {
namespace {

// The headers are copied byte for byte into glibc's structs, which is only
// right on a little-endian host; moat runs on x86-64 and AArch64 only.
static_assert(std::endian::native == std::endian::little);

// The end of the 47-bit user address space both architectures give a process.
constexpr uint64_t kUserAddressEnd = 0x0000'8000'0000'0000;

// Linux refuses program header tables larger than this (load_elf_phdrs).
constexpr uint64_t kMaxPhdrTableSize = 65536;

static_assert(kSegmentExec == PF_X && kSegmentWrite == PF_W && kSegmentRead == PF_R);

ElfError fail(ElfErrorKind kind, std::string message) {
  return ElfError{kind, std::move(message)};
}

// Whether [offset, offset + size) lies inside the file, without overflowing.
bool in_file(std::span<const std::byte> file, uint64_t offset, uint64_t size) {
  return offset <= file.size() && size <= file.size() - offset;
}

// Copies a header out of the file. The caller has checked the bounds; the
// bytes may sit at any alignment, so they are never cast in place.
template <typename T>
T read_at(std::span<const std::byte> file, uint64_t offset) {
  static_assert(std::is_trivially_copyable_v<T>);
  T value;
  std::memcpy(&value, file.data() + offset, sizeof(T));
  return value;
}

uint8_t byte_at(std::span<const std::byte> file, size_t offset) {
  return std::to_integer<uint8_t>(file[offset]);
}

uint16_t elf_machine(Machine m) {
  return m == Machine::kAarch64 ? EM_AARCH64 : EM_X86_64;
}

std::string describe_machine(uint16_t em) {
  switch (em) {
    case EM_X86_64:
      return "x86-64";
    case EM_AARCH64:
      return "AArch64";
    case EM_386:
      return "i386";
    case EM_ARM:
      return "32-bit ARM";
    case EM_RISCV:
      return "RISC-V";
    case EM_PPC64:
      return "PowerPC64";
    case EM_S390:
      return "s390";
    default:
      return fmt::format("machine {}", em);
  }
}

std::string describe_type(uint16_t type) {
  switch (type) {
    case ET_NONE:
      return "of no type";
    case ET_REL:
      return "a relocatable object";
    case ET_CORE:
      return "a core dump";
    default:
      return fmt::format("of type {:#x}", type);
  }
}

const char* segment_type_name(uint32_t type) {
  switch (type) {
    case PT_LOAD:
      return "PT_LOAD";
    case PT_TLS:
      return "PT_TLS";
    default:
      return "segment";
  }
}

// Checks the file and memory extents of a PT_LOAD or PT_TLS header.
Result<Segment, ElfError> check_segment(std::span<const std::byte> file, const Elf64_Phdr& ph,
                                        size_t index) {
  auto where = fmt::format("program header {} ({})", index, segment_type_name(ph.p_type));
  if (ph.p_filesz > ph.p_memsz) {
    return fail(ElfErrorKind::kMalformed,
                fmt::format("{}: file size {:#x} exceeds memory size {:#x}", where, ph.p_filesz,
                            ph.p_memsz));
  }
  if (!in_file(file, ph.p_offset, ph.p_filesz)) {
    return fail(ElfErrorKind::kTruncated,
                fmt::format("{}: data extends past the end of the file", where));
  }
  auto end = checked_add(ph.p_vaddr, ph.p_memsz);
  if (!end || *end > kUserAddressEnd) {
    return fail(ElfErrorKind::kMalformed,
                fmt::format("{}: [{:#x}, +{:#x}) extends beyond the user address space", where,
                            ph.p_vaddr, ph.p_memsz));
  }
  return Segment{
      .vaddr = ph.p_vaddr,
      .memsz = ph.p_memsz,
      .offset = ph.p_offset,
      .filesz = ph.p_filesz,
      .align = ph.p_align,
      .flags = ph.p_flags & (kSegmentExec | kSegmentWrite | kSegmentRead),
  };
}

// Reads PT_INTERP: a NUL-terminated path no longer than PATH_MAX.
Result<std::string, ElfError> read_interp(std::span<const std::byte> file, const Elf64_Phdr& ph) {
  if (!in_file(file, ph.p_offset, ph.p_filesz)) {
    return fail(ElfErrorKind::kTruncated, "interpreter path extends past the end of the file");
  }
  // Like Linux: at least one character and its NUL, at most PATH_MAX bytes.
  if (ph.p_filesz < 2 || ph.p_filesz > PATH_MAX) {
    return fail(ElfErrorKind::kMalformed,
                fmt::format("interpreter path has a bad size ({} bytes)", ph.p_filesz));
  }
  auto bytes = file.subspan(ph.p_offset, ph.p_filesz);
  if (bytes.back() != std::byte{0}) {
    return fail(ElfErrorKind::kMalformed, "interpreter path is not NUL-terminated");
  }
  auto nul = std::find(bytes.begin(), bytes.end(), std::byte{0});
  std::string path(static_cast<size_t>(nul - bytes.begin()), '\0');
  std::memcpy(path.data(), bytes.data(), path.size());
  if (path.empty()) {
    return fail(ElfErrorKind::kMalformed, "interpreter path is empty");
  }
  return path;
}

// Checks e_ident, from the magic to the version.
Result<void, ElfError> check_ident(std::span<const std::byte> file) {
  if (file.size() < SELFMAG || std::memcmp(file.data(), ELFMAG, SELFMAG) != 0) {
    return fail(ElfErrorKind::kNotElf, "not an ELF file");
  }
  if (file.size() < EI_NIDENT) {
    return fail(ElfErrorKind::kTruncated, "ELF identification is truncated");
  }
  uint8_t elf_class = byte_at(file, EI_CLASS);
  if (elf_class == ELFCLASS32) {
    return fail(ElfErrorKind::kWrongClass, "32-bit ELF files are not supported");
  }
  if (elf_class != ELFCLASS64) {
    return fail(ElfErrorKind::kWrongClass, fmt::format("unknown ELF class {}", elf_class));
  }
  uint8_t data = byte_at(file, EI_DATA);
  if (data == ELFDATA2MSB) {
    return fail(ElfErrorKind::kWrongEndian, "big-endian ELF files are not supported");
  }
  if (data != ELFDATA2LSB) {
    return fail(ElfErrorKind::kWrongEndian, fmt::format("unknown ELF data encoding {}", data));
  }
  uint8_t version = byte_at(file, EI_VERSION);
  if (version != EV_CURRENT) {
    return fail(ElfErrorKind::kMalformed, fmt::format("unknown ELF version {}", version));
  }
  return {};
}

// Checks the ELF header's fields that do not depend on the program headers.
Result<void, ElfError> check_header(std::span<const std::byte> file, const Elf64_Ehdr& eh,
                                    Machine expected) {
  if (eh.e_machine != elf_machine(expected)) {
    return fail(ElfErrorKind::kWrongMachine,
                fmt::format("ELF file is for {}, not {}", describe_machine(eh.e_machine),
                            machine_name(expected)));
  }
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
    return fail(ElfErrorKind::kBadType,
                fmt::format("ELF file is {}, not an executable", describe_type(eh.e_type)));
  }
  if (eh.e_phentsize != sizeof(Elf64_Phdr)) {
    return fail(ElfErrorKind::kMalformed, fmt::format("program header size is {}, not {}",
                                                      eh.e_phentsize, sizeof(Elf64_Phdr)));
  }
  if (eh.e_phnum == 0) {
    return fail(ElfErrorKind::kMalformed, "ELF file has no program headers");
  }
  uint64_t table_size = uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr);
  if (table_size > kMaxPhdrTableSize) {
    return fail(ElfErrorKind::kMalformed, fmt::format("too many program headers ({})", eh.e_phnum));
  }
  if (!in_file(file, eh.e_phoff, table_size)) {
    return fail(ElfErrorKind::kTruncated, "program headers extend past the end of the file");
  }
  return {};
}

// Checks the PT_LOAD segments as a whole: sorted, non-overlapping, with the
// entry point in an executable one.
Result<void, ElfError> check_loads(const std::vector<Segment>& loads, uint64_t entry) {
  if (loads.empty()) {
    return fail(ElfErrorKind::kMalformed, "ELF file has no PT_LOAD segments");
  }
  for (size_t i = 1; i < loads.size(); ++i) {
    const Segment& prev = loads[i - 1];
    const Segment& cur = loads[i];
    if (cur.vaddr < prev.vaddr) {
      return fail(ElfErrorKind::kMalformed, "PT_LOAD segments are not sorted by address");
    }
    // Neighbours may share a page, as Linux allows, but not bytes. The sum
    // cannot overflow: check_segment bounded it by kUserAddressEnd.
    if (prev.vaddr + prev.memsz > cur.vaddr) {
      return fail(
          ElfErrorKind::kMalformed,
          fmt::format("PT_LOAD segments at {:#x} and {:#x} overlap", prev.vaddr, cur.vaddr));
    }
  }
  for (const Segment& s : loads) {
    if ((s.flags & kSegmentExec) != 0 && entry >= s.vaddr && entry - s.vaddr < s.memsz) {
      return {};
    }
  }
  return fail(ElfErrorKind::kMalformed,
              fmt::format("entry point {:#x} is not in an executable segment", entry));
}

}  // namespace

const char* machine_name(Machine m) {
  switch (m) {
    case Machine::kX86_64:
      return "x86-64";
    case Machine::kAarch64:
      return "AArch64";
  }
  return "unknown machine";
}

Result<ElfImage, ElfError> parse_elf(std::span<const std::byte> file, Machine expected) {
  if (auto ok = check_ident(file); !ok) {
    return ok.error();
  }
  if (file.size() < sizeof(Elf64_Ehdr)) {
    return fail(ElfErrorKind::kTruncated, "ELF header is truncated");
  }
  const auto eh = read_at<Elf64_Ehdr>(file, 0);
  if (auto ok = check_header(file, eh, expected); !ok) {
    return ok.error();
  }

  ElfImage image;
  image.position_independent = eh.e_type == ET_DYN;
  image.machine = expected;
  image.entry = eh.e_entry;
  image.phentsize = eh.e_phentsize;
  image.phnum = eh.e_phnum;

  std::optional<uint64_t> phdr_segment_vaddr;
  std::optional<bool> gnu_stack_exec;
  for (size_t i = 0; i < eh.e_phnum; ++i) {
    const auto ph = read_at<Elf64_Phdr>(file, eh.e_phoff + i * sizeof(Elf64_Phdr));
    switch (ph.p_type) {
      case PT_LOAD: {
        auto segment = check_segment(file, ph, i);
        if (!segment) {
          return segment.error();
        }
        // Linux maps file pages at page-aligned addresses, so a segment with
        // file contents needs its offset and address congruent modulo the page.
        if (segment->filesz != 0 && segment->offset % kPageSize != segment->vaddr % kPageSize) {
          return fail(ElfErrorKind::kMalformed,
                      fmt::format("program header {} (PT_LOAD): offset {:#x} and address {:#x} "
                                  "differ modulo the page size",
                                  i, segment->offset, segment->vaddr));
        }
        image.loads.push_back(*segment);
        break;
      }
      case PT_INTERP: {
        if (image.interp) {
          return fail(ElfErrorKind::kMalformed, "ELF file has more than one PT_INTERP");
        }
        auto path = read_interp(file, ph);
        if (!path) {
          return path.error();
        }
        image.interp = std::move(*path);
        break;
      }
      case PT_TLS: {
        if (image.tls) {
          return fail(ElfErrorKind::kMalformed, "ELF file has more than one PT_TLS");
        }
        auto segment = check_segment(file, ph, i);
        if (!segment) {
          return segment.error();
        }
        image.tls = *segment;
        break;
      }
      case PT_GNU_STACK:
        // Linux heeds the first one.
        if (!gnu_stack_exec) {
          gnu_stack_exec = (ph.p_flags & PF_X) != 0;
        }
        break;
      case PT_PHDR:
        if (!phdr_segment_vaddr) {
          phdr_segment_vaddr = ph.p_vaddr;
        }
        break;
      default:
        break;
    }
  }

  if (auto ok = check_loads(image.loads, image.entry); !ok) {
    return ok.error();
  }

  // Without PT_GNU_STACK, Linux gives x86-64 programs an executable stack
  // (READ_IMPLIES_EXEC) and AArch64 programs a non-executable one.
  image.executable_stack = gnu_stack_exec.value_or(expected == Machine::kX86_64);

  if (phdr_segment_vaddr) {
    image.phdr_vaddr = *phdr_segment_vaddr;
  } else {
    for (const Segment& s : image.loads) {
      if (eh.e_phoff >= s.offset && eh.e_phoff - s.offset < s.filesz) {
        image.phdr_vaddr = s.vaddr + (eh.e_phoff - s.offset);
        break;
      }
    }
  }

  uint64_t end = 0;
  for (const Segment& s : image.loads) {
    end = std::max(end, s.vaddr + s.memsz);
  }
  image.min_vaddr = page_round_down(image.loads.front().vaddr);
  // Cannot fail: end <= kUserAddressEnd, which is page-aligned.
  image.max_vaddr = page_round_up(end).value();
  return image;
}

}  // namespace moat::loader
