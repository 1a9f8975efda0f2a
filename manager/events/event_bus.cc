#include "manager/events/event_bus.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proto/skiff/v1/time.h"

namespace skiff::manager {
namespace {

namespace v1 = ::skiff::v1;

const std::map<std::string, v1::Event::Type>& TypeNames() {
  static const auto* names = new std::map<std::string, v1::Event::Type>{
      {"container", v1::Event::TYPE_CONTAINER}, {"image", v1::Event::TYPE_IMAGE},
      {"daemon", v1::Event::TYPE_DAEMON},       {"network", v1::Event::TYPE_NETWORK},
      {"volume", v1::Event::TYPE_VOLUME},       {"builder", v1::Event::TYPE_BUILDER},
  };
  return *names;
}

std::string Attr(const v1::Event& e, const std::string& key) {
  auto it = e.actor().attributes().find(key);
  return it == e.actor().attributes().end() ? std::string() : it->second;
}

// "busybox:latest" -> "busybox"; "localhost:5000/app" stays (that colon is a
// port).
std::string StripTag(const std::string& name) {
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return name;
  return name.substr(0, colon);
}

// docker's events filter: terms of one key are ORed, keys are ANDed, except
// labels, which must all match.
struct Filters {
  std::map<std::string, std::vector<std::string>> terms;

  bool Has(const std::string& key) const { return terms.count(key) != 0; }
  const std::vector<std::string>& Values(const std::string& key) const { return terms.at(key); }

  // docker's ExactMatch: true when the key is absent.
  bool Exact(const std::string& key, const std::string& value) const {
    if (!Has(key)) return true;
    const auto& vs = Values(key);
    return std::find(vs.begin(), vs.end(), value) != vs.end();
  }
  // docker's FuzzyMatch: a term matches the value or a prefix of it.
  bool Fuzzy(const std::string& key, const std::string& value) const {
    if (!Has(key)) return true;
    for (const std::string& v : Values(key)) {
      if (!value.empty() && absl::StartsWith(value, v)) return true;
    }
    return false;
  }

  bool Match(const v1::Event& e) const {
    if (Has("type")) {
      bool any = false;
      for (const std::string& v : Values("type")) any |= TypeNames().at(v) == e.type();
      if (!any) return false;
    }
    if (Has("event")) {
      // "exec_start: sh -c ..." is matched by its verb.
      std::string action = e.action().substr(0, e.action().find(':'));
      if (!Exact("event", action)) return false;
    }
    if (Has("container") && !Fuzzy("container", e.actor().id()) &&
        !Fuzzy("container", Attr(e, "name"))) {
      return false;
    }
    if (Has("image")) {
      std::string name = Attr(e, e.type() == v1::Event::TYPE_IMAGE ? "name" : "image");
      const std::string& id = e.actor().id();
      if (!Exact("image", id) && !Exact("image", name) && !Exact("image", StripTag(name)) &&
          !(absl::StartsWith(id, "sha256:") && Exact("image", id.substr(7)))) {
        return false;
      }
    }
    if (Has("label")) {
      for (const std::string& term : Values("label")) {
        size_t eq = term.find('=');
        std::string key = "label." + term.substr(0, eq);
        auto it = e.actor().attributes().find(key);
        if (it == e.actor().attributes().end()) return false;
        if (eq != std::string::npos && it->second != term.substr(eq + 1)) return false;
      }
    }
    return true;
  }
};

absl::StatusOr<Filters> ParseFilters(const std::vector<v1::Filter>& in) {
  Filters f;
  for (const v1::Filter& t : in) {
    const std::string& k = t.key();
    if (k != "type" && k != "event" && k != "container" && k != "image" && k != "label") {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid filter `", k, "`: events filters are type, event, container, image, label"));
    }
    if (k == "type" && TypeNames().count(t.value()) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid filter `type=", t.value(),
                       "`: want container, image, daemon, network, volume or builder"));
    }
    if (t.value().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("invalid filter `", k, "`: empty value"));
    }
    f.terms[k].push_back(t.value());
  }
  return f;
}

}  // namespace

// One subscriber's pending events. Publish appends under the bus's lock; the
// subscriber takes them under the queue's own lock, so a slow reader never
// holds up the bus.
class EventBus::Queue {
 public:
  Queue(Filters filters, std::optional<absl::Time> until)
      : filters_(std::move(filters)), until_(until) {}

  bool Wants(const v1::Event& e) const { return filters_.Match(e); }

