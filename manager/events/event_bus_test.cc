// EventBus as an Events RPC client sees it: what arrives, in which order,
// what filters let through, and how a stream ends.

#include "manager/events/event_bus.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace skiff::manager {
namespace {

namespace v1 = ::skiff::v1;

v1::Filter F(const std::string& key, const std::string& value) {
  v1::Filter f;
  f.set_key(key);
  f.set_value(value);
  return f;
}

absl::Time TimeOf(const v1::Event& e) {
  return absl::FromUnixSeconds(e.time().seconds()) + absl::Nanoseconds(e.time().nanos());
}

std::unique_ptr<EventBus::Subscription> Sub(EventBus& bus, const std::vector<v1::Filter>& f = {},
                                            std::optional<absl::Time> since = std::nullopt,
                                            std::optional<absl::Time> until = std::nullopt) {
  auto s = bus.Subscribe(f, since, until);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

// The actions (or the error code) a subscriber sees until nothing is left.
std::vector<std::string> Drain(EventBus::Subscription& s) {
  std::vector<std::string> out;
  while (true) {
    absl::StatusOr<v1::Event> e = s.Next(absl::Milliseconds(20));
    if (!e.ok()) {
      if (!absl::IsDeadlineExceeded(e.status())) out.push_back(e.status().ToString());
      return out;
    }
    out.push_back(e->action() + ":" + e->actor().id());
  }
}

TEST(EventBusTest, LiveEventsAreStampedAndInOrder) {
  EventBus bus;
  auto s = Sub(bus);
  bus.PublishContainer("create", "c1", "web", "busybox", {{"tier", "front"}});
  bus.PublishContainer("start", "c1", "web", "busybox", {}, {{"extra", "x"}});
  bus.PublishImage("tag", "sha256:aa", {{"name", "busybox:latest"}});

  absl::StatusOr<v1::Event> a = s->Next(absl::Seconds(1));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->type(), v1::Event::TYPE_CONTAINER);
  EXPECT_EQ(a->action(), "create");
  EXPECT_EQ(a->scope(), "local");
  EXPECT_EQ(a->actor().attributes().at("name"), "web");
  EXPECT_EQ(a->actor().attributes().at("image"), "busybox");
  EXPECT_EQ(a->actor().attributes().at("label.tier"), "front");
  EXPECT_LE(absl::Now() - TimeOf(*a), absl::Seconds(5));

  absl::StatusOr<v1::Event> b = s->Next(absl::Seconds(1));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->actor().attributes().at("extra"), "x");
  EXPECT_GT(TimeOf(*b), TimeOf(*a));

  absl::StatusOr<v1::Event> c = s->Next(absl::Seconds(1));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->type(), v1::Event::TYPE_IMAGE);
  EXPECT_GT(TimeOf(*c), TimeOf(*b));

  absl::Time t0 = absl::Now();
  absl::StatusOr<v1::Event> none = s->Next(absl::Milliseconds(50));
  EXPECT_TRUE(absl::IsDeadlineExceeded(none.status())) << none.status();
  EXPECT_GE(absl::Now() - t0, absl::Milliseconds(45));
}

TEST(EventBusTest, WithoutSinceOnlyLiveEvents) {
  EventBus bus;
  bus.PublishImage("load", "old");
  auto s = Sub(bus);
  bus.PublishImage("load", "new");
  EXPECT_EQ(Drain(*s), std::vector<std::string>{"load:new"});
}

TEST(EventBusTest, SinceReplaysBufferedEventsThenLive) {
  EventBus bus;
  bus.PublishImage("load", "a");
  absl::SleepFor(absl::Milliseconds(5));
  absl::Time since = absl::Now();
  bus.PublishImage("load", "b");
  bus.PublishImage("load", "c");
  auto s = Sub(bus, {}, since);
  bus.PublishImage("load", "d");
  EXPECT_EQ(Drain(*s), (std::vector<std::string>{"load:b", "load:c", "load:d"}));
}

TEST(EventBusTest, ReplayKeepsOnlyTheLastBufferedEvents) {
  EventBus bus;
  for (size_t i = 0; i < EventBus::kBufferedEvents + 10; ++i) {
    bus.PublishImage("tag", std::to_string(i));
  }
  auto s = Sub(bus, {}, absl::UnixEpoch());
  std::vector<std::string> got = Drain(*s);
  ASSERT_EQ(got.size(), EventBus::kBufferedEvents);
  EXPECT_EQ(got.front(), "tag:10");
  EXPECT_EQ(got.back(), "tag:" + std::to_string(EventBus::kBufferedEvents + 9));
}

