#include "cli/format/go_fmt.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "absl/strings/str_cat.h"
#include "cli/format/utf8.h"

namespace skiff::cli::gofmt {
namespace {

using nlohmann::json;

constexpr char kHexLower[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";

using utf8::AppendRune;
using utf8::DecodeRune;
using utf8::RuneCount;

bool IsString(const json& v) { return v.is_string(); }

struct Spec {
  bool minus = false, plus = false, sharp = false, space = false, zero = false;
  int width = -1;
  int prec = -1;
};

// Pads to the width in runes; zeros go on the left only when asked.
std::string Pad(std::string s, const Spec& spec, bool zero_ok = true) {
  if (spec.width < 0) return s;
  size_t n = RuneCount(s);
  if (n >= static_cast<size_t>(spec.width)) return s;
  size_t fill = spec.width - n;
  if (spec.minus) return s + std::string(fill, ' ');
  return std::string(fill, spec.zero && zero_ok ? '0' : ' ') + s;
}

std::optional<double> AsFloat(const json& v) {
  if (v.is_number()) return v.get<double>();
  return std::nullopt;
}

// An integer as sign and magnitude.
bool AsInteger(const json& v, bool* neg, uint64_t* mag) {
  if (v.is_number_unsigned()) {
    *neg = false;
    *mag = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer()) {
    int64_t i = v.get<int64_t>();
    *neg = i < 0;
    *mag = i < 0 ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
    return true;
  }
  return false;
}

std::string FmtInteger(bool neg, uint64_t mag, int base, char verb, const Spec& spec) {
  const char* digits_set = verb == 'X' ? kHexUpper : kHexLower;
  std::string digits;
  if (mag == 0) digits = "0";
  while (mag > 0) {
    digits.insert(digits.begin(), digits_set[mag % base]);
    mag /= base;
  }
  int prec = spec.prec;
  if (prec < 0 && spec.zero && spec.width >= 0 && !spec.minus) {
    prec = spec.width;
    if (neg || spec.plus || spec.space) --prec;
  }
  if (prec == 0 && digits == "0") digits.clear();
  while (static_cast<int>(digits.size()) < prec) digits.insert(digits.begin(), '0');
  std::string prefix;
  if (spec.sharp) {
    if (base == 16) prefix = verb == 'X' ? "0X" : "0x";
    if (base == 8 && (digits.empty() || digits[0] != '0')) prefix = "0";
    if (base == 2) prefix = "0b";
  }
  std::string sign = neg ? "-" : spec.plus ? "+" : spec.space ? " " : "";
  return Pad(sign + prefix + digits, spec, /*zero_ok=*/false);
}

std::string FmtFloat(double f, char verb, const Spec& spec) {
  std::string num;
  if (std::isnan(f)) {
    num = "NaN";
  } else if (std::isinf(f)) {
    num = f > 0 ? "+Inf" : "-Inf";
  } else if ((verb == 'g' || verb == 'G' || verb == 'v') && spec.prec < 0) {
    num = FormatFloatShortest(f);
    if (verb == 'G') {
      for (char& c : num) c = c == 'e' ? 'E' : c;
    }
  } else {
    char fmtc = verb == 'v' ? 'g' : verb == 'F' ? 'f' : verb;
    int prec = spec.prec < 0 ? 6 : spec.prec;
    char buf[512];
    char pattern[8] = {'%', '.', '*', fmtc, 0};
    if (std::fabs(f) > 1e300 && (fmtc == 'f')) {
      std::snprintf(buf, sizeof buf, "%.*e", prec, f);
    } else {
      std::snprintf(buf, sizeof buf, pattern, prec, f);
    }
    num = buf;
  }
  bool special = std::isnan(f) || std::isinf(f);
  std::string sign;
  if (!num.empty() && (num[0] == '-' || num[0] == '+')) {
    sign = num.substr(0, 1);
    num = num.substr(1);
  }
  if (sign == "+" && !special && !spec.plus) sign.clear();
  if (sign.empty() && spec.plus) sign = "+";
  if (sign.empty() && spec.space) sign = " ";
  if (spec.zero && !spec.minus && !special && spec.width > 0) {
    int room = spec.width - static_cast<int>(sign.size() + num.size());
    if (room > 0) num.insert(0, room, '0');
  }
  return Pad(sign + num, spec, /*zero_ok=*/false);
}

std::string HexString(absl::string_view s, char verb, const Spec& spec) {
  const char* set = verb == 'X' ? kHexUpper : kHexLower;
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (spec.space && i > 0) out += ' ';
    if (spec.sharp && (spec.space || i == 0)) out += verb == 'X' ? "0X" : "0x";
    unsigned char c = s[i];
    out += set[c >> 4];
    out += set[c & 0xF];
  }
  return out;
}

std::string QuoteRune(char32_t r) {
  if (r == '\'') return "'\\''";
  std::string body;
  AppendRune(body, r);
  std::string quoted = Quote(body);
  // Quote escapes '"' which a rune literal leaves alone.
  std::string inner = quoted.substr(1, quoted.size() - 2);
  if (inner == "\\\"") inner = "\"";
  return "'" + inner + "'";
}

void Format(std::string& out, const json& v, char verb, const Spec& spec, int depth);

void BadVerb(std::string& out, const json& v, char verb) {
  out += "%!";
  out += verb;
  out += '(';
  if (v.is_null()) {
    out += "<nil>";
  } else {
    out += TypeName(v);
    out += '=';
    Format(out, v, 'v', Spec{}, 0);
  }
  out += ')';
}

void Format(std::string& out, const json& v, char verb, const Spec& spec, int depth) {
  if (verb == 'T') {
    out += Pad(TypeName(v), spec);
    return;
  }
  switch (v.type()) {
    case json::value_t::null:
      if (verb == 'v' || depth > 0) {
        out += Pad("<nil>", spec);
      } else {
        BadVerb(out, v, verb);
      }
      return;
    case json::value_t::boolean:
      if (verb == 'v' || verb == 't') {
        out += Pad(v.get<bool>() ? "true" : "false", spec);
      } else {
        BadVerb(out, v, verb);
      }
      return;
    case json::value_t::string: {
      const std::string& s = v.get_ref<const std::string&>();
      if (verb == 'v' || verb == 's') {
        std::string t = s;
        if (spec.prec >= 0) {
          size_t i = 0, runes = 0;
          while (i < t.size() && runes < static_cast<size_t>(spec.prec)) {
            size_t n;
            DecodeRune(t, i, &n);
            i += n;
            ++runes;
          }
          t.resize(i);
        }
        out += Pad(t, spec);
      } else if (verb == 'q') {
        out += Pad(Quote(s), spec);
      } else if (verb == 'x' || verb == 'X') {
        out += Pad(HexString(s, verb, spec), spec);
      } else {
        BadVerb(out, v, verb);
      }
      return;
    }
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: {
      bool neg = false;
      uint64_t mag = 0;
      bool integral = !v.is_number_float();
      bool as_int = AsInteger(v, &neg, &mag);
      switch (verb) {
        case 'v':
          if (integral) {
            out += FmtInteger(neg, mag, 10, 'd', spec);
          } else {
            out += FmtFloat(*AsFloat(v), 'g', spec);
          }
          return;
        case 'd':
        case 'x':
        case 'X':
        case 'o':
        case 'b':
          if (!as_int) break;
          out += FmtInteger(neg, mag, verb == 'd' ? 10 : verb == 'o' ? 8 : verb == 'b' ? 2 : 16, verb,
                            spec);
          return;
        case 'c':
        case 'q':
        case 'U': {
          if (!as_int || neg) break;
          char32_t r = mag > 0x10FFFF ? 0xFFFD : static_cast<char32_t>(mag);
          if (verb == 'c') {
            std::string s;
            AppendRune(s, r);
            out += Pad(s, spec);
          } else if (verb == 'q') {
            out += Pad(QuoteRune(r), spec);
          } else {
            char buf[16];
            std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(r));
            out += Pad(buf, spec);
          }
          return;
        }
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G':
          out += FmtFloat(*AsFloat(v), verb, spec);
          return;
        default:
          break;
      }
      BadVerb(out, v, verb);
      return;
    }
    case json::value_t::object: {
      out += "map[";
      bool first = true;
      for (const auto& [k, e] : v.items()) {
        if (!first) out += ' ';
        first = false;
        Format(out, json(k), verb, spec, depth + 1);
        out += ':';
        Format(out, e, verb, spec, depth + 1);
      }
      out += ']';
      return;
    }
    case json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ' ';
        first = false;
        Format(out, e, verb, spec, depth + 1);
      }
      out += ']';
      return;
    }
    default:
      out += "%!";
      out += verb;
      out += "(binary)";
      return;
  }
}

}  // namespace

