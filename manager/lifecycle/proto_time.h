#pragma once
// absl::Time <-> google.protobuf.Timestamp, for the API messages.

#include <ctime>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace skiff::manager {

inline google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  timespec spec = absl::ToTimespec(t);
  ts.set_seconds(spec.tv_sec);
  ts.set_nanos(static_cast<int32_t>(spec.tv_nsec));
  return ts;
}

inline absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace skiff::manager
