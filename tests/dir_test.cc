// Directories and names: mkdirat, unlinkat, renameat2, symlinkat, linkat,
// getdents64, getcwd, chdir and fchdir (and x86-64's mkdir, rmdir, unlink,
// rename, symlink, link and getdents). Every test works in its own fresh
// directory under /tmp and leaves the working directory as it found it.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "tests/util/file_test_util.h"
#include "tests/util/syscall_test_util.h"

namespace {

using moat::conformance::open_at;
using moat::conformance::read_file;
using moat::conformance::read_rest;
using moat::conformance::ScopedCwd;
using moat::conformance::ScopedFd;
using moat::conformance::ScopedUmask;
using moat::conformance::TempDir;
using moat::conformance::write_file;

// lstat of `path` in `dirfd`; st_mode is 0 when there is nothing there.
struct stat lstat_of(int dirfd, const char* path) {
  struct stat st {};
  if (syscall(SYS_newfstatat, dirfd, path, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    st.st_mode = 0;
  }
  return st;
}

bool exists(int dirfd, const char* path) {
  return lstat_of(dirfd, path).st_mode != 0;
}

std::string current_dir() {
  char buf[4096];
  const long n = syscall(SYS_getcwd, buf, sizeof buf);
  return n < 0 ? std::string("<error>") : std::string(buf);
}

// ---- mkdirat, mkdir ------------------------------------------------------

TEST(Mkdirat, CreatesAnEmptyDirectoryWithTheGivenMode) {
  MOAT_COVERS("mkdirat");
  TempDir dir;
  ScopedUmask no_mask(0);
  const nlink_t parent_links = lstat_of(dir.fd(), ".").st_nlink;
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "d", 0750));
  const struct stat st = lstat_of(dir.fd(), "d");
  EXPECT_EQ(st.st_mode, S_IFDIR | 0750u);
  EXPECT_EQ(st.st_nlink, 2u) << "its name and its own \".\"";
  EXPECT_EQ(lstat_of(dir.fd(), ".").st_nlink, parent_links + 1) << "the new \"..\"";
}

TEST(Mkdirat, ExistingNameIsEexist) {
  MOAT_COVERS("mkdirat");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "d", 0755));
  EXPECT_FAILS_WITH(syscall(SYS_mkdirat, dir.fd(), "d", 0755), EEXIST);
  EXPECT_FAILS_WITH(syscall(SYS_mkdirat, dir.fd(), "f", 0755), EEXIST);
  EXPECT_FAILS_WITH(syscall(SYS_mkdirat, AT_FDCWD, "/", 0755), EEXIST);
}

TEST(Mkdirat, MissingParentIsEnoentAndFileParentIsEnotdir) {
  MOAT_COVERS("mkdirat");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  EXPECT_FAILS_WITH(syscall(SYS_mkdirat, dir.fd(), "missing/d", 0755), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_mkdirat, dir.fd(), "f/d", 0755), ENOTDIR);
}

#if defined(SYS_mkdir) && defined(SYS_rmdir)
TEST(Mkdir, CreatesAndRmdirRemoves) {
  MOAT_COVERS("mkdir", "rmdir");
  TempDir dir;
  const std::string path = dir.path("d");
  ASSERT_SUCCEEDS(syscall(SYS_mkdir, path.c_str(), 0755));
  EXPECT_TRUE(S_ISDIR(lstat_of(dir.fd(), "d").st_mode));
  EXPECT_FAILS_WITH(syscall(SYS_mkdir, path.c_str(), 0755), EEXIST);
  write_file(dir.fd(), "d/f", "");
  EXPECT_FAILS_WITH(syscall(SYS_rmdir, path.c_str()), ENOTEMPTY);
  EXPECT_FAILS_WITH(syscall(SYS_rmdir, dir.path("d/f").c_str()), ENOTDIR);
  ASSERT_SUCCEEDS(syscall(SYS_unlinkat, dir.fd(), "d/f", 0));
  EXPECT_SUCCEEDS(syscall(SYS_rmdir, path.c_str()));
  EXPECT_FALSE(exists(dir.fd(), "d"));
}
#endif

