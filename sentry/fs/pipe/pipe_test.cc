#include "sentry/fs/pipe/pipe.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>

#include <string>
#include <vector>

namespace moat::sentry {
namespace {

// The tests drive the pipe without a Task: a null waiter never blocks, as
// O_NONBLOCK.

iovec io(std::string& s) {
  return iovec{s.data(), s.size()};
}

iovec io(std::vector<char>& v) {
  return iovec{v.data(), v.size()};
}

Result<size_t> put(Pipe& p, std::string s) {
  iovec v = io(s);
  return p.write(std::span(&v, 1), nullptr);
}

Result<size_t> put(Pipe& p, size_t n, char c = 'x') {
  std::vector<char> data(n, c);
  iovec v = io(data);
  return p.write(std::span(&v, 1), nullptr);
}

// Reads up to `n` bytes; the error's name if it fails.
std::string take(Pipe& p, size_t n) {
  std::string buf(n, '\0');
  iovec v = io(buf);
  auto r = p.read(std::span(&v, 1), nullptr);
  if (!r) {
    return std::string(errno_name(r.error()));
  }
  buf.resize(*r);
  return buf;
}

// A pipe with one reader and one writer counted.
std::shared_ptr<Pipe> open_pipe() {
  auto p = std::make_shared<Pipe>();
  EXPECT_TRUE(p->attach(true, true));
  return p;
}

TEST(PipeTest, BytesComeOutInOrder) {
  auto p = open_pipe();
  EXPECT_EQ(*put(*p, "hello"), 5u);
  EXPECT_EQ(*put(*p, " world"), 6u);
  EXPECT_EQ(p->available(), 11u);
  EXPECT_EQ(take(*p, 3), "hel");
  EXPECT_EQ(take(*p, 100), "lo world");
  EXPECT_EQ(p->available(), 0u);
}

TEST(PipeTest, ScatterGatherAcrossTheEndOfTheRing) {
  auto p = open_pipe();
  ASSERT_EQ(*p->set_capacity(kPageSize), kPageSize);
  // Move the start near the end of the buffer, then wrap.
  ASSERT_EQ(*put(*p, kPageSize - 3), kPageSize - 3);
  ASSERT_EQ(take(*p, kPageSize - 3).size(), kPageSize - 3);
  std::string a = "abcd";
  std::string b = "efgh";
  iovec src[2] = {io(a), io(b)};
  ASSERT_EQ(*p->write(src, nullptr), 8u);
  std::string x(3, '\0');
  std::string y(5, '\0');
  iovec dst[2] = {io(x), io(y)};
  ASSERT_EQ(*p->read(dst, nullptr), 8u);
  EXPECT_EQ(x + y, "abcdefgh");
}

TEST(PipeTest, EmptyPipeIsEagainWithAWriterAndEndOfFileWithout) {
  auto p = open_pipe();
  EXPECT_EQ(take(*p, 1), "EAGAIN");
  ASSERT_TRUE(put(*p, "z"));
  p->detach(false, true);
  EXPECT_EQ(take(*p, 8), "z") << "data before end of file";
  EXPECT_EQ(take(*p, 8), "");
}

TEST(PipeTest, WriteWithoutAReaderIsEpipe) {
  auto p = open_pipe();
  p->detach(true, false);
  auto r = put(*p, "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errno::kEPIPE);
}

TEST(PipeTest, LongWriteIsPartialAndAFullPipeIsEagain) {
  auto p = open_pipe();
  EXPECT_EQ(*put(*p, 2 * Pipe::kDefaultCapacity), Pipe::kDefaultCapacity);
  auto r = put(*p, 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errno::kEAGAIN);
  EXPECT_EQ(take(*p, 10).size(), 10u);
  EXPECT_EQ(*put(*p, 2 * Pipe::kDefaultCapacity), 10u);
}

TEST(PipeTest, PipeBufWriteIsAllOrNothing) {
  auto p = open_pipe();
  ASSERT_EQ(*put(*p, Pipe::kDefaultCapacity - 100), Pipe::kDefaultCapacity - 100);
  auto r = put(*p, Pipe::kAtomicWrite);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errno::kEAGAIN);
  EXPECT_EQ(*put(*p, 100), 100u) << "a small write that fits goes in";
  EXPECT_EQ(p->available(), Pipe::kDefaultCapacity);
}

TEST(PipeTest, SetCapacityRoundsUpToPowersOfTwoPages) {
  auto p = open_pipe();
  EXPECT_EQ(p->capacity(), 16 * kPageSize);
  EXPECT_EQ(*p->set_capacity(3 * kPageSize - 100), 4 * kPageSize);
  EXPECT_EQ(p->capacity(), 4 * kPageSize);
  EXPECT_EQ(*p->set_capacity(0), kPageSize);
  EXPECT_EQ(*p->set_capacity(Pipe::kMaxCapacity), Pipe::kMaxCapacity);
  EXPECT_EQ(p->set_capacity(Pipe::kMaxCapacity + 1).error(), Errno::kEPERM);
  EXPECT_EQ(p->set_capacity(uint64_t{1} << 31).error(), Errno::kEPERM);
  EXPECT_EQ(p->set_capacity((uint64_t{1} << 31) + 1).error(), Errno::kEINVAL);
  // Only the low 32 bits count, as Linux's unsigned int argument.
  EXPECT_EQ(*p->set_capacity((uint64_t{1} << 32) + 1), kPageSize);
}

TEST(PipeTest, SetCapacityKeepsTheDataAndRefusesToDropAny) {
  auto p = open_pipe();
  ASSERT_EQ(*p->set_capacity(2 * kPageSize), 2 * kPageSize);
  // Contents that wrap: from the second page round to the first.
  ASSERT_TRUE(put(*p, 2 * kPageSize - 10, 'a'));
  ASSERT_EQ(take(*p, kPageSize + 5).size(), kPageSize + 5);
  ASSERT_EQ(*put(*p, "0123456789!!!!!"), 15u);
  ASSERT_EQ(p->available(), kPageSize);
  EXPECT_EQ(*p->set_capacity(kPageSize), kPageSize);
  EXPECT_EQ(*p->set_capacity(kPageSize / 2), kPageSize) << "a page holds it all";
  ASSERT_EQ(*p->set_capacity(8 * kPageSize), 8 * kPageSize);
  ASSERT_EQ(*put(*p, 2 * kPageSize, 'b'), 2 * kPageSize);
  EXPECT_EQ(p->set_capacity(2 * kPageSize).error(), Errno::kEBUSY);
  const std::string all = take(*p, 8 * kPageSize);
  ASSERT_EQ(all.size(), 3 * kPageSize);
  EXPECT_EQ(all.substr(0, kPageSize - 15), std::string(kPageSize - 15, 'a'));
  EXPECT_EQ(all.substr(kPageSize - 15, 15), "0123456789!!!!!");
  EXPECT_EQ(all.substr(kPageSize), std::string(2 * kPageSize, 'b'));
}

TEST(PipeTest, ReadinessFollowsLinuxPipePoll) {
  auto p = open_pipe();
  const uint32_t all = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
  EXPECT_EQ(p->readiness(all, true, false, 0), 0u);
  EXPECT_EQ(p->readiness(all, false, true, 0), uint32_t{POLLOUT | POLLWRNORM});
  ASSERT_TRUE(put(*p, Pipe::kDefaultCapacity - 1));
  EXPECT_EQ(p->readiness(all, true, false, 0), uint32_t{POLLIN | POLLRDNORM});
  EXPECT_EQ(p->readiness(all, false, true, 0), 0u) << "no room for PIPE_BUF bytes";
  EXPECT_EQ(p->readiness(POLLOUT, true, false, 0), 0u) << "only what was asked";
  p->detach(false, true);
  EXPECT_EQ(p->readiness(POLLIN, true, false, 0), uint32_t{POLLIN | POLLHUP});
  // A FIFO reader that opened before any writer came sees no hang-up.
  EXPECT_EQ(p->readiness(0, true, false, 1), 0u);
  p->detach(true, false);
  EXPECT_EQ(p->readiness(0, false, true, 0), uint32_t{POLLERR});
}

TEST(PipeTest, FifoOpenOfAWriterWithoutReaderIsEnxio) {
  Pipe p;
  auto refused = p.attach(false, true, true);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), Errno::kENXIO);
  auto reader = p.attach(true, false);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->readers, 1u);
  EXPECT_EQ(reader->writers, 0u);
  auto writer = p.attach(false, true, true);
  ASSERT_TRUE(writer);
  EXPECT_EQ(writer->writers, 1u);
  EXPECT_EQ(writer->reader_opens, 1u);
  EXPECT_EQ(writer->writer_opens, 1u);
}

