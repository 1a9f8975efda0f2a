#include "runtime/cgroups/device_rules.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "runtime/cgroups/internal.h"
#include "runtime/cgroups/v1.h"

namespace skiff::runtime {

namespace {

absl::StatusOr<DeviceException> ParseLine(absl::string_view line) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("device rule \"", line, "\": ", why));
  };
  std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
  if (f.size() != 3) return bad("want \"TYPE MAJOR:MINOR ACCESS\"");
  DeviceException e;
  if (f[0] != "c" && f[0] != "b") return bad("type must be a, b or c");
  e.type = f[0][0];
  std::vector<absl::string_view> mm = absl::StrSplit(f[1], ':');
  if (mm.size() != 2) return bad("want MAJOR:MINOR");
  for (int i = 0; i < 2; ++i) {
    int64_t& v = i == 0 ? e.major : e.minor;
    if (mm[i] == "*") {
      v = -1;
    } else if (!absl::SimpleAtoi(mm[i], &v) || v < 0) {
      return bad("bad device number");
    }
  }
  for (char c : f[2]) {
    switch (c) {
      case 'r': e.access |= kDevRead; break;
      case 'w': e.access |= kDevWrite; break;
      case 'm': e.access |= kDevMknod; break;
      default: return bad("access may only contain r, w and m");
    }
  }
  if (e.access == 0) return bad("no access");
  return e;
}

void Add(std::vector<DeviceException>& list, const DeviceException& e) {
  for (DeviceException& x : list) {
    if (x.SameDevice(e)) {
      x.access |= e.access;
      return;
    }
  }
  list.push_back(e);
}

void Remove(std::vector<DeviceException>& list, const DeviceException& e) {
  for (auto it = list.begin(); it != list.end(); ++it) {
    if (!it->SameDevice(e)) continue;
    it->access &= ~e.access;
    if (it->access == 0) list.erase(it);
    return;
  }
}

}  // namespace

std::string DeviceLine(const DeviceException& e) {
  auto num = [](int64_t v) { return v < 0 ? std::string("*") : absl::StrCat(v); };
  std::string access;
  if (e.access & kDevRead) access += 'r';
  if (e.access & kDevWrite) access += 'w';
  if (e.access & kDevMknod) access += 'm';
  return absl::StrCat(std::string(1, e.type), " ", num(e.major), ":", num(e.minor), " ", access);
}

absl::Status DeviceState::Apply(bool allow, absl::string_view line) {
  if (!line.empty() && line[0] == 'a') {
    default_allow = allow;
    exceptions.clear();
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(DeviceException e, ParseLine(line));
  // An exception says the opposite of the default: an allow under "allow"
  // (or a deny under "deny") takes access away from the exceptions.
  if (allow == default_allow) {
    Remove(exceptions, e);
  } else {
    Add(exceptions, e);
  }
  return absl::OkStatus();
}

absl::StatusOr<DeviceState> EmulateDeviceRules(const std::vector<DeviceRule>& rules) {
  DeviceState st;
  for (size_t i = 0; i < rules.size(); ++i) {
    std::string field = absl::StrCat("linux.resources.devices[", i, "]");
    absl::StatusOr<std::vector<std::string>> lines = V1DeviceLines(rules[i]);
    if (!lines.ok()) return Annotate(lines.status(), field);
    for (const std::string& line : *lines) {
      absl::Status s = st.Apply(rules[i].allow, line);
      if (!s.ok()) return Annotate(s, field);
    }
  }
  return st;
}

absl::StatusOr<DeviceState> ParseDevicesList(absl::string_view text) {
  DeviceState st;
  st.default_allow = false;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    line = cgroups_internal::Trim(line);
    if (line[0] == 'a') return DeviceState{};
    ASSIGN_OR_RETURN(DeviceException e, ParseLine(line));
    Add(st.exceptions, e);
  }
  return st;
}

std::vector<DeviceWrite> DeviceTransition(const DeviceState& from, const DeviceState& to) {
  std::vector<DeviceWrite> out;
  // Writes an exception of `to`: a deny under "allow", an allow under "deny".
  auto write = [&](const DeviceException& e, unsigned access, bool allow) {
    DeviceException x = e;
    x.access = access;
    out.push_back({allow, DeviceLine(x)});
  };
  if (to.default_allow || from.default_allow) {
    // devices.list hides an "allow" default's exceptions: start over.
    out.push_back({to.default_allow, "a"});
    for (const DeviceException& e : to.exceptions) write(e, e.access, !to.default_allow);
    return out;
  }
  auto find = [](const std::vector<DeviceException>& list, const DeviceException& e) {
    return std::find_if(list.begin(), list.end(),
                        [&](const DeviceException& x) { return x.SameDevice(e); });
  };
  for (const DeviceException& e : from.exceptions) {
    auto it = find(to.exceptions, e);
    unsigned drop = e.access & ~(it == to.exceptions.end() ? 0u : it->access);
    if (drop) write(e, drop, /*allow=*/false);
  }
  for (const DeviceException& e : to.exceptions) {
    auto it = find(from.exceptions, e);
    unsigned add = e.access & ~(it == from.exceptions.end() ? 0u : it->access);
    if (add) write(e, add, /*allow=*/true);
  }
  return out;
}

}  // namespace skiff::runtime
