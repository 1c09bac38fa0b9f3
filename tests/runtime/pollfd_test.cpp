// Poll descriptors (runtime/pollfd.h) without a running scheduler: the table,
// classification, generations, the transient O_NONBLOCK and what F_GETFL
// shows, registration, and readiness bookkeeping. Parking needs Gs and is
// covered by the net_* programs.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/netpoll.h"
#include "runtime/pollfd.h"

using namespace gmp;

namespace {
void ensure_poller() {
  static bool done = false;
  if (!done) {
    netpoll_init();
    done = true;
  }
}
}  // namespace

TEST_SUITE("runtime/pollfd") {
  TEST_CASE("classification by file type, and the program's O_NONBLOCK") {
    int sv[2], p[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    REQUIRE(pipe2(p, O_NONBLOCK) == 0);
    int f = open("/proc/self/exe", O_RDONLY);
    REQUIRE(f >= 0);
    uint32_t gen;
    PollDesc* s = pd_classify(sv[0], &gen);
    REQUIRE(s != nullptr);
    CHECK(s->kind.load() == FdKind::kSocket);
    CHECK(s->sock_type == SOCK_DGRAM);
    CHECK(s->nonblock.load() == 0);
    CHECK(s->shared.load() == 1);  // not seen created: may be shared
    PollDesc* r = pd_classify(p[0], &gen);
    REQUIRE(r != nullptr);
    CHECK(r->kind.load() == FdKind::kStream);
    CHECK(r->nonblock.load() == 1);
    PollDesc* file = pd_classify(f, &gen);
    REQUIRE(file != nullptr);
    CHECK(file->kind.load() == FdKind::kFile);
    CHECK(pd_classify(-1, &gen) == nullptr);
    int closed = dup(f);
    close(closed);
    CHECK(pd_classify(closed, &gen) == nullptr);  // EBADF: the real call reports it
    for (int fd : {sv[0], sv[1], p[0], p[1], f}) {
      pd_close_begin(fd);
      close(fd);
      pd_close_end(fd);
    }
  }

  TEST_CASE("the table grows to high fd numbers") {
    int p[2];
    REQUIRE(pipe(p) == 0);
    int hi = fcntl(p[0], F_DUPFD, 12345);
    if (hi < 0) return;  // RLIMIT_NOFILE too low here
    uint32_t gen;
    PollDesc* pd = pd_classify(hi, &gen);
    REQUIRE(pd != nullptr);
    CHECK(pd == pd_get(hi));
    CHECK(pd_get(hi - 1) != nullptr);  // same chunk
    CHECK(pd->kind.load() == FdKind::kStream);
    close(hi);
    close(p[0]);
    close(p[1]);
  }

  TEST_CASE("close bumps the generation and forgets the file") {
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    FdInit in;
    in.kind = FdKind::kSocket;
    in.sock_type = SOCK_STREAM;
    pd_created(sv[0], in);
    uint32_t g1;
    PollDesc* pd = pd_classify(sv[0], &g1);
    REQUIRE(pd != nullptr);
    CHECK(pd->shared.load() == 0);
    pd_close_begin(sv[0]);
    CHECK(pd->kind.load() == FdKind::kClosing);
    uint32_t g2;
    CHECK(pd_classify(sv[0], &g2) == nullptr);  // closing: callers use the real call
    close(sv[0]);
    pd_close_end(sv[0]);
    CHECK(pd->kind.load() == FdKind::kUnknown);
    CHECK(pd->gen.load() != g1);
    CHECK(pd->gen.load() != 0);
    close(sv[1]);
  }

  TEST_CASE("dup copies the record and marks both shared") {
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    FdInit in;
    in.kind = FdKind::kSocket;
    in.sock_type = SOCK_STREAM;
    in.rcvtimeo = 5000000;
    pd_created(sv[0], in);
    int d = dup(sv[0]);
    pd_dup(sv[0], d);
    uint32_t gen;
    PollDesc* pd = pd_classify(d, &gen);
    REQUIRE(pd != nullptr);
    CHECK(pd->kind.load() == FdKind::kSocket);
    CHECK(pd->rcvtimeo.load() == 5000000);
    CHECK(pd->shared.load() == 1);
    CHECK(pd_get(sv[0])->shared.load() == 1);
    for (int fd : {sv[0], sv[1], d}) {
      pd_close_begin(fd);
      close(fd);
      pd_close_end(fd);
    }
  }

  TEST_CASE("a transient O_NONBLOCK is invisible to F_GETFL and survives F_SETFL") {
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    FdInit in;
    in.kind = FdKind::kSocket;
    in.sock_type = SOCK_STREAM;
    pd_created(sv[0], in);
    PollDesc* pd = pd_get(sv[0]);
    pd_nonblock_begin(pd, sv[0]);
    pd_nonblock_begin(pd, sv[0]);  // a second concurrent user
    int kernel = fcntl(sv[0], F_GETFL);
    CHECK((kernel & O_NONBLOCK) != 0);
    CHECK((pd_getfl_mask(sv[0], kernel) & O_NONBLOCK) == 0);
    // The program clears flags meanwhile: ours stays until the last user leaves.
    auto apply = [](int fd, int fl) { return fcntl(fd, F_SETFL, fl); };
    CHECK(pd_setfl(sv[0], 0, apply) == 0);
    CHECK((fcntl(sv[0], F_GETFL) & O_NONBLOCK) != 0);
    pd_nonblock_end(pd, sv[0]);
    CHECK((fcntl(sv[0], F_GETFL) & O_NONBLOCK) != 0);
    pd_nonblock_end(pd, sv[0]);
    CHECK((fcntl(sv[0], F_GETFL) & O_NONBLOCK) == 0);
    // The program's own O_NONBLOCK is kept by the last user.
    CHECK(pd_setfl(sv[0], O_NONBLOCK, apply) == 0);
    pd_nonblock_begin(pd, sv[0]);
    pd_nonblock_end(pd, sv[0]);
    CHECK((fcntl(sv[0], F_GETFL) & O_NONBLOCK) != 0);
    CHECK(pd->nonblock.load() == 1);
    close(sv[0]);
    close(sv[1]);
  }

  TEST_CASE("registration: sockets yes, regular files fall back to the syscall path") {
    ensure_poller();
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    uint32_t gen;
    PollDesc* pd = pd_classify(sv[0], &gen);
    REQUIRE(pd != nullptr);
    CHECK(pd_register(pd, sv[0], gen) == 1);
    CHECK(pd_register(pd, sv[0], gen) == 0);
    int f = open("/proc/self/exe", O_RDONLY);
    PollDesc* fp = pd_classify(f, &gen);
    REQUIRE(fp != nullptr);
    fp->kind.store(FdKind::kStream);  // pretend: epoll will refuse it
    CHECK(pd_register(fp, f, gen) == -1);
    CHECK(fp->kind.load() == FdKind::kFile);
    close(f);
    pd_close_begin(sv[0]);
    close(sv[0]);
    pd_close_end(sv[0]);
    close(sv[1]);
  }

  TEST_CASE("readiness events bump the sequence of their generation only") {
    ensure_poller();
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    uint32_t gen;
    PollDesc* pd = pd_classify(sv[0], &gen);
    REQUIRE(pd != nullptr);
    uint32_t r0 = pd->seq[kDirRead].load(), w0 = pd->seq[kDirWrite].load();
    G* list = nullptr;
    int n = 0;
    pd_netpoll_ready(sv[0], gen, true, false, false, &list, &n);
    CHECK(pd->seq[kDirRead].load() == r0 + 1);
    CHECK(pd->seq[kDirWrite].load() == w0);
    pd_netpoll_ready(sv[0], gen + 1, true, true, false, &list, &n);  // an old file's event
    CHECK(pd->seq[kDirRead].load() == r0 + 1);
    CHECK(pd->seq[kDirWrite].load() == w0);
    CHECK(n == 0);
    CHECK(list == nullptr);
    // A real edge through epoll: register, write to the peer, poll.
    REQUIRE(pd_register(pd, sv[0], gen) >= 0);
    int before = pd->seq[kDirRead].load();
    REQUIRE(write(sv[1], "x", 1) == 1);
    for (int i = 0; i < 10 && int(pd->seq[kDirRead].load()) == before; i++) netpoll(10 * 1000 * 1000, &n);
    CHECK(int(pd->seq[kDirRead].load()) != before);
    pd_close_begin(sv[0]);
    close(sv[0]);
    pd_close_end(sv[0]);
    close(sv[1]);
  }

  TEST_CASE("the drained hint: TCP only, one taker, gone after an odd event or a new sequence") {
    ensure_poller();
    int l = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(listen(l, 1) == 0);
    REQUIRE(getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    int s = accept(l, nullptr, nullptr);
    REQUIRE(s >= 0);
    FdInit in;  // as the accept hook records it
    in.kind = FdKind::kSocket;
    in.sock_type = SOCK_STREAM;
    pd_created(s, in);
    uint32_t gen;
    PollDesc* pd = pd_classify(s, &gen);
    REQUIRE(pd != nullptr);
    uint32_t seq = pd->seq[kDirRead].load();
    pd_drained_note(pd, s, gen, seq);
    CHECK_FALSE(pd_drained_take(pd, gen, seq + 1));  // an event came since: no
    pd_drained_note(pd, s, gen, seq);
    CHECK(pd_drained_take(pd, gen, seq));
    CHECK_FALSE(pd_drained_take(pd, gen, seq));  // taken
    G* list = nullptr;
    int n = 0;
    pd_netpoll_ready(s, gen, true, false, true, &list, &n);  // e.g. EPOLLRDHUP
    seq = pd->seq[kDirRead].load();
    pd_drained_note(pd, s, gen, seq);
    CHECK_FALSE(pd_drained_take(pd, gen, seq));
    // An AF_UNIX stream never gets the hint.
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    pd_created(sv[0], in);
    PollDesc* u = pd_classify(sv[0], &gen);
    REQUIRE(u != nullptr);
    seq = u->seq[kDirRead].load();
    pd_drained_note(u, sv[0], gen, seq);
    CHECK_FALSE(pd_drained_take(u, gen, seq));
    for (int fd : {s, c, l, sv[0], sv[1]}) {
      pd_close_begin(fd);
      close(fd);
      pd_close_end(fd);
    }
  }
}
