#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "base/result.h"

namespace moat::cli {

struct ProgramError {
  enum Kind { kNotFound, kCannotExecute };
  Kind kind;
  std::string message;  // "NAME: No such file or directory"
};

// The executable the user named, found the way a shell finds it (a name
// without a slash is looked up in PATH) and mapped read-only.
class Program {
 public:
  Program(std::string absolute_path, std::byte* data, size_t size)
      : m_absolute_path(std::move(absolute_path)), m_data(data), m_size(size) {}
  Program(Program&& other) noexcept;
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;
  Program& operator=(Program&&) = delete;
  ~Program();

  const std::string& absolute_path() const { return m_absolute_path; }
  std::span<const std::byte> bytes() const { return {m_data, m_size}; }

 private:
  std::string m_absolute_path;
  std::byte* m_data;
  size_t m_size;
};

Result<Program, ProgramError> open_program(const std::string& name);

}  // namespace moat::cli