std::string FormatFloatShortest(double f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "+Inf" : "-Inf";
  if (f == 0) return std::signbit(f) ? "-0" : "0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  int exp = std::atoi(sci.c_str() + sci.find('e') + 1);
  // %v uses %e when the exponent is < -4 or >= 6 (Go's shortest 'g').
  if (exp < -4 || exp >= 6) return sci;
  r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

std::string TypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "<nil>";
    case json::value_t::boolean:
      return "bool";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "int";
    case json::value_t::number_float:
      return "float64";
    case json::value_t::string:
      return "string";
    case json::value_t::object:
      return "map[string]interface {}";
    case json::value_t::array:
      return "[]interface {}";
    default:
      return "[]uint8";
  }
}

std::string Quote(absl::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    size_t n;
    char32_t r = DecodeRune(s, i, &n);
    if (r == 0xFFFD && n == 1) {
      unsigned char c = s[i];
      out += "\\x";
      out += kHexLower[c >> 4];
      out += kHexLower[c & 0xF];
      i += 1;
      continue;
    }
    switch (r) {
      case '\a':
        out += "\\a";
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
      case '\v':
        out += "\\v";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      default:
        if (r < 0x20 || r == 0x7F) {
          out += "\\x";
          out += kHexLower[r >> 4];
          out += kHexLower[r & 0xF];
        } else if (r >= 0x80 && r < 0xA0) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(r));
          out += buf;
        } else {
          absl::StrAppend(&out, s.substr(i, n));
        }
    }
    i += n;
  }
  out += '"';
  return out;
}

