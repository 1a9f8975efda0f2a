#pragma once
// absl::Time <-> google.protobuf.Timestamp, for the API's time fields, on
// both sides of it (skiffd and skiff).

#include <cstdint>
#include <ctime>
#include <optional>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace skiff {

inline google::protobuf::Timestamp TimeToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  timespec spec = absl::ToTimespec(t);
  ts.set_seconds(spec.tv_sec);
  ts.set_nanos(static_cast<int32_t>(spec.tv_nsec));
  return ts;
}

inline absl::Time TimeFromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

// For request fields where the zero Timestamp means "not given".
inline std::optional<absl::Time> OptionalTimeFromProto(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return std::nullopt;
  return TimeFromProto(ts);
}

}  // namespace skiff
