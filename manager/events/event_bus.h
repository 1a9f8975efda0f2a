#pragma once
// skiffd's event stream (docker events): every service publishes lifecycle
// events here; Events RPC clients subscribe. The bus keeps the last
// kBufferedEvents events in memory so a subscriber can replay from `since`.
// Publish never blocks on a subscriber: a subscriber that falls more than
// kMaxQueued events behind is dropped (its Next returns ResourceExhausted).
//
// Thread-safe.

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/skiff/v1/system.pb.h"
#include "proto/skiff/v1/types.pb.h"

namespace skiff::manager {

class EventBus {
 public:
  static constexpr size_t kBufferedEvents = 1024;
  static constexpr size_t kMaxQueued = 4096;

  class Subscription {
   public:
    virtual ~Subscription() = default;
    // The next matching event; DeadlineExceeded after `timeout`, Cancelled
    // after Cancel(), ResourceExhausted when it fell behind, OutOfRange once
    // `until` has passed.
    virtual absl::StatusOr<skiff::v1::Event> Next(absl::Duration timeout) = 0;
    // Wakes a blocked Next (from another thread).
    virtual void Cancel() = 0;
  };

  EventBus() = default;

  // Stamps the time (now, if unset) and scope ("local") and delivers it.
  void Publish(skiff::v1::Event event);

  // Convenience: a container event with docker's attributes (name, image,
  // labels as "label.<key>", plus `extra`).
  void PublishContainer(const std::string& action, const std::string& id,
                        const std::string& name, const std::string& image,
                        const std::map<std::string, std::string>& labels,
                        const std::map<std::string, std::string>& extra = {});
  void PublishImage(const std::string& action, const std::string& id,
                    const std::map<std::string, std::string>& attributes = {});

  // Filters as EventsRequest documents (type, event, container (id, prefix or
  // name), image, label); InvalidArgument for an unknown key.
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(
      const std::vector<skiff::v1::Filter>& filters, std::optional<absl::Time> since,
      std::optional<absl::Time> until);

 private:
  class Queue;
  class SubscriptionImpl;

  absl::Mutex mu_;
  // The last kBufferedEvents events, oldest first, for `since` replay.
  std::deque<skiff::v1::Event> ring_ ABSL_GUARDED_BY(mu_);
  // Live subscribers; an expired pointer is a subscription its owner dropped.
  std::vector<std::weak_ptr<Queue>> queues_ ABSL_GUARDED_BY(mu_);
  // Keeps a stream's times strictly increasing even when the clock is not.
  absl::Time last_time_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace skiff::manager
