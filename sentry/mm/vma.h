#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <span>

#include "base/result.h"
#include "sentry/mm/shared_memory.h"

namespace moat::sentry {

// The file behind a file mapping, as the memory manager reads it.
class MappedFile {
 public:
  virtual ~MappedFile() = default;
  // Up to dst.size() bytes at `offset`: fewer at the end of the file, 0
  // past it.
  virtual Result<size_t> read(std::span<std::byte> dst, uint64_t offset) = 0;
  // What /proc/self/maps shows of it.
  virtual uint64_t dev() const = 0;
  virtual uint64_t ino() const = 0;
};

// One virtual memory area: a page-aligned range with uniform protection.
struct Vma {
  uint64_t start = 0;
  uint64_t end = 0;       // exclusive
  uint32_t prot = 0;      // PROT_* bits
  uint32_t max_prot = 7;  // what mprotect may grant
  bool shared = false;    // MAP_SHARED
  bool grows_down = false;
  std::string name;  // /proc/self/maps path column: a file path, "[stack]", "[heap]", or ""
  // MAP_SHARED anonymous memory: the pages. Or a file mapping: the file,
  // whose pages are read into private pages on first touch.
  std::shared_ptr<SharedMemory> object;
  std::shared_ptr<MappedFile> file;
  // Where `start` lies in the object or the file.
  uint64_t offset = 0;

  uint64_t length() const { return end - start; }
  bool contains(uint64_t addr) const { return addr >= start && addr < end; }
};

}  // namespace moat::sentry
