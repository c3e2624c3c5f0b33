#pragma once

// Helpers for the file and descriptor conformance tests: a fresh directory
// under /tmp for each test (inside moat, /tmp is an empty tmpfs and the rest
// of the root is read-only), small file helpers, and guards that restore the
// umask and the working directory.
//
// The helpers use the libc wrappers: they set up and inspect, while the call
// under test goes through syscall(2).

#include <fcntl.h>
#include <ftw.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/util/syscall_test_util.h"

namespace moat::conformance {

// A fresh directory /tmp/moat-XXXXXX and a descriptor of it, removed with
// everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/moat-XXXXXX";
    if (mkdtemp(name) == nullptr) {
      ADD_FAILURE() << "mkdtemp: " << strerror(errno);
      return;
    }
    m_path = name;
    m_fd = ::open(name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (m_fd < 0) {
      ADD_FAILURE() << "open " << m_path << ": " << strerror(errno);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    if (!m_path.empty()) {
      nftw(m_path.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
  }

  // The directory's absolute path, and that of `name` inside it.
  const std::string& path() const { return m_path; }
  std::string path(const std::string& name) const { return m_path + "/" + name; }
  // A descriptor of the directory, for the *at calls.
  int fd() const { return m_fd; }

 private:
  static int remove_entry(const char* path, const struct stat*, int, FTW*) {
    ::remove(path);
    return 0;
  }

  std::string m_path;
  int m_fd = -1;
};

// Sets the umask for the guard's lifetime.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : m_old(::umask(mask)) {}
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;
  ~ScopedUmask() { ::umask(m_old); }

 private:
  mode_t m_old;
};

// Returns to the current working directory on destruction.
class ScopedCwd {
 public:
  ScopedCwd() : m_fd(::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (m_fd < 0) {
      ADD_FAILURE() << "open .: " << strerror(errno);
    }
  }
  ScopedCwd(const ScopedCwd&) = delete;
  ScopedCwd& operator=(const ScopedCwd&) = delete;
  ~ScopedCwd() {
    if (m_fd >= 0) {
      if (::fchdir(m_fd) != 0) {
        ADD_FAILURE() << "fchdir back: " << strerror(errno);
      }
      ::close(m_fd);
    }
  }

 private:
  int m_fd;
};

// openat(2) through syscall(2): the descriptor, or -1 with errno set.
inline int open_at(int dirfd, const char* path, int flags, mode_t mode = 0) {
  return static_cast<int>(MOAT_CALL(syscall(SYS_openat, dirfd, path, flags, mode)).value);
}

// Creates (or replaces) `name` in `dirfd` with `content` and `mode`.
inline void write_file(int dirfd, const std::string& name, const std::string& content,
                       mode_t mode = 0644) {
  const int fd = ::openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  ASSERT_GE(fd, 0) << "create " << name << ": " << strerror(errno);
  ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()))
      << strerror(errno);
  ::close(fd);
}

// The whole content of `name` in `dirfd`, or "<error>" when it cannot be read.
inline std::string read_file(int dirfd, const std::string& name) {
  const int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return "<error>";
  }
  std::string content;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    content.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return n < 0 ? "<error>" : content;
}

// The whole remaining content of an open descriptor, read with read(2).
inline std::string read_rest(int fd) {
  std::string content;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    content.append(buf, static_cast<size_t>(n));
  }
  return n < 0 ? "<error>" : content;
}

}  // namespace moat::conformance