// ---- unlinkat, unlink, rmdir ---------------------------------------------

TEST(Unlinkat, RemovesAFileButOpenDescriptorsKeepIt) {
  MOAT_COVERS("unlinkat", "fstat");
  TempDir dir;
  write_file(dir.fd(), "f", "still here");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ASSERT_SUCCEEDS(syscall(SYS_unlinkat, dir.fd(), "f", 0));
  EXPECT_FALSE(exists(dir.fd(), "f"));
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), "f", O_RDONLY), ENOENT);
  struct stat st {};
  ASSERT_SUCCEEDS(syscall(SYS_fstat, fd.get(), &st));
  EXPECT_EQ(st.st_nlink, 0u);
  EXPECT_EQ(read_rest(fd.get()), "still here");
  EXPECT_FAILS_WITH(syscall(SYS_unlinkat, dir.fd(), "f", 0), ENOENT);
}

TEST(Unlinkat, RemovedirRemovesAnEmptyDirectory) {
  MOAT_COVERS("unlinkat");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "d", 0755));
  EXPECT_SUCCEEDS(syscall(SYS_unlinkat, dir.fd(), "d", AT_REMOVEDIR));
  EXPECT_FALSE(exists(dir.fd(), "d"));
}

TEST(Unlinkat, RemovedirOnANonEmptyDirectoryIsEnotempty) {
  MOAT_COVERS("unlinkat");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "d", 0755));
  write_file(dir.fd(), "d/f", "");
  EXPECT_FAILS_WITH(syscall(SYS_unlinkat, dir.fd(), "d", AT_REMOVEDIR), ENOTEMPTY);
  EXPECT_TRUE(exists(dir.fd(), "d/f"));
}

TEST(Unlinkat, DirectoryWithoutRemovedirIsEisdir) {
  MOAT_COVERS("unlinkat");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "d", 0755));
  EXPECT_FAILS_WITH(syscall(SYS_unlinkat, dir.fd(), "d", 0), EISDIR);
  EXPECT_TRUE(exists(dir.fd(), "d"));
}

TEST(Unlinkat, FileWithRemovedirIsEnotdir) {
  MOAT_COVERS("unlinkat");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  EXPECT_FAILS_WITH(syscall(SYS_unlinkat, dir.fd(), "f", AT_REMOVEDIR), ENOTDIR);
  EXPECT_TRUE(exists(dir.fd(), "f"));
}

TEST(Unlinkat, SymlinkIsRemovedNotItsTarget) {
  MOAT_COVERS("unlinkat", "symlinkat");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "f", dir.fd(), "link"));
  ASSERT_SUCCEEDS(syscall(SYS_unlinkat, dir.fd(), "link", 0));
  EXPECT_FALSE(exists(dir.fd(), "link"));
  EXPECT_TRUE(exists(dir.fd(), "f"));
}

TEST(Unlinkat, DotAndBadFlagsAreEinval) {
  MOAT_COVERS("unlinkat");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "d", 0755));
  EXPECT_FAILS_WITH(syscall(SYS_unlinkat, dir.fd(), "d/.", AT_REMOVEDIR), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_unlinkat, dir.fd(), "d", 0x1), EINVAL);
  EXPECT_TRUE(exists(dir.fd(), "d"));
}

#ifdef SYS_unlink
TEST(Unlink, RemovesAFileAndRefusesADirectory) {
  MOAT_COVERS("unlink");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "d", 0755));
  EXPECT_SUCCEEDS(syscall(SYS_unlink, dir.path("f").c_str()));
  EXPECT_FALSE(exists(dir.fd(), "f"));
  EXPECT_FAILS_WITH(syscall(SYS_unlink, dir.path("d").c_str()), EISDIR);
  EXPECT_FAILS_WITH(syscall(SYS_unlink, dir.path("f").c_str()), ENOENT);
}
#endif

// ---- renameat2, renameat, rename -----------------------------------------

