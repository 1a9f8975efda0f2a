#include "cli/render/image_json.h"

#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cli/format/units.h"
#include "proto/skiff/v1/time.h"

namespace skiff::cli {
namespace {

namespace v1 = ::skiff::v1;
using ojson = nlohmann::ordered_json;

constexpr char kNone[] = "<none>";

ojson StringsOrNull(const google::protobuf::RepeatedPtrField<std::string>& v) {
  if (v.empty()) return nullptr;
  ojson a = ojson::array();
  for (const std::string& s : v) a.push_back(s);
  return a;
}

// A StringList: unset is null (Go's nil slice), set but empty is [].
ojson StringList(bool has, const v1::StringList& l) {
  if (!has) return nullptr;
  ojson a = ojson::array();
  for (const std::string& s : l.values()) a.push_back(s);
  return a;
}

// Go's map[string]struct{}: {"80/tcp": {}}.
ojson SetOf(const google::protobuf::RepeatedPtrField<std::string>& keys) {
  if (keys.empty()) return nullptr;
  ojson o = ojson::object();
  for (const std::string& k : keys) o[k] = ojson::object();
  return o;
}

ojson ConfigJson(const v1::ContainerConfig& c) {
  ojson j = ojson::object();
  j["Hostname"] = c.hostname();
  j["Domainname"] = c.domainname();
  j["User"] = c.user();
  j["AttachStdin"] = c.attach_stdin();
  j["AttachStdout"] = c.attach_stdout();
  j["AttachStderr"] = c.attach_stderr();
  if (!c.exposed_ports().empty()) j["ExposedPorts"] = SetOf(c.exposed_ports());
  j["Tty"] = c.tty();
  j["OpenStdin"] = c.open_stdin();
  j["StdinOnce"] = c.stdin_once();
  j["Env"] = StringsOrNull(c.env());
  j["Cmd"] = StringList(c.has_cmd(), c.cmd());
  j["Image"] = c.image();
  j["Volumes"] = SetOf(c.volumes());
  j["WorkingDir"] = c.working_dir();
  j["Entrypoint"] = StringList(c.has_entrypoint(), c.entrypoint());
  j["OnBuild"] = StringsOrNull(c.on_build());
  if (c.labels().empty()) {
    j["Labels"] = nullptr;
  } else {
    // Sorted, as Go's encoding/json writes maps.
    std::map<std::string, std::string> sorted(c.labels().begin(), c.labels().end());
    j["Labels"] = sorted;
  }
  if (!c.stop_signal().empty()) j["StopSignal"] = c.stop_signal();
  if (c.has_stop_timeout_seconds()) j["StopTimeout"] = c.stop_timeout_seconds();
  if (c.has_shell()) j["Shell"] = StringList(true, c.shell());
  return j;
}

std::string GoTimeString(absl::Time t) {
  // Go's Time.String(): "2023-05-19 20:13:07 +0000 UTC" (local zone).
  return absl::FormatTime("%Y-%m-%d %H:%M:%S %z %Z", t, absl::LocalTimeZone());
}

std::string Rfc3339Local(absl::Time t) {
  // Go's time.RFC3339 in the local zone: "Z" for UTC, else "+02:00".
  absl::TimeZone tz = absl::LocalTimeZone();
  std::string s = absl::FormatTime("%Y-%m-%dT%H:%M:%S", t, tz);
  int offset = tz.At(t).offset;
  if (offset == 0) return s + "Z";
  return s + absl::FormatTime("%Ez", t, tz);
}

nlohmann::json ImageRow(const v1::ImageSummary& image, const ImageRowOptions& o,
                        const std::string& repo, const std::string& tag, const std::string& digest,
                        absl::Time now) {
  const absl::Time created = TimeFromProto(image.created());
  nlohmann::json j;
  j["ID"] = o.no_trunc ? image.id() : TruncateId(image.id());
  j["Repository"] = repo;
  j["Tag"] = tag;
  j["Digest"] = digest;
  j["CreatedSince"] = HumanDuration(now - created) + " ago";
  j["CreatedAt"] = GoTimeString(created);
  j["Size"] = HumanSize3(image.size());
  j["Containers"] = image.containers() > 0 ? std::to_string(image.containers()) : "N/A";
  j["SharedSize"] = "N/A";
  j["UniqueSize"] = "N/A";
  j["VirtualSize"] = HumanSize3(image.size());
  return j;
}

}  // namespace

std::string GoJsonTime(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "0001-01-01T00:00:00Z";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*S", TimeFromProto(ts), absl::UTCTimeZone()) + "Z";
}

std::string FamiliarReference(absl::string_view ref) {
  std::string s(ref);
  if (absl::StartsWith(s, "docker.io/library/")) {
    s = s.substr(strlen("docker.io/library/"));
    // "library/x" would be the canonical name of a multi-component path.
    if (s.find('/') != std::string::npos) s = "library/" + s;
  } else if (absl::StartsWith(s, "docker.io/")) {
    s = s.substr(strlen("docker.io/"));
  }
  return s;
}

std::pair<std::string, std::string> SplitDigest(absl::string_view ref) {
  size_t at = ref.find('@');
  if (at == absl::string_view::npos) return {std::string(ref), ""};
  return {std::string(ref.substr(0, at)), std::string(ref.substr(at + 1))};
}

std::pair<std::string, std::string> SplitTag(absl::string_view ref) {
  ref = ref.substr(0, ref.find('@'));
  size_t colon = ref.rfind(':');
  size_t slash = ref.rfind('/');
  if (colon == absl::string_view::npos || (slash != absl::string_view::npos && colon < slash)) {
    return {std::string(ref), ""};
  }
  return {std::string(ref.substr(0, colon)), std::string(ref.substr(colon + 1))};
}

std::string TruncateId(absl::string_view id) {
  size_t colon = id.find(':');
  if (colon != absl::string_view::npos) id = id.substr(colon + 1);
  return std::string(id.substr(0, 12));
}

std::string HumanSize3(int64_t bytes) {
  return HumanSizeWithPrecision(static_cast<double>(bytes), 3);
}

std::string Ellipsis(absl::string_view s, size_t max_chars) {
  // Count UTF-8 characters (continuation bytes are 10xxxxxx).
  std::vector<size_t> starts;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  if (max_chars == 0) return "";
  if (starts.size() <= max_chars) return std::string(s);
  return absl::StrCat(s.substr(0, starts[max_chars - 1]), "…");
}

nlohmann::ordered_json ImageInspectJson(const v1::ImageInfo& image) {
  ojson j = ojson::object();
  j["Id"] = image.id();
  ojson tags = ojson::array();
  for (const std::string& t : image.repo_tags()) tags.push_back(FamiliarReference(t));
  j["RepoTags"] = tags;
  ojson digests = ojson::array();
  for (const std::string& d : image.repo_digests()) digests.push_back(FamiliarReference(d));
  j["RepoDigests"] = digests;
  j["Parent"] = image.parent_id();
  j["Comment"] = image.comment();
  j["Created"] = GoJsonTime(image.created());
  j["Author"] = image.author();
  j["Config"] = ConfigJson(image.config());
  j["Architecture"] = image.platform().architecture();
  if (!image.platform().variant().empty()) j["Variant"] = image.platform().variant();
  j["Os"] = image.platform().os();
  j["Size"] = image.size();
  ojson layers = ojson::array();
  for (const std::string& l : image.layers()) layers.push_back(l);
  j["RootFS"] = ojson{{"Type", "layers"}, {"Layers", layers}};
  j["Metadata"] = ojson{{"LastTagTime", GoJsonTime(image.last_tag_time())}};
  return j;
}

std::vector<nlohmann::json> ImageRows(
    const google::protobuf::RepeatedPtrField<v1::ImageSummary>& images, const ImageRowOptions& o,
    absl::Time now) {
  std::vector<nlohmann::json> rows;
  for (const v1::ImageSummary& image : images) {
    if (image.repo_tags().empty() && image.repo_digests().empty()) {
      rows.push_back(ImageRow(image, o, kNone, kNone, kNone, now));
      continue;
    }
    // Ordered maps where docker iterates Go maps: stable output.
    std::map<std::string, std::vector<std::string>> tags, digests;
    for (const std::string& ref : image.repo_tags()) {
      auto [repo, tag] = SplitTag(FamiliarReference(ref));
      tags[repo].push_back(tag.empty() ? kNone : tag);
    }
    for (const std::string& ref : image.repo_digests()) {
      auto [repo, digest] = SplitDigest(FamiliarReference(ref));
      digests[repo].push_back(digest);
    }
    for (const auto& [repo, repo_tags] : tags) {
      std::vector<std::string> ds;
      if (auto it = digests.find(repo); it != digests.end()) {
        if (o.digests) ds = it->second;
        digests.erase(it);
      }
      for (const std::string& tag : repo_tags) {
        if (ds.empty()) {
          rows.push_back(ImageRow(image, o, repo, tag, kNone, now));
        } else {
          for (const std::string& d : ds) rows.push_back(ImageRow(image, o, repo, tag, d, now));
        }
      }
    }
    // Names known only by digest.
    for (const auto& [repo, ds] : digests) {
      if (o.digests) {
        for (const std::string& d : ds) rows.push_back(ImageRow(image, o, repo, kNone, d, now));
      } else {
        rows.push_back(ImageRow(image, o, repo, kNone, "", now));
      }
    }
  }
  return rows;
}

nlohmann::json HistoryRow(const v1::ImageHistoryEntry& e, const HistoryRowOptions& o,
                          absl::Time now) {
  const absl::Time created = TimeFromProto(e.created());
  nlohmann::json j;
  j["ID"] = o.no_trunc || e.id() == "<missing>" ? e.id() : TruncateId(e.id());
  j["CreatedAt"] = Rfc3339Local(created);
  j["CreatedSince"] = o.human ? HumanDuration(now - created) + " ago" : Rfc3339Local(created);
  std::string created_by = absl::StrReplaceAll(e.created_by(), {{"\t", " "}});
  j["CreatedBy"] = o.no_trunc ? created_by : Ellipsis(created_by, 45);
  j["Size"] = o.human ? HumanSize3(e.size()) : std::to_string(e.size());
  j["Comment"] = e.comment();
  return j;
}

}  // namespace skiff::cli
