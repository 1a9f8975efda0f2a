#include "shim/event_loop.h"

#include <time.h>

#include <cerrno>

#include "common/status.h"

namespace skiff::shim {

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create() {
  UniqueFd ep(epoll_create1(EPOLL_CLOEXEC));
  if (!ep) return Errno("epoll_create1");
  return std::unique_ptr<EventLoop>(new EventLoop(std::move(ep)));
}

absl::Status EventLoop::Add(int fd, uint32_t events, FdCallback cb) {
  uint32_t gen = next_gen_++;
  struct epoll_event ev = {};
  ev.events = events;
  ev.data.u64 = (uint64_t{gen} << 32) | static_cast<uint32_t>(fd);
  if (epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
    return Errno("epoll_ctl add", std::to_string(fd));
  fds_[fd] = Watch{gen, std::move(cb)};
  return absl::OkStatus();
}

absl::Status EventLoop::Modify(int fd, uint32_t events) {
  auto it = fds_.find(fd);
  if (it == fds_.end())
    return absl::NotFoundError("epoll: fd " + std::to_string(fd) + " not watched");
  struct epoll_event ev = {};
  ev.events = events;
  ev.data.u64 = (uint64_t{it->second.gen} << 32) | static_cast<uint32_t>(fd);
  if (epoll_ctl(epfd_.get(), EPOLL_CTL_MOD, fd, &ev) != 0)
    return Errno("epoll_ctl mod", std::to_string(fd));
  return absl::OkStatus();
}

void EventLoop::Remove(int fd) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return;
  epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, fd, nullptr);
  fds_.erase(it);
}

EventLoop::TimerId EventLoop::AddTimer(int64_t delay_ms, Callback cb) {
  TimerId id = next_timer_++;
  timers_.emplace(NowMs() + delay_ms, std::make_pair(id, std::move(cb)));
  return id;
}

void EventLoop::CancelTimer(TimerId id) {
  for (auto it = timers_.begin(); it != timers_.end(); ++it) {
    if (it->second.first == id) {
      timers_.erase(it);
      return;
    }
  }
}

void EventLoop::Post(Callback cb) { posted_.push_back(std::move(cb)); }

int64_t EventLoop::NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

absl::Status EventLoop::Run() {
  stopped_ = false;
  struct epoll_event events[16];
  while (!stopped_) {
    while (!posted_.empty() && !stopped_) {
      std::vector<Callback> now;
      now.swap(posted_);
      for (auto& cb : now) cb();
    }
    if (stopped_) break;
    int timeout = -1;
    if (!timers_.empty()) {
      int64_t d = timers_.begin()->first - NowMs();
      timeout = d < 0 ? 0 : static_cast<int>(d);
    }
    if (before_wait_ && timeout != 0) {
      void (*fn)() = before_wait_;
      before_wait_ = nullptr;
      fn();
    }
    int n = epoll_wait(epfd_.get(), events, 16, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("epoll_wait");
    }
    for (int i = 0; i < n && !stopped_; i++) {
      int fd = static_cast<int>(events[i].data.u64 & 0xffffffffu);
      uint32_t gen = static_cast<uint32_t>(events[i].data.u64 >> 32);
      auto it = fds_.find(fd);
      if (it == fds_.end() || it->second.gen != gen) continue;  // removed this round
      FdCallback cb = it->second.cb;  // the callback may remove (destroy) its entry
      cb(events[i].events);
    }
    int64_t now = NowMs();
    while (!stopped_ && !timers_.empty() && timers_.begin()->first <= now) {
      Callback cb = std::move(timers_.begin()->second.second);
      timers_.erase(timers_.begin());
      cb();
    }
  }
  return absl::OkStatus();
}

}  // namespace skiff::shim