TEST(Renameat2, MovesTheNameAndKeepsTheInode) {
  MOAT_COVERS("renameat2");
  TempDir dir;
  write_file(dir.fd(), "old", "content");
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "d", 0755));
  const ino_t ino = lstat_of(dir.fd(), "old").st_ino;
  ASSERT_SUCCEEDS(syscall(SYS_renameat2, dir.fd(), "old", dir.fd(), "d/new", 0));
  EXPECT_FALSE(exists(dir.fd(), "old"));
  EXPECT_EQ(read_file(dir.fd(), "d/new"), "content");
  EXPECT_EQ(lstat_of(dir.fd(), "d/new").st_ino, ino);
}

TEST(Renameat2, OverAnExistingFileReplacesIt) {
  MOAT_COVERS("renameat2");
  TempDir dir;
  write_file(dir.fd(), "a", "from a");
  write_file(dir.fd(), "b", "from b");
  ScopedFd old_b(open_at(dir.fd(), "b", O_RDONLY));
  ASSERT_GE(old_b.get(), 0) << strerror(errno);
  ASSERT_SUCCEEDS(syscall(SYS_renameat2, dir.fd(), "a", dir.fd(), "b", 0));
  EXPECT_FALSE(exists(dir.fd(), "a"));
  EXPECT_EQ(read_file(dir.fd(), "b"), "from a");
  EXPECT_EQ(read_rest(old_b.get()), "from b") << "the replaced file lives on while open";
}

TEST(Renameat2, NoreplaceOverAnExistingNameIsEexist) {
  MOAT_COVERS("renameat2");
  TempDir dir;
  write_file(dir.fd(), "a", "from a");
  write_file(dir.fd(), "b", "from b");
  EXPECT_FAILS_WITH(syscall(SYS_renameat2, dir.fd(), "a", dir.fd(), "b", RENAME_NOREPLACE), EEXIST);
  EXPECT_EQ(read_file(dir.fd(), "a"), "from a");
  EXPECT_EQ(read_file(dir.fd(), "b"), "from b");
  EXPECT_SUCCEEDS(syscall(SYS_renameat2, dir.fd(), "a", dir.fd(), "c", RENAME_NOREPLACE));
}

TEST(Renameat2, ExchangeSwapsTwoNames) {
  MOAT_COVERS("renameat2");
  TempDir dir;
  write_file(dir.fd(), "a", "from a");
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "b", 0755));
  ASSERT_SUCCEEDS(syscall(SYS_renameat2, dir.fd(), "a", dir.fd(), "b", RENAME_EXCHANGE));
  EXPECT_TRUE(S_ISDIR(lstat_of(dir.fd(), "a").st_mode));
  EXPECT_EQ(read_file(dir.fd(), "b"), "from a");
  EXPECT_FAILS_WITH(syscall(SYS_renameat2, dir.fd(), "a", dir.fd(), "missing", RENAME_EXCHANGE),
                    ENOENT);
  EXPECT_FAILS_WITH(
      syscall(SYS_renameat2, dir.fd(), "a", dir.fd(), "b", RENAME_EXCHANGE | RENAME_NOREPLACE),
      EINVAL);
}

TEST(Renameat2, DirectoryIntoItsOwnSubdirectoryIsEinval) {
  MOAT_COVERS("renameat2");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "d", 0755));
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "d/sub", 0755));
  EXPECT_FAILS_WITH(syscall(SYS_renameat2, dir.fd(), "d", dir.fd(), "d/sub/d", 0), EINVAL);
  EXPECT_FAILS_WITH(syscall(SYS_renameat2, dir.fd(), "d", dir.fd(), "d/d", 0), EINVAL);
  EXPECT_TRUE(exists(dir.fd(), "d/sub"));
}