TEST(EventBusTest, FiltersByTypeEventContainerImageAndLabel) {
  EventBus bus;
  auto by_type = Sub(bus, {F("type", "image")});
  auto by_event = Sub(bus, {F("event", "start"), F("event", "die")});
  auto by_container = Sub(bus, {F("container", "web")});
  auto by_prefix = Sub(bus, {F("container", "abc1")});
  auto by_image = Sub(bus, {F("image", "busybox")});
  auto by_label = Sub(bus, {F("label", "tier=front"), F("label", "team")});
  auto anded = Sub(bus, {F("type", "container"), F("event", "die")});

  bus.PublishContainer("create", "abc123", "web", "busybox:latest", {{"tier", "front"}});
  bus.PublishContainer("start", "abc123", "web", "busybox:latest",
                       {{"tier", "front"}, {"team", "a"}});
  bus.PublishContainer("die", "def456", "db", "postgres", {{"tier", "back"}, {"team", "b"}},
                       {{"exitCode", "1"}});
  bus.PublishContainer("exec_start: sh -c true", "def456", "db", "postgres", {});
  bus.PublishImage("tag", "sha256:1234", {{"name", "busybox:latest"}});
  bus.PublishImage("untag", "sha256:5678", {{"name", "alpine:3"}});

  EXPECT_EQ(Drain(*by_type), (std::vector<std::string>{"tag:sha256:1234", "untag:sha256:5678"}));
  EXPECT_EQ(Drain(*by_event), (std::vector<std::string>{"start:abc123", "die:def456"}));
  EXPECT_EQ(Drain(*by_container), (std::vector<std::string>{"create:abc123", "start:abc123"}));
  EXPECT_EQ(Drain(*by_prefix), (std::vector<std::string>{"create:abc123", "start:abc123"}));
  EXPECT_EQ(Drain(*by_image),
            (std::vector<std::string>{"create:abc123", "start:abc123", "tag:sha256:1234"}));
  EXPECT_EQ(Drain(*by_label), std::vector<std::string>{"start:abc123"});
  EXPECT_EQ(Drain(*anded), std::vector<std::string>{"die:def456"});

  auto exec = Sub(bus, {F("event", "exec_start")}, absl::UnixEpoch());
  EXPECT_EQ(Drain(*exec), std::vector<std::string>{"exec_start: sh -c true:def456"});
}

TEST(EventBusTest, UnknownFilterIsInvalidArgument) {
  EventBus bus;
  auto s = bus.Subscribe({F("colour", "red")}, std::nullopt, std::nullopt);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(s.status()));
  EXPECT_NE(s.status().message().find("colour"), std::string::npos) << s.status();

  auto t = bus.Subscribe({F("type", "spaceship")}, std::nullopt, std::nullopt);
  EXPECT_TRUE(absl::IsInvalidArgument(t.status())) << t.status();
}

TEST(EventBusTest, UntilEndsTheStream) {
  EventBus bus;
  bus.PublishImage("load", "a");
  absl::Time until = absl::Now();
  absl::SleepFor(absl::Milliseconds(2));
  bus.PublishImage("load", "b");
  auto past = Sub(bus, {}, absl::UnixEpoch(), until);
  absl::StatusOr<v1::Event> e = past->Next(absl::Seconds(1));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->actor().id(), "a");
  EXPECT_TRUE(absl::IsOutOfRange(past->Next(absl::Seconds(1)).status()));

  // A live stream ends when `until` comes, not at the caller's timeout.
  auto soon = Sub(bus, {}, std::nullopt, absl::Now() + absl::Milliseconds(50));
  absl::Time t0 = absl::Now();
  absl::StatusOr<v1::Event> end = soon->Next(absl::Seconds(10));
  EXPECT_TRUE(absl::IsOutOfRange(end.status())) << end.status();
  EXPECT_LT(absl::Now() - t0, absl::Seconds(5));
}

TEST(EventBusTest, CancelWakesABlockedNextFromAnotherThread) {
  EventBus bus;
  auto s = Sub(bus);
  absl::Status got;
  absl::Time t0 = absl::Now();
  std::thread reader([&] { got = s->Next(absl::Seconds(30)).status(); });
  absl::SleepFor(absl::Milliseconds(50));
  s->Cancel();
  reader.join();
  EXPECT_TRUE(absl::IsCancelled(got)) << got;
  EXPECT_LT(absl::Now() - t0, absl::Seconds(10));
  // Events after the cancel are not delivered.
  bus.PublishImage("load", "x");
  EXPECT_TRUE(absl::IsCancelled(s->Next(absl::Milliseconds(10)).status()));
}

TEST(EventBusTest, NextWakesOnPublishFromAnotherThread) {
  EventBus bus;
  auto s = Sub(bus);
  std::thread writer([&] {
    absl::SleepFor(absl::Milliseconds(30));
    bus.PublishImage("load", "late");
  });
  absl::StatusOr<v1::Event> e = s->Next(absl::Seconds(10));
  writer.join();
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->actor().id(), "late");
}

TEST(EventBusTest, SlowSubscriberIsDroppedOthersKeepGoing) {
  EventBus bus;
  auto slow = Sub(bus);
  auto filtered = Sub(bus, {F("event", "die")});
  for (size_t i = 0; i <= EventBus::kMaxQueued; ++i) bus.PublishImage("tag", "x");
  absl::StatusOr<v1::Event> e = slow->Next(absl::Seconds(1));
  EXPECT_TRUE(absl::IsResourceExhausted(e.status())) << e.status();
  // A subscriber whose filter let nothing through is not behind.
  bus.PublishContainer("die", "c", "n", "i", {});
  absl::StatusOr<v1::Event> d = filtered->Next(absl::Seconds(1));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->action(), "die");
}

TEST(EventBusTest, DroppingASubscriptionUnregistersIt) {
  EventBus bus;
  { auto s = Sub(bus); }
  bus.PublishImage("load", "a");  // must not touch the dead subscriber
  auto s = Sub(bus);
  bus.PublishImage("load", "b");
  EXPECT_EQ(Drain(*s), std::vector<std::string>{"load:b"});
}

}  // namespace
}  // namespace skiff::manager