std::string Sprint(const json& v) {
  std::string out;
  Format(out, v, 'v', Spec{}, 0);
  return out;
}

std::string SprintArgs(const std::vector<json>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0 && !IsString(args[i]) && !IsString(args[i - 1])) out += ' ';
    Format(out, args[i], 'v', Spec{}, 0);
  }
  return out;
}

std::string Sprintln(const std::vector<json>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out += ' ';
    Format(out, args[i], 'v', Spec{}, 0);
  }
  out += '\n';
  return out;
}

std::string Sprintf(absl::string_view format, const std::vector<json>& args) {
  constexpr int kMaxNum = 1000000;
  std::string out;
  size_t arg = 0;
  size_t i = 0;
  const size_t end = format.size();
  // Reads a '*' width or precision from the arguments, as fmt's intFromArg.
  auto int_from_arg = [&](int* out_value) {
    if (arg >= args.size()) return false;
    bool neg = false;
    uint64_t mag = 0;
    bool ok = args[arg].is_number_integer() || args[arg].is_number_unsigned();
    ok = ok && AsInteger(args[arg], &neg, &mag) && mag <= static_cast<uint64_t>(kMaxNum);
    ++arg;
    if (!ok) return false;
    *out_value = neg ? -static_cast<int>(mag) : static_cast<int>(mag);
    return true;
  };
  while (i < end) {
    size_t pct = format.find('%', i);
    if (pct == absl::string_view::npos) {
      absl::StrAppend(&out, format.substr(i));
      break;
    }
    absl::StrAppend(&out, format.substr(i, pct - i));
    i = pct + 1;
    Spec spec;
    for (; i < end; ++i) {
      char c = format[i];
      if (c == '#') {
        spec.sharp = true;
      } else if (c == '0') {
        spec.zero = !spec.minus;
      } else if (c == '+') {
        spec.plus = true;
      } else if (c == '-') {
        spec.minus = true;
        spec.zero = false;
      } else if (c == ' ') {
        spec.space = true;
      } else {
        break;
      }
    }
    if (i < end && format[i] == '*') {
      ++i;
      if (!int_from_arg(&spec.width)) {
        out += "%!(BADWIDTH)";
        spec.width = -1;
      } else if (spec.width < 0) {
        spec.minus = true;
        spec.zero = false;
        spec.width = -spec.width;
      }
    } else {
      int w = -1;
      while (i < end && format[i] >= '0' && format[i] <= '9') {
        w = (w < 0 ? 0 : w * 10) + (format[i] - '0');
        ++i;
        // fmt's parsenum gives up on numbers above 1e6 and swallows the
        // rest of the format, which then has no verb.
        if (w > kMaxNum) i = end;
      }
      spec.width = w;
    }
    if (i < end && format[i] == '.') {
      ++i;
      if (i < end && format[i] == '*') {
        ++i;
        if (!int_from_arg(&spec.prec) || spec.prec < 0) {
          out += "%!(BADPREC)";
          spec.prec = -1;
        }
      } else {
        int p = 0;
        while (i < end && format[i] >= '0' && format[i] <= '9') {
          p = p * 10 + (format[i] - '0');
          ++i;
          if (p > kMaxNum) i = end;
        }
        spec.prec = p;
      }
    }
    if (i >= end) {
      out += "%!(NOVERB)";
      break;
    }
    size_t n;
    char32_t verb_rune = DecodeRune(format, i, &n);
    i += n;
    if (verb_rune == '%') {
      out += '%';
      continue;
    }
    if (arg >= args.size()) {
      out += "%!";
      AppendRune(out, verb_rune);
      out += "(MISSING)";
      continue;
    }
    char verb = verb_rune < 0x80 ? static_cast<char>(verb_rune) : '?';
    Format(out, args[arg++], verb, spec, 0);
  }
  if (arg < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = arg; k < args.size(); ++k) {
      if (k > arg) out += ", ";
      if (args[k].is_null()) {
        out += "<nil>";
      } else {
        out += TypeName(args[k]);
        out += '=';
        Format(out, args[k], 'v', Spec{}, 0);
      }
    }
    out += ')';
  }
  return out;
}

}  // namespace skiff::cli::gofmt
