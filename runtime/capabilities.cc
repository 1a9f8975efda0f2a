#include "runtime/capabilities.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace skiff::runtime {

namespace {
bool Contains(const std::vector<int>& v, int c) {
  return std::find(v.begin(), v.end(), c) != v.end();
}
}  // namespace

absl::Status DropBoundingSet(const Capabilities& caps) {
  int last = CAP_LAST_CAP;
  // The running kernel may know more than our headers.
  while (prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0) ++last;
  for (int c = 0; c <= last; ++c) {
    if (Contains(caps.bounding, c)) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL)
      return Errno(absl::StrCat("drop capability ", c, " from the bounding set"));
  }
  return absl::OkStatus();
}

absl::Status ApplyCapabilities(const Capabilities& caps) {
  cap_t c = cap_init();
  if (!c) return Errno("cap_init");
  absl::Cleanup free_caps = [c] { cap_free(c); };
  auto set = [&](cap_flag_t flag, const std::vector<int>& list) -> absl::Status {
    for (int v : list) {
      cap_value_t cv = v;
      if (!CAP_IS_SUPPORTED(cv)) continue;
      if (cap_set_flag(c, flag, 1, &cv, CAP_SET) != 0)
        return Errno(absl::StrCat("set capability ", v));
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(set(CAP_EFFECTIVE, caps.effective));
  RETURN_IF_ERROR(set(CAP_PERMITTED, caps.permitted));
  RETURN_IF_ERROR(set(CAP_INHERITABLE, caps.inheritable));
  if (cap_set_proc(c) != 0) return Errno("apply capabilities (capset)");
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  for (int v : caps.ambient) {
    // Like runc: an ambient capability not also permitted and inheritable
    // is skipped rather than failing the container.
    if (!Contains(caps.permitted, v) || !Contains(caps.inheritable, v)) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, v, 0, 0) != 0)
      return Errno(absl::StrCat("raise ambient capability ", v));
  }
  return absl::OkStatus();
}

}  // namespace skiff::runtime
