#include "sentry/fs/proc/proc_fs.h"

#include <dirent.h>
#include <sys/stat.h>

#include <charconv>
#include <functional>
#include <string>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file_description.h"

namespace moat::sentry {
namespace {

// Attributes every /proc file shares: owned by the sandbox's user, dated
// when looked up.
FileStat proc_stat(uint64_t dev, uint64_t ino, uint32_t mode, uint32_t uid, uint32_t gid) {
  FileStat st;
  st.dev = dev;
  st.ino = ino;
  st.mode = mode;
  st.nlink = (mode & S_IFMT) == S_IFDIR ? 2 : 1;
  st.uid = uid;
  st.gid = gid;
  st.blksize = 1024;
  clock_gettime(CLOCK_REALTIME, &st.mtime);
  st.atime = st.ctime = st.mtime;
  return st;
}

struct ProcContext {
  Kernel& kernel;
  uint64_t dev;
};

// A link whose target was worked out at lookup.
class ProcLink final : public Inode {
 public:
  ProcLink(const ProcContext& ctx, uint64_t ino, std::string target)
      : Inode(S_IFLNK), m_ctx(ctx), m_ino(ino), m_target(std::move(target)) {}
  Result<FileStat> stat() override {
    FileStat st =
        proc_stat(m_ctx.dev, m_ino, S_IFLNK | 0777, m_ctx.kernel.uid(), m_ctx.kernel.gid());
    st.size = static_cast<int64_t>(m_target.size());
    return st;
  }
  bool read_only() const override { return true; }
  Result<std::string> read_link() override { return m_target; }

 private:
  ProcContext m_ctx;
  uint64_t m_ino;
  std::string m_target;
};

// A directory whose entries are computed each time.
class ProcDir : public Inode {
 public:
  ProcDir(const ProcContext& ctx, uint64_t ino) : Inode(S_IFDIR), m_ctx(ctx), m_ino(ino) {}
  Result<FileStat> stat() override {
    return proc_stat(m_ctx.dev, m_ino, S_IFDIR | 0555, m_ctx.kernel.uid(), m_ctx.kernel.gid());
  }
  bool read_only() const override { return true; }

 protected:
  ProcContext m_ctx;
  uint64_t m_ino;
};

std::optional<int> parse_number(const std::string& name) {
  int value = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), value);
  if (ec != std::errc() || end != name.data() + name.size() || value < 0) {
    return std::nullopt;
  }
  return value;
}

uint64_t pid_ino(int pid, uint64_t slot) {
  return (static_cast<uint64_t>(pid) << 8) | slot;
}

// /proc/<pid>/fd: one link per open descriptor.
class FdDir final : public ProcDir {
 public:
  FdDir(const ProcContext& ctx, std::shared_ptr<Task> task)
      : ProcDir(ctx, pid_ino(task->group().pid(), 2)), m_task(std::move(task)) {}
  Result<std::shared_ptr<Inode>> lookup(const std::string& name) override {
    auto fd = parse_number(name);
    if (!fd) {
      return Errno::kENOENT;
    }
    auto file = TRY(m_task->fds().get(*fd));
    return std::shared_ptr<Inode>(std::make_shared<ProcLink>(
        m_ctx, (m_ino << 16) | static_cast<uint64_t>(*fd), file->link_name()));
  }
  Result<std::vector<DirEntry>> read_dir() override {
    std::vector<DirEntry> entries;
    for (const auto& [fd, file] : m_task->fds().entries()) {
      entries.push_back(
          DirEntry{std::to_string(fd), (m_ino << 16) | static_cast<uint64_t>(fd), DT_LNK});
    }
    return entries;
  }

 private:
  std::shared_ptr<Task> m_task;
};

// /proc/<pid>.
class PidDir final : public ProcDir {
 public:
  PidDir(const ProcContext& ctx, std::shared_ptr<Task> task)
      : ProcDir(ctx, pid_ino(task->group().pid(), 1)), m_task(std::move(task)) {}
  Result<std::shared_ptr<Inode>> lookup(const std::string& name) override {
    const int pid = m_task->group().pid();
    if (name == "exe") {
      return make_link(3, m_task->exe_path());
    }
    if (name == "cwd") {
      return make_link(4, m_task->fs().path_of(*m_task->fs().cwd()));
    }
    if (name == "root") {
      return make_link(5, "/");
    }
    if (name == "fd") {
      return std::shared_ptr<Inode>(std::make_shared<FdDir>(m_ctx, m_task));
    }
    (void)pid;
    return Errno::kENOENT;
  }
  Result<std::vector<DirEntry>> read_dir() override {
    const int pid = m_task->group().pid();
    return std::vector<DirEntry>{
        {"cwd", pid_ino(pid, 4), DT_LNK},
        {"exe", pid_ino(pid, 3), DT_LNK},
        {"fd", pid_ino(pid, 2), DT_DIR},
        {"root", pid_ino(pid, 5), DT_LNK},
    };
  }

 private:
  Result<std::shared_ptr<Inode>> make_link(uint64_t slot, std::string target) {
    return std::shared_ptr<Inode>(
        std::make_shared<ProcLink>(m_ctx, pid_ino(m_task->group().pid(), slot), std::move(target)));
  }

  std::shared_ptr<Task> m_task;
};

// /proc itself.
class ProcRoot final : public ProcDir {
 public:
  explicit ProcRoot(const ProcContext& ctx) : ProcDir(ctx, 1) {}
  Result<std::shared_ptr<Inode>> lookup(const std::string& name) override {
    Task* self = Task::current();
    if (name == "self" || name == "thread-self") {
      if (self == nullptr) {
        return Errno::kENOENT;
      }
      return std::shared_ptr<Inode>(std::make_shared<ProcLink>(
          m_ctx, name == "self" ? 2 : 3, std::to_string(self->group().pid())));
    }
    auto pid = parse_number(name);
    if (!pid) {
      return Errno::kENOENT;
    }
    auto task = m_ctx.kernel.find_task(*pid);
    if (!task) {
      return Errno::kENOENT;
    }
    return std::shared_ptr<Inode>(std::make_shared<PidDir>(m_ctx, std::move(task)));
  }
  Result<std::vector<DirEntry>> read_dir() override {
    std::vector<DirEntry> entries{{"self", 2, DT_LNK}, {"thread-self", 3, DT_LNK}};
    std::lock_guard tree(m_ctx.kernel.tree_lock());
    for (const auto& [pid, group] : m_ctx.kernel.processes_locked()) {
      if (!group->family().zombie) {
        entries.push_back(DirEntry{std::to_string(pid), pid_ino(pid, 1), DT_DIR});
      }
    }
    return entries;
  }
};

}  // namespace

std::shared_ptr<Inode> make_proc_fs(Kernel& kernel, uint64_t dev) {
  return std::make_shared<ProcRoot>(ProcContext{kernel, dev});
}

}  // namespace moat::sentry
