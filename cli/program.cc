#include "cli/program.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include "base/unique_fd.h"

namespace moat::cli {
namespace {

ProgramError cannot_execute(const std::string& name, int err) {
  return ProgramError{ProgramError::kCannotExecute, name + ": " + std::strerror(err)};
}

// Finds `name` in PATH as execvp does: the first executable regular file.
std::optional<std::string> search_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) {
      end = dirs.size();
    }
    std::string dir = dirs.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return std::nullopt;
}

}  // namespace

Program::Program(Program&& other) noexcept
    : m_absolute_path(std::move(other.m_absolute_path)),
      m_data(std::exchange(other.m_data, nullptr)),
      m_size(std::exchange(other.m_size, 0)) {}

Program::~Program() {
  if (m_data != nullptr && m_size > 0) {
    munmap(m_data, m_size);
  }
}

Result<Program, ProgramError> open_program(const std::string& name) {
  if (name.empty()) {
    return ProgramError{ProgramError::kNotFound, "'': No such file or directory"};
  }
  std::string path = name;
  if (name.find('/') == std::string::npos) {
    auto found = search_path(name);
    if (!found) {
      return ProgramError{ProgramError::kNotFound, name + ": command not found"};
    }
    path = *found;
  }
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return ProgramError{ProgramError::kNotFound, name + ": " + std::strerror(err)};
    }
    return cannot_execute(name, err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return cannot_execute(name, errno);
  }
  if (S_ISDIR(st.st_mode)) {
    return cannot_execute(name, EISDIR);
  }
  if (!S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) != 0) {
    return cannot_execute(name, EACCES);
  }
  char resolved[PATH_MAX];
  std::string absolute = ::realpath(path.c_str(), resolved) != nullptr ? resolved : path;
  if (st.st_size == 0) {
    return Program(absolute, nullptr, 0);
  }
  void* data = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (data == MAP_FAILED) {
    return cannot_execute(name, errno);
  }
  return Program(absolute, static_cast<std::byte*>(data), static_cast<size_t>(st.st_size));
}

}  // namespace moat::cli