  void Push(const v1::Event& e) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (dropped_ || cancelled_) return;
    if (events_.size() >= kMaxQueued) {
      dropped_ = true;
      events_.clear();
      return;
    }
    events_.push_back(e);
  }

  absl::StatusOr<v1::Event> Next(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::Time deadline = absl::Now() + timeout;
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return cancelled_ || dropped_ || !events_.empty();
    };
    while (true) {
      if (cancelled_) return absl::CancelledError("event subscription cancelled");
      if (dropped_) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "event subscriber fell more than ", kMaxQueued, " events behind and was dropped"));
      }
      if (!events_.empty()) {
        v1::Event e = std::move(events_.front());
        events_.pop_front();
        if (until_ && TimeFromProto(e.time()) > *until_) {
          events_.clear();
          return UntilPassed();
        }
        return e;
      }
      absl::Time now = absl::Now();
      if (until_ && now > *until_) return UntilPassed();
      if (now >= deadline) {
        return absl::DeadlineExceededError("no event within the timeout");
      }
      absl::Time wake = until_ ? std::min(deadline, *until_ + absl::Nanoseconds(1)) : deadline;
      mu_.AwaitWithDeadline(absl::Condition(&ready), wake);
    }
  }

  void Cancel() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }

 private:
  absl::Status UntilPassed() const {
    return absl::OutOfRangeError(
        absl::StrCat("event stream ended: `until` ", absl::FormatTime(*until_), " has passed"));
  }

  const Filters filters_;
  const std::optional<absl::Time> until_;
  absl::Mutex mu_;
  std::deque<v1::Event> events_ ABSL_GUARDED_BY(mu_);
  bool dropped_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

class EventBus::SubscriptionImpl final : public EventBus::Subscription {
 public:
  explicit SubscriptionImpl(std::shared_ptr<Queue> q) : q_(std::move(q)) {}
  absl::StatusOr<v1::Event> Next(absl::Duration timeout) override { return q_->Next(timeout); }
  void Cancel() override { q_->Cancel(); }

 private:
  std::shared_ptr<Queue> q_;
};

void EventBus::Publish(v1::Event event) {
  if (event.scope().empty()) event.set_scope("local");
  absl::MutexLock lock(&mu_);
  if (!event.has_time()) {
    absl::Time now = absl::Now();
    if (now <= last_time_) now = last_time_ + absl::Nanoseconds(1);
    *event.mutable_time() = TimeToProto(now);
  }
  last_time_ = std::max(last_time_, TimeFromProto(event.time()));
  ring_.push_back(event);
  if (ring_.size() > kBufferedEvents) ring_.pop_front();
  auto live = queues_.begin();
  for (auto it = queues_.begin(); it != queues_.end(); ++it) {
    std::shared_ptr<Queue> q = it->lock();
    if (!q) continue;
    if (q->Wants(event)) q->Push(event);
    *live++ = *it;
  }
  queues_.erase(live, queues_.end());
}

void EventBus::PublishContainer(const std::string& action, const std::string& id,
                                const std::string& name, const std::string& image,
                                const std::map<std::string, std::string>& labels,
                                const std::map<std::string, std::string>& extra) {
  v1::Event e;
  e.set_type(v1::Event::TYPE_CONTAINER);
  e.set_action(action);
  e.mutable_actor()->set_id(id);
  auto& attrs = *e.mutable_actor()->mutable_attributes();
  attrs["name"] = name;
  attrs["image"] = image;
  for (const auto& [k, v] : labels) attrs["label." + k] = v;
  for (const auto& [k, v] : extra) attrs[k] = v;
  Publish(std::move(e));
}

void EventBus::PublishImage(const std::string& action, const std::string& id,
                            const std::map<std::string, std::string>& attributes) {
  v1::Event e;
  e.set_type(v1::Event::TYPE_IMAGE);
  e.set_action(action);
  e.mutable_actor()->set_id(id);
  auto& attrs = *e.mutable_actor()->mutable_attributes();
  for (const auto& [k, v] : attributes) attrs[k] = v;
  Publish(std::move(e));
}

absl::StatusOr<std::unique_ptr<EventBus::Subscription>> EventBus::Subscribe(
    const std::vector<v1::Filter>& filters, std::optional<absl::Time> since,
    std::optional<absl::Time> until) {
  absl::StatusOr<Filters> f = ParseFilters(filters);
  if (!f.ok()) return f.status();
  if (since && until && *until < *since) {
    return absl::InvalidArgumentError(absl::StrCat("`until` (", absl::FormatTime(*until),
                                                   ") is before `since` (",
                                                   absl::FormatTime(*since), ")"));
  }
  auto q = std::make_shared<Queue>(*std::move(f), until);
  // Replay and registration under one lock: no event is missed or seen twice
  // between the buffered ones and the live ones.
  absl::MutexLock lock(&mu_);
  if (since) {
    for (const v1::Event& e : ring_) {
      if (TimeFromProto(e.time()) >= *since && q->Wants(e)) q->Push(e);
    }
  }
  queues_.push_back(q);
  return std::unique_ptr<Subscription>(new SubscriptionImpl(std::move(q)));
}

}  // namespace skiff::manager