TEST(Renameat2, FileAndDirectoryMismatches) {
  MOAT_COVERS("renameat2");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "empty", 0755));
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "full", 0755));
  write_file(dir.fd(), "full/x", "");
  EXPECT_FAILS_WITH(syscall(SYS_renameat2, dir.fd(), "f", dir.fd(), "empty", 0), EISDIR);
  EXPECT_FAILS_WITH(syscall(SYS_renameat2, dir.fd(), "empty", dir.fd(), "f", 0), ENOTDIR);
  EXPECT_FAILS_WITH(syscall(SYS_renameat2, dir.fd(), "empty", dir.fd(), "full", 0), ENOTEMPTY);
  // An empty directory may be replaced by another directory.
  EXPECT_SUCCEEDS(syscall(SYS_renameat2, dir.fd(), "full", dir.fd(), "empty", 0));
  EXPECT_TRUE(exists(dir.fd(), "empty/x"));
}

TEST(Renameat2, BetweenTwoLinksOfOneFileDoesNothing) {
  MOAT_COVERS("renameat2", "linkat");
  // POSIX: when both names refer to the same file, rename succeeds and
  // changes nothing; both names stay.
  TempDir dir;
  write_file(dir.fd(), "a", "x");
  ASSERT_SUCCEEDS(syscall(SYS_linkat, dir.fd(), "a", dir.fd(), "b", 0));
  EXPECT_SUCCEEDS(syscall(SYS_renameat2, dir.fd(), "a", dir.fd(), "b", 0));
  EXPECT_TRUE(exists(dir.fd(), "a"));
  EXPECT_TRUE(exists(dir.fd(), "b"));
}

TEST(Renameat2, MissingSourceIsEnoent) {
  MOAT_COVERS("renameat2");
  TempDir dir;
  EXPECT_FAILS_WITH(syscall(SYS_renameat2, dir.fd(), "missing", dir.fd(), "x", 0), ENOENT);
  write_file(dir.fd(), "f", "");
  EXPECT_FAILS_WITH(syscall(SYS_renameat2, dir.fd(), "f", dir.fd(), "no-dir/x", 0), ENOENT);
}

#ifdef SYS_renameat
TEST(Renameat, MovesTheName) {
  MOAT_COVERS("renameat");
  TempDir dir;
  write_file(dir.fd(), "a", "content");
  ASSERT_SUCCEEDS(syscall(SYS_renameat, dir.fd(), "a", dir.fd(), "b"));
  EXPECT_FALSE(exists(dir.fd(), "a"));
  EXPECT_EQ(read_file(dir.fd(), "b"), "content");
}
#endif

#ifdef SYS_rename
TEST(Rename, MovesTheNameByPath) {
  MOAT_COVERS("rename");
  TempDir dir;
  write_file(dir.fd(), "a", "content");
  write_file(dir.fd(), "b", "old");
  ASSERT_SUCCEEDS(syscall(SYS_rename, dir.path("a").c_str(), dir.path("b").c_str()));
  EXPECT_FALSE(exists(dir.fd(), "a"));
  EXPECT_EQ(read_file(dir.fd(), "b"), "content");
  EXPECT_FAILS_WITH(syscall(SYS_rename, dir.path("a").c_str(), dir.path("c").c_str()), ENOENT);
}
#endif

// ---- symlinkat, symlink --------------------------------------------------

TEST(Symlinkat, RelativeTargetIsResolvedFromTheLinksDirectory) {
  MOAT_COVERS("symlinkat", "openat");
  TempDir dir;
  write_file(dir.fd(), "f", "target content");
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "sub", 0755));
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "../f", dir.fd(), "sub/link"));
  ScopedFd fd(open_at(dir.fd(), "sub/link", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_EQ(read_rest(fd.get()), "target content");
}

TEST(Symlinkat, AbsoluteTargetIsFollowed) {
  MOAT_COVERS("symlinkat", "openat");
  TempDir dir;
  write_file(dir.fd(), "f", "absolute");
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, dir.path("f").c_str(), dir.fd(), "link"));
  ScopedFd fd(open_at(dir.fd(), "link", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_EQ(read_rest(fd.get()), "absolute");
  // A link to a host directory can be walked through.
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "/etc", dir.fd(), "etc"));
  ScopedFd passwd(open_at(dir.fd(), "etc/passwd", O_RDONLY));
  EXPECT_GE(passwd.get(), 0) << strerror(errno);
}

