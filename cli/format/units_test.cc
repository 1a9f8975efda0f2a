#include "cli/format/units.h"

#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace skiff::cli {
namespace {

struct DurationCase {
  absl::Duration d;
  const char* want;
};

class HumanDurationTest : public ::testing::TestWithParam<DurationCase> {};

TEST_P(HumanDurationTest, MatchesGoUnits) { EXPECT_EQ(HumanDuration(GetParam().d), GetParam().want); }

const absl::Duration kDay = absl::Hours(24);
const absl::Duration kWeek = kDay * 7;
const absl::Duration kMonth = kDay * 30;
const absl::Duration kYear = kDay * 365;

// go-units duration_test.go's cases.
INSTANTIATE_TEST_SUITE_P(
    GoUnits, HumanDurationTest,
    ::testing::Values(
        DurationCase{absl::Milliseconds(450), "Less than a second"}, DurationCase{-absl::Seconds(5), "Less than a second"},
        DurationCase{absl::Seconds(1), "1 second"}, DurationCase{absl::Seconds(45), "45 seconds"},
        DurationCase{absl::Seconds(59), "59 seconds"}, DurationCase{absl::Seconds(60), "About a minute"},
        DurationCase{absl::Minutes(3), "3 minutes"}, DurationCase{absl::Minutes(35) + absl::Seconds(40), "35 minutes"},
        DurationCase{absl::Minutes(59), "59 minutes"}, DurationCase{absl::Hours(1), "About an hour"},
        DurationCase{absl::Hours(1) + absl::Minutes(29), "About an hour"},
        DurationCase{absl::Hours(1) + absl::Minutes(31), "2 hours"},
        DurationCase{absl::Hours(3) + absl::Minutes(29), "3 hours"},
        DurationCase{absl::Hours(3) + absl::Minutes(31), "4 hours"}, DurationCase{absl::Hours(24), "24 hours"},
        DurationCase{kDay + absl::Hours(12), "36 hours"}, DurationCase{2 * kDay, "2 days"},
        DurationCase{7 * kDay, "7 days"}, DurationCase{13 * kDay + absl::Hours(5), "13 days"},
        DurationCase{2 * kWeek, "2 weeks"}, DurationCase{2 * kWeek + 4 * kDay, "2 weeks"},
        DurationCase{4 * kWeek + 3 * kDay, "4 weeks"}, DurationCase{kMonth, "4 weeks"},
        DurationCase{kMonth + 2 * kWeek, "6 weeks"}, DurationCase{2 * kMonth, "2 months"},
        DurationCase{3 * kMonth + kWeek, "3 months"}, DurationCase{13 * kMonth, "13 months"},
        DurationCase{24 * kMonth, "24 months"}, DurationCase{24 * kMonth + 2 * kWeek, "2 years"},
        DurationCase{3 * kYear + 2 * kMonth, "3 years"},
        DurationCase{absl::InfiniteDuration(), "1052896351239129 years"}));

struct SizeCase {
  int64_t bytes;
  const char* want;
};

class HumanSizeTest : public ::testing::TestWithParam<SizeCase> {};

TEST_P(HumanSizeTest, FourSignificantDigits) { EXPECT_EQ(HumanSize(GetParam().bytes), GetParam().want); }

INSTANTIATE_TEST_SUITE_P(GoUnits, HumanSizeTest,
                         ::testing::Values(SizeCase{0, "0B"}, SizeCase{999, "999B"}, SizeCase{1000, "1kB"},
                                           SizeCase{1024, "1.024kB"}, SizeCase{1234, "1.234kB"},
                                           SizeCase{1000000, "1MB"}, SizeCase{1048576, "1.049MB"},
                                           SizeCase{4400000, "4.4MB"}, SizeCase{3420000000, "3.42GB"},
                                           SizeCase{5372000000000, "5.372TB"}, SizeCase{2220000000000000, "2.22PB"},
                                           SizeCase{INT64_MAX, "9.223EB"}, SizeCase{-5, "-5B"}));

TEST(HumanSizeWithPrecisionTest, DockerPsUsesThreeDigits) {
  EXPECT_EQ(HumanSizeWithPrecision(1234, 3), "1.23kB");
  EXPECT_EQ(HumanSizeWithPrecision(187654321, 3), "188MB");
  EXPECT_EQ(HumanSizeWithPrecision(2, 3), "2B");
  EXPECT_EQ(HumanSizeWithPrecision(0, 3), "0B");
  // Rounding to three digits can reach 1000 within a unit; Go's %g then
  // switches to an exponent, and so do we.
  EXPECT_EQ(HumanSizeWithPrecision(999999, 3), "1e+03kB");
}

struct StatusCase {
  const char* status;
  int exit_code;
  absl::Duration since_start;   // now - started_at; zero means never started
  absl::Duration since_finish;  // now - finished_at; zero means never finished
  const char* want;
};

class ContainerStatusTextTest : public ::testing::TestWithParam<StatusCase> {};

TEST_P(ContainerStatusTextTest, MatchesMobyStateString) {
  const StatusCase& c = GetParam();
  absl::Time now = absl::FromUnixSeconds(1700000000);
  absl::Time started = c.since_start == absl::ZeroDuration() ? absl::UnixEpoch() : now - c.since_start;
  absl::Time finished = c.since_finish == absl::ZeroDuration() ? absl::UnixEpoch() : now - c.since_finish;
  EXPECT_EQ(ContainerStatusText(c.status, c.exit_code, started, finished, now), c.want);
}

INSTANTIATE_TEST_SUITE_P(
    Moby, ContainerStatusTextTest,
    ::testing::Values(
        StatusCase{"running", 0, absl::Minutes(5), absl::ZeroDuration(), "Up 5 minutes"},
        StatusCase{"running", 0, absl::Milliseconds(300), absl::ZeroDuration(), "Up Less than a second"},
        StatusCase{"paused", 0, absl::Minutes(5), absl::ZeroDuration(), "Up 5 minutes (Paused)"},
        StatusCase{"restarting", 1, absl::Minutes(5), absl::Seconds(3), "Restarting (1) 3 seconds ago"},
        StatusCase{"exited", 0, absl::Hours(1), absl::Minutes(5), "Exited (0) 5 minutes ago"},
        StatusCase{"exited", 137, absl::Hours(1), absl::Milliseconds(10), "Exited (137) Less than a second ago"},
        StatusCase{"exited", 0, absl::ZeroDuration(), absl::ZeroDuration(), "Created"},
        StatusCase{"exited", 0, absl::Hours(1), absl::ZeroDuration(), ""},
        StatusCase{"created", 0, absl::ZeroDuration(), absl::ZeroDuration(), "Created"},
        StatusCase{"removing", 0, absl::Hours(1), absl::ZeroDuration(), "Removal In Progress"},
        StatusCase{"dead", 0, absl::Hours(1), absl::Minutes(1), "Dead"},
        StatusCase{"weird", 0, absl::ZeroDuration(), absl::ZeroDuration(), "weird"}));

}  // namespace
}  // namespace skiff::cli
