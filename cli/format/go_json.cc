// encoding/json's output for the `json` template function (see go_fmt.h).

#include <charconv>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/format/go_fmt.h"
#include "cli/format/utf8.h"

namespace skiff::cli::gofmt {
namespace {

using nlohmann::json;

constexpr char kHexLower[] = "0123456789abcdef";

// Go's json float encoding: 'f' between 1e-6 and 1e21, else 'e' with a
// one-digit exponent allowed ("1e-7", not "1e-07").
std::string JsonFloat(double f) {
  if (!std::isfinite(f)) return "null";
  if (f == 0) return std::signbit(f) ? "-0" : "0";
  char buf[64];
  double a = std::fabs(f);
  if (a < 1e-6 || a >= 1e21) {
    auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
    std::string s(buf, r.ptr);
    size_t n = s.size();
    if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') s.erase(n - 2, 1);
    return s;
  }
  auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

void JsonString(std::string& out, absl::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20) {
            out += "\\u00";
            out += kHexLower[c >> 4];
            out += kHexLower[c & 0xF];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    size_t n;
    char32_t r = utf8::DecodeRune(s, i, &n);
    if (r == 0xFFFD && n == 1) {
      out += "\\ufffd";
    } else if (r == 0x2028 || r == 0x2029) {
      out += r == 0x2028 ? "\\u2028" : "\\u2029";
    } else {
      absl::StrAppend(&out, s.substr(i, n));
    }
    i += n;
  }
  out += '"';
}

void JsonValue(std::string& out, const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      out += "null";
      return;
    case json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    case json::value_t::number_integer:
      out += std::to_string(v.get<int64_t>());
      return;
    case json::value_t::number_unsigned:
      out += std::to_string(v.get<uint64_t>());
      return;
    case json::value_t::number_float:
      out += JsonFloat(v.get<double>());
      return;
    case json::value_t::string:
      JsonString(out, v.get_ref<const std::string&>());
      return;
    case json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ',';
        first = false;
        JsonValue(out, e);
      }
      out += ']';
      return;
    }
    case json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.items()) {
        if (!first) out += ',';
        first = false;
        JsonString(out, k);
        out += ':';
        JsonValue(out, e);
      }
      out += '}';
      return;
    }
    default:
      out += "null";
  }
}

}  // namespace

std::string Json(const json& v) {
  std::string out;
  JsonValue(out, v);
  return out;
}

}  // namespace skiff::cli::gofmt
