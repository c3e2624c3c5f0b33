#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace moat::loader {

// The guest architectures moat can load.
enum class Machine { kX86_64, kAarch64 };

// Segment permission bits, as in ELF's p_flags.
inline constexpr uint32_t kSegmentExec = 1;
inline constexpr uint32_t kSegmentWrite = 2;
inline constexpr uint32_t kSegmentRead = 4;

// One PT_LOAD (or PT_TLS) program header, validated.
struct Segment {
  uint64_t vaddr = 0;
  uint64_t memsz = 0;
  uint64_t offset = 0;
  uint64_t filesz = 0;
  uint64_t align = 0;
  uint32_t flags = 0;  // kSegment* bits
};

// What the loader needs from an ELF64 executable, every field validated
// against the file's size and the 47-bit user address space.
struct ElfImage {
  bool position_independent = false;  // ET_DYN: loaded at a chosen bias
  Machine machine = Machine::kX86_64;
  uint64_t entry = 0;  // unbiased
  uint16_t phentsize = 0;
  uint16_t phnum = 0;
  uint64_t phdr_vaddr = 0;     // unbiased address of the program headers in memory, 0 if not mapped
  std::vector<Segment> loads;  // PT_LOAD, sorted by vaddr, non-overlapping
  std::optional<std::string> interp;  // PT_INTERP path, if any
  std::optional<Segment> tls;         // PT_TLS
  bool executable_stack = false;      // PT_GNU_STACK has PF_X (or is absent on amd64)
  uint64_t min_vaddr = 0;             // page-aligned start of the lowest PT_LOAD
  uint64_t max_vaddr = 0;             // page-aligned end of the highest PT_LOAD
};

enum class ElfErrorKind {
  kNotElf,        // no ELF magic: "not an ELF file"
  kTruncated,     // a header or table extends past the end of the file
  kWrongClass,    // ELFCLASS32 or unknown class
  kWrongEndian,   // not little-endian
  kWrongMachine,  // e_machine is not the expected one
  kBadType,       // not ET_EXEC / ET_DYN
  kMalformed,     // anything else inconsistent (absurd or overlapping segments, bad entry, ...)
};

struct ElfError {
  ElfErrorKind kind;
  std::string
      message;  // one line, no trailing period: "program headers extend past the end of the file"
};

// Parses and validates an ELF64 executable held in memory. Pure: no I/O.
Result<ElfImage, ElfError> parse_elf(std::span<const std::byte> file, Machine expected);

// "x86-64" or "AArch64".
const char* machine_name(Machine m);

}  // namespace moat::loader