TEST(Symlinkat, DanglingLinkIsEnoentOnOpen) {
  MOAT_COVERS("symlinkat", "openat");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "missing", dir.fd(), "link"));
  EXPECT_TRUE(S_ISLNK(lstat_of(dir.fd(), "link").st_mode));
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), "link", O_RDONLY), ENOENT);
}

TEST(Symlinkat, CreatingThroughADanglingLinkCreatesTheTarget) {
  MOAT_COVERS("symlinkat", "openat");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "created", dir.fd(), "link"));
  ScopedFd fd(open_at(dir.fd(), "link", O_CREAT | O_WRONLY, 0644));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_TRUE(S_ISREG(lstat_of(dir.fd(), "created").st_mode));
  EXPECT_TRUE(S_ISLNK(lstat_of(dir.fd(), "link").st_mode));
}

TEST(Symlinkat, LoopIsEloop) {
  MOAT_COVERS("symlinkat", "openat");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "b", dir.fd(), "a"));
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "a", dir.fd(), "b"));
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "self", dir.fd(), "self"));
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), "a", O_RDONLY), ELOOP);
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), "self", O_RDONLY), ELOOP);
  EXPECT_FAILS_WITH(syscall(SYS_openat, dir.fd(), "self/x", O_RDONLY), ELOOP);
}

TEST(Symlinkat, ExistingNameIsEexistAndEmptyTargetIsEnoent) {
  MOAT_COVERS("symlinkat");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  EXPECT_FAILS_WITH(syscall(SYS_symlinkat, "x", dir.fd(), "f"), EEXIST);
  EXPECT_FAILS_WITH(syscall(SYS_symlinkat, "", dir.fd(), "empty"), ENOENT);
}

#ifdef SYS_symlink
TEST(Symlink, CreatesALinkByPath) {
  MOAT_COVERS("symlink");
  TempDir dir;
  write_file(dir.fd(), "f", "via symlink");
  ASSERT_SUCCEEDS(syscall(SYS_symlink, "f", dir.path("link").c_str()));
  EXPECT_TRUE(S_ISLNK(lstat_of(dir.fd(), "link").st_mode));
  EXPECT_EQ(read_file(dir.fd(), "link"), "via symlink");
  EXPECT_FAILS_WITH(syscall(SYS_symlink, "f", dir.path("link").c_str()), EEXIST);
}
#endif

// ---- linkat, link --------------------------------------------------------

TEST(Linkat, SecondNameSharesTheInode) {
  MOAT_COVERS("linkat", "unlinkat");
  TempDir dir;
  write_file(dir.fd(), "a", "shared");
  ASSERT_SUCCEEDS(syscall(SYS_linkat, dir.fd(), "a", dir.fd(), "b", 0));
  const struct stat a = lstat_of(dir.fd(), "a");
  const struct stat b = lstat_of(dir.fd(), "b");
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_nlink, 2u);
  ASSERT_SUCCEEDS(syscall(SYS_unlinkat, dir.fd(), "a", 0));
  EXPECT_EQ(lstat_of(dir.fd(), "b").st_nlink, 1u);
  EXPECT_EQ(read_file(dir.fd(), "b"), "shared");
}

TEST(Linkat, SymlinkIsLinkedItselfUnlessFollowIsAsked) {
  MOAT_COVERS("linkat", "symlinkat");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "f", dir.fd(), "link"));
  ASSERT_SUCCEEDS(syscall(SYS_linkat, dir.fd(), "link", dir.fd(), "plain", 0));
  EXPECT_TRUE(S_ISLNK(lstat_of(dir.fd(), "plain").st_mode));
  ASSERT_SUCCEEDS(syscall(SYS_linkat, dir.fd(), "link", dir.fd(), "followed", AT_SYMLINK_FOLLOW));
  EXPECT_TRUE(S_ISREG(lstat_of(dir.fd(), "followed").st_mode));
  EXPECT_EQ(lstat_of(dir.fd(), "followed").st_ino, lstat_of(dir.fd(), "f").st_ino);
}

