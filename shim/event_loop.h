#pragma once
// The shim's single-threaded event loop: epoll for fds, a few one-shot timers
// and deferred calls. Every fd the shim watches is non-blocking, so no
// callback waits on a peer; a callback that has nothing to do returns.
//
// Lifecycle: Create() -> Add()/AddTimer()/Post() -> Run() until Stop().
// Callbacks may add or remove any fd (their own included) and timers; an fd
// removed during a round gets no further events from that round, even when
// its number is reused at once.
//
//   ASSIGN_OR_RETURN(auto loop, EventLoop::Create());
//   RETURN_IF_ERROR(loop->Add(fd, EPOLLIN, [&](uint32_t ev) { ... }));
//   loop->AddTimer(2000, [&] { loop->Stop(); });
//   return loop->Run();

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"

namespace skiff::shim {

class EventLoop {
 public:
  using FdCallback = std::function<void(uint32_t events)>;
  using Callback = std::function<void()>;
  using TimerId = uint64_t;

  static absl::StatusOr<std::unique_ptr<EventLoop>> Create();

  // Watches fd for `events` (EPOLLIN, EPOLLOUT; EPOLLHUP/EPOLLERR always).
  // The caller keeps the fd open until Remove().
  absl::Status Add(int fd, uint32_t events, FdCallback cb);
  absl::Status Modify(int fd, uint32_t events);
  // Stops watching fd; call before closing it. Unknown fds are ignored.
  void Remove(int fd);
  bool Watching(int fd) const { return fds_.count(fd) != 0; }

  // Runs cb once, delay_ms from now (monotonic clock).
  TimerId AddTimer(int64_t delay_ms, Callback cb);
  void CancelTimer(TimerId id);
  // Runs cb at the start of the next round, before waiting.
  void Post(Callback cb);

  // Calls fn once, right before the loop next blocks in epoll_wait, after
  // every posted callback has run. A plain function, so that nothing is
  // allocated or freed between it and the wait (see memory.h).
  void CallBeforeNextWait(void (*fn)()) { before_wait_ = fn; }

  // Dispatches until Stop(); an epoll failure other than EINTR is returned.
  absl::Status Run();
  void Stop() { stopped_ = true; }

  static int64_t NowMs();  // CLOCK_MONOTONIC in milliseconds

 private:
  explicit EventLoop(UniqueFd epfd) : epfd_(std::move(epfd)) {}
  struct Watch {
    uint32_t gen;
    FdCallback cb;
  };
  UniqueFd epfd_;
  std::unordered_map<int, Watch> fds_;
  uint32_t next_gen_ = 1;
  std::multimap<int64_t, std::pair<TimerId, Callback>> timers_;  // by deadline
  TimerId next_timer_ = 1;
  std::vector<Callback> posted_;
  void (*before_wait_)() = nullptr;
  bool stopped_ = false;
};

}  // namespace skiff::shim
