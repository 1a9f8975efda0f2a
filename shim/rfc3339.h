#pragma once
// Wall-clock timestamps in RFC 3339 with nanoseconds, always UTC and always
// nine fraction digits, e.g. "2026-11-28T06:04:05.000123456Z". Used by the
// container log, the exit file and the shim's diagnostics.

#include <time.h>

#include <string>

namespace skiff::shim {

struct timespec RealtimeNow();
// Appends the 30-byte timestamp of ts to *out.
void AppendRfc3339Nano(std::string* out, const struct timespec& ts);
std::string Rfc3339Nano(const struct timespec& ts);

}  // namespace skiff::shim