TEST(Linkat, Errors) {
  MOAT_COVERS("linkat");
  TempDir dir;
  write_file(dir.fd(), "a", "");
  write_file(dir.fd(), "b", "");
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "d", 0755));
  EXPECT_FAILS_WITH(syscall(SYS_linkat, dir.fd(), "a", dir.fd(), "b", 0), EEXIST);
  EXPECT_FAILS_WITH(syscall(SYS_linkat, dir.fd(), "d", dir.fd(), "d2", 0), EPERM);
  EXPECT_FAILS_WITH(syscall(SYS_linkat, dir.fd(), "missing", dir.fd(), "c", 0), ENOENT);
  EXPECT_FAILS_WITH(syscall(SYS_linkat, dir.fd(), "a", dir.fd(), "c", AT_REMOVEDIR), EINVAL);
}

#ifdef SYS_link
TEST(Link, AddsANameByPath) {
  MOAT_COVERS("link");
  TempDir dir;
  write_file(dir.fd(), "a", "");
  ASSERT_SUCCEEDS(syscall(SYS_link, dir.path("a").c_str(), dir.path("b").c_str()));
  EXPECT_EQ(lstat_of(dir.fd(), "a").st_nlink, 2u);
  EXPECT_FAILS_WITH(syscall(SYS_link, dir.path("a").c_str(), dir.path("b").c_str()), EEXIST);
}
#endif

// ---- getdents64, getdents ------------------------------------------------

struct Entry {
  unsigned char type;
  int count;
};

// Reads the whole directory with getdents64 in `buffer_size` chunks: name ->
// d_type and how often the name came. Fails the test on an error.
std::map<std::string, Entry> list_dir(int fd, size_t buffer_size, int* calls = nullptr) {
  std::map<std::string, Entry> entries;
  std::vector<char> buf(buffer_size);
  for (int n = 1;; ++n) {
    const long got = syscall(SYS_getdents64, fd, buf.data(), buf.size());
    EXPECT_GE(got, 0) << strerror(errno);
    if (got <= 0) {
      if (calls != nullptr) {
        *calls = n;
      }
      return entries;
    }
    for (long off = 0; off < got;) {
      dirent64 d;
      memcpy(&d, buf.data() + off, offsetof(dirent64, d_name));
      EXPECT_GT(d.d_reclen, 0) << "at " << off;
      if (d.d_reclen == 0) {
        return entries;
      }
      const std::string name(buf.data() + off + offsetof(dirent64, d_name));
      Entry& e = entries[name];
      e.type = d.d_type;
      ++e.count;
      off += d.d_reclen;
    }
  }
}

// A directory holding a file, a directory and a symlink.
void populate(const TempDir& dir) {
  write_file(dir.fd(), "file", "");
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "dir", 0755));
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "file", dir.fd(), "link"));
}

TEST(Getdents64, ListsEveryNameOnceWithItsType) {
  MOAT_COVERS("getdents64");
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(populate(dir));
  const std::map<std::string, Entry> entries = list_dir(dir.fd(), 4096);
  ASSERT_EQ(entries.size(), 5u);
  const std::map<std::string, unsigned char> want = {
      {".", DT_DIR}, {"..", DT_DIR}, {"file", DT_REG}, {"dir", DT_DIR}, {"link", DT_LNK}};
  for (const auto& [name, type] : want) {
    auto it = entries.find(name);
    ASSERT_NE(it, entries.end()) << name;
    EXPECT_EQ(it->second.count, 1) << name;
    EXPECT_EQ(it->second.type, type) << name;
  }
}

TEST(Getdents64, SmallBufferTakesSeveralCallsWithoutLosingNames) {
  MOAT_COVERS("getdents64");
  TempDir dir;
  constexpr int kFiles = 40;
  for (int i = 0; i < kFiles; ++i) {
    write_file(dir.fd(), "file-" + std::to_string(i), "");
  }
  int calls = 0;
  const std::map<std::string, Entry> entries = list_dir(dir.fd(), 64, &calls);
  EXPECT_EQ(entries.size(), static_cast<size_t>(kFiles + 2));
  for (int i = 0; i < kFiles; ++i) {
    const std::string name = "file-" + std::to_string(i);
    EXPECT_EQ(entries.count(name) != 0 ? entries.at(name).count : 0, 1) << name;
  }
  EXPECT_GT(calls, kFiles / 2) << "at most two entries fit in 64 bytes";
}