TEST(PipeFileTest, EndsShareOnePipeAndDetachWhenClosed) {
  PipeEnds ends = make_pipe(O_NONBLOCK | O_DIRECT, 1000, 1001);
  EXPECT_EQ(ends.read->flags(), uint32_t{O_RDONLY | O_NONBLOCK});
  EXPECT_EQ(ends.write->flags(), uint32_t{O_WRONLY | O_NONBLOCK | O_DIRECT});
  EXPECT_TRUE(ends.read->readable());
  EXPECT_FALSE(ends.read->writable());
  EXPECT_TRUE(ends.write->writable());
  EXPECT_FALSE(ends.write->readable());

  auto st = ends.read->stat();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->mode, uint32_t{S_IFIFO | 0600});
  EXPECT_EQ(st->uid, 1000u);
  EXPECT_EQ(st->gid, 1001u);
  EXPECT_EQ(st->nlink, 1u);
  EXPECT_EQ(st->ino, ends.write->stat()->ino);
  EXPECT_EQ(ends.read->link_name(), "pipe:[" + std::to_string(st->ino) + "]");
  EXPECT_NE(make_pipe(0, 0, 0).read->stat()->ino, st->ino);

  EXPECT_EQ(*ends.write->fcntl(F_GETPIPE_SZ, 0), Pipe::kDefaultCapacity);
  EXPECT_EQ(*ends.read->fcntl(F_SETPIPE_SZ, 5000), 2 * kPageSize);
  EXPECT_EQ(ends.read->fcntl(F_GETLK, 0).error(), Errno::kEINVAL);
  EXPECT_EQ(ends.read->seek(0, SEEK_SET).error(), Errno::kESPIPE);

  std::string msg = "ping";
  iovec v = io(msg);
  ASSERT_EQ(*ends.write->write(std::span(&v, 1)), 4u);
  EXPECT_EQ(ends.read->readiness(POLLIN), uint32_t{POLLIN});
  std::string buf(8, '\0');
  iovec out = io(buf);
  ASSERT_EQ(*ends.read->read(std::span(&out, 1)), 4u);
  EXPECT_EQ(buf.substr(0, 4), "ping");

  ends.read.reset();  // the last reader closes
  auto r = ends.write->write(std::span(&v, 1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errno::kEPIPE);
  EXPECT_EQ(ends.write->readiness(POLLOUT), uint32_t{POLLOUT | POLLERR});
}

TEST(PipeFileTest, FifoOpensCountTheirEnds) {
  auto pipe = std::make_shared<Pipe>();
  auto writer = open_fifo(pipe, O_WRONLY | O_NONBLOCK, nullptr);
  ASSERT_FALSE(writer);
  EXPECT_EQ(writer.error(), Errno::kENXIO);
  auto reader = open_fifo(pipe, O_RDONLY | O_NONBLOCK, nullptr);
  ASSERT_TRUE(reader);
  EXPECT_EQ((*reader)->readiness(POLLIN), 0u) << "no hang-up before a writer came";
  writer = open_fifo(pipe, O_WRONLY | O_NONBLOCK, nullptr);
  ASSERT_TRUE(writer);
  auto both = open_fifo(pipe, O_RDWR, nullptr);
  ASSERT_TRUE(both);
  EXPECT_TRUE((*both)->readable() && (*both)->writable());
  writer->reset();
  both->reset();
  EXPECT_EQ((*reader)->readiness(POLLIN), uint32_t{POLLHUP}) << "every writer came and went";
}

}  // namespace
}  // namespace moat::sentry