TEST(Getdents64, SeekingToZeroRestartsTheListing) {
  MOAT_COVERS("getdents64", "lseek");
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(populate(dir));
  const std::map<std::string, Entry> first = list_dir(dir.fd(), 4096);
  ASSERT_EQ(syscall(SYS_lseek, dir.fd(), 0L, SEEK_SET), 0);
  const std::map<std::string, Entry> second = list_dir(dir.fd(), 4096);
  EXPECT_EQ(first.size(), 5u);
  EXPECT_EQ(second.size(), first.size());
}

TEST(Getdents64, BufferTooSmallForOneEntryIsEinval) {
  MOAT_COVERS("getdents64");
  TempDir dir;
  char buf[16];
  EXPECT_FAILS_WITH(syscall(SYS_getdents64, dir.fd(), buf, sizeof buf), EINVAL);
}

TEST(Getdents64, NotADirectoryIsEnotdirAndBadFdIsEbadf) {
  MOAT_COVERS("getdents64");
  TempDir dir;
  write_file(dir.fd(), "f", "");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  char buf[4096];
  EXPECT_FAILS_WITH(syscall(SYS_getdents64, fd.get(), buf, sizeof buf), ENOTDIR);
  EXPECT_FAILS_WITH(syscall(SYS_getdents64, 1000, buf, sizeof buf), EBADF);
}

TEST(Getdents64, RemovedDirectoryIsEnoent) {
  MOAT_COVERS("getdents64", "unlinkat");
  TempDir dir;
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "d", 0755));
  ScopedFd fd(open_at(dir.fd(), "d", O_RDONLY | O_DIRECTORY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  ASSERT_SUCCEEDS(syscall(SYS_unlinkat, dir.fd(), "d", AT_REMOVEDIR));
  char buf[4096];
  EXPECT_FAILS_WITH(syscall(SYS_getdents64, fd.get(), buf, sizeof buf), ENOENT);
}

#ifdef SYS_getdents
TEST(Getdents, ListsTheSameNamesAsGetdents64) {
  MOAT_COVERS("getdents");
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(populate(dir));
  // The old layout: d_ino, d_off, d_reclen, d_name, then d_type in the
  // record's last byte.
  struct OldDirent {
    unsigned long d_ino;
    unsigned long d_off;
    unsigned short d_reclen;
  };
  std::map<std::string, unsigned char> seen;
  char buf[4096];
  long got;
  while ((got = syscall(SYS_getdents, dir.fd(), buf, sizeof buf)) > 0) {
    for (long off = 0; off < got;) {
      OldDirent d;
      memcpy(&d, buf + off, sizeof d);
      ASSERT_GT(d.d_reclen, 0);
      seen[std::string(buf + off + offsetof(OldDirent, d_reclen) + sizeof(unsigned short))] =
          static_cast<unsigned char>(buf[off + d.d_reclen - 1]);
      off += d.d_reclen;
    }
  }
  EXPECT_EQ(got, 0) << strerror(errno);
  const std::map<std::string, unsigned char> want = {
      {".", DT_DIR}, {"..", DT_DIR}, {"file", DT_REG}, {"dir", DT_DIR}, {"link", DT_LNK}};
  EXPECT_EQ(seen, want);
}
#endif

// ---- getcwd, chdir, fchdir -----------------------------------------------

TEST(Chdir, GetcwdThenNamesTheNewDirectory) {
  MOAT_COVERS("chdir", "getcwd");
  TempDir dir;
  ScopedCwd restore;
  ASSERT_SUCCEEDS(syscall(SYS_chdir, dir.path().c_str()));
  EXPECT_EQ(current_dir(), dir.path());
}

TEST(Chdir, RelativePathsStartFromTheNewDirectory) {
  MOAT_COVERS("chdir", "openat");
  TempDir dir;
  ScopedCwd restore;
  ASSERT_SUCCEEDS(syscall(SYS_chdir, dir.path().c_str()));
  ScopedFd fd(open_at(AT_FDCWD, "relative", O_CREAT | O_WRONLY, 0644));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_TRUE(exists(dir.fd(), "relative"));
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "sub", 0755));
  ASSERT_SUCCEEDS(syscall(SYS_chdir, "sub")) << "chdir itself takes relative paths";
  EXPECT_EQ(current_dir(), dir.path("sub"));
}

TEST(Chdir, DotDotGoesToTheParent) {
  MOAT_COVERS("chdir", "getcwd");
  TempDir dir;
  ScopedCwd restore;
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "a", 0755));
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "a/b", 0755));
  ASSERT_SUCCEEDS(syscall(SYS_chdir, dir.path("a/b").c_str()));
  ASSERT_SUCCEEDS(syscall(SYS_chdir, ".."));
  EXPECT_EQ(current_dir(), dir.path("a"));
  ASSERT_SUCCEEDS(syscall(SYS_chdir, "../a/./b/../.."));
  EXPECT_EQ(current_dir(), dir.path());
  ASSERT_SUCCEEDS(syscall(SYS_chdir, "/"));
  ASSERT_SUCCEEDS(syscall(SYS_chdir, ".."));
  EXPECT_EQ(current_dir(), "/") << "the root is its own parent";
}

TEST(Chdir, FileIsEnotdirAndMissingIsEnoent) {
  MOAT_COVERS("chdir", "getcwd");
  TempDir dir;
  ScopedCwd restore;
  write_file(dir.fd(), "f", "");
  const std::string before = current_dir();
  EXPECT_FAILS_WITH(syscall(SYS_chdir, dir.path("f").c_str()), ENOTDIR);
  EXPECT_FAILS_WITH(syscall(SYS_chdir, dir.path("missing").c_str()), ENOENT);
  EXPECT_EQ(current_dir(), before);
}

TEST(Chdir, FollowsSymlinksAndGetcwdShowsTheTarget) {
  MOAT_COVERS("chdir", "getcwd", "symlinkat");
  TempDir dir;
  ScopedCwd restore;
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "real", 0755));
  ASSERT_SUCCEEDS(syscall(SYS_symlinkat, "real", dir.fd(), "link"));
  ASSERT_SUCCEEDS(syscall(SYS_chdir, dir.path("link").c_str()));
  EXPECT_EQ(current_dir(), dir.path("real"));
}

TEST(Fchdir, ChangesToTheDescriptorsDirectory) {
  MOAT_COVERS("fchdir", "getcwd");
  TempDir dir;
  ScopedCwd restore;
  ASSERT_SUCCEEDS(syscall(SYS_fchdir, dir.fd()));
  EXPECT_EQ(current_dir(), dir.path());
}

TEST(Fchdir, FileIsEnotdirAndBadFdIsEbadf) {
  MOAT_COVERS("fchdir");
  TempDir dir;
  ScopedCwd restore;
  write_file(dir.fd(), "f", "");
  ScopedFd fd(open_at(dir.fd(), "f", O_RDONLY));
  ASSERT_GE(fd.get(), 0) << strerror(errno);
  EXPECT_FAILS_WITH(syscall(SYS_fchdir, fd.get()), ENOTDIR);
  EXPECT_FAILS_WITH(syscall(SYS_fchdir, 1000), EBADF);
}

TEST(Getcwd, RemovedWorkingDirectoryIsEnoent) {
  MOAT_COVERS("getcwd", "chdir", "unlinkat");
  TempDir dir;
  ScopedCwd restore;
  ASSERT_SUCCEEDS(syscall(SYS_mkdirat, dir.fd(), "gone", 0755));
  ASSERT_SUCCEEDS(syscall(SYS_chdir, dir.path("gone").c_str()));
  ASSERT_SUCCEEDS(syscall(SYS_unlinkat, dir.fd(), "gone", AT_REMOVEDIR));
  char buf[4096];
  EXPECT_FAILS_WITH(syscall(SYS_getcwd, buf, sizeof buf), ENOENT);
}

}  // namespace
