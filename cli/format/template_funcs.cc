#include "cli/format/template_funcs.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/format/go_fmt.h"

namespace skiff::cli::tmpl {
namespace {

using nlohmann::json;
using Args = std::vector<json>;
using Result = absl::StatusOr<json>;

absl::Status Fail(absl::string_view msg) { return absl::InvalidArgumentError(msg); }

absl::Status WrongType(absl::string_view want, const json& got) {
  return Fail(absl::StrCat("wrong type for value; expected ", want, "; got ", gofmt::TypeName(got)));
}

absl::StatusOr<std::string> Str(const json& v) {
  if (!v.is_string()) return WrongType("string", v);
  return v.get<std::string>();
}

// An int argument; integral floats count, since JSON does not keep Go's
// distinction.
absl::StatusOr<int64_t> Int(const json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return WrongType("int", v);
    return static_cast<int64_t>(u);
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9e18) return static_cast<int64_t>(d);
  }
  return WrongType("int", v);
}

bool IsInt(const json& v) { return v.is_number_integer() || v.is_number_unsigned(); }

// Indexes of index/slice: integers only (Go's indexArg).
absl::StatusOr<int64_t> IndexArg(const json& v, size_t cap) {
  if (v.is_null()) return Fail("cannot index slice/array with nil");
  if (!IsInt(v)) return Fail(absl::StrCat("cannot index slice/array with type ", gofmt::TypeName(v)));
  if (v.is_number_unsigned() && v.get<uint64_t>() > cap) {
    return Fail(absl::StrCat("index out of range: ", v.get<uint64_t>()));
  }
  int64_t x = v.get<int64_t>();
  if (x < 0 || static_cast<uint64_t>(x) > cap) return Fail(absl::StrCat("index out of range: ", x));
  return x;
}

Result Index(const Args& a) {
  json item = a[0];
  for (size_t i = 1; i < a.size(); ++i) {
    const json& idx = a[i];
    if (item.is_null()) return Fail("index of untyped nil");
    if (item.is_array() || item.is_string()) {
      size_t len = item.is_array() ? item.size() : item.get_ref<const std::string&>().size();
      auto x = IndexArg(idx, len);
      if (!x.ok()) return x.status();
      if (static_cast<size_t>(*x) == len) return Fail(absl::StrCat("index out of range: ", *x));
      if (item.is_array()) {
        json next = item[*x];
        item = std::move(next);
      } else {
        item = static_cast<unsigned char>(item.get_ref<const std::string&>()[*x]);
      }
    } else if (item.is_object()) {
      if (!idx.is_string()) {
        return Fail(absl::StrCat("value has type ", gofmt::TypeName(idx), "; should be string"));
      }
      auto it = item.find(idx.get<std::string>());
      if (it == item.end()) {
        item = nullptr;
      } else {
        json next = *it;
        item = std::move(next);
      }
    } else {
      return Fail(absl::StrCat("can't index item of type ", gofmt::TypeName(item)));
    }
  }
  return item;
}

Result Slice(const Args& a) {
  const json& item = a[0];
  if (item.is_null()) return Fail("slice of untyped nil");
  if (a.size() > 4) return Fail(absl::StrCat("too many slice indexes: ", a.size() - 1));
  size_t cap;
  if (item.is_string()) {
    if (a.size() == 4) return Fail("cannot 3-index slice a string");
    cap = item.get_ref<const std::string&>().size();
  } else if (item.is_array()) {
    cap = item.size();
  } else {
    return Fail(absl::StrCat("can't slice item of type ", gofmt::TypeName(item)));
  }
  int64_t idx[3] = {0, static_cast<int64_t>(cap), static_cast<int64_t>(cap)};
  for (size_t i = 1; i < a.size(); ++i) {
    auto x = IndexArg(a[i], cap);
    if (!x.ok()) return x.status();
    idx[i - 1] = *x;
  }
  if (idx[0] > idx[1]) return Fail(absl::StrCat("invalid slice index: ", idx[0], " > ", idx[1]));
  if (a.size() == 4 && idx[1] > idx[2]) {
    return Fail(absl::StrCat("invalid slice index: ", idx[1], " > ", idx[2]));
  }
  if (item.is_string()) return item.get_ref<const std::string&>().substr(idx[0], idx[1] - idx[0]);
  json out = json::array();
  for (int64_t i = idx[0]; i < idx[1]; ++i) out.push_back(item[i]);
  return out;
}

Result Len(const Args& a) {
  const json& v = a[0];
  if (v.is_string()) return v.get_ref<const std::string&>().size();
  if (v.is_array() || v.is_object()) return v.size();
  // A null stands for a nil map or slice, whose length Go reports as 0.
  if (v.is_null()) return 0;
  return Fail(absl::StrCat("len of type ", gofmt::TypeName(v)));
}

Result Not(const Args& a) { return !Truth(a[0]); }

enum class Kind { kBool, kNumber, kString, kNil, kOther };
Kind KindOf(const json& v) {
  if (v.is_boolean()) return Kind::kBool;
  if (v.is_number()) return Kind::kNumber;
  if (v.is_string()) return Kind::kString;
  if (v.is_null()) return Kind::kNil;
  return Kind::kOther;
}

bool NumberLess(const json& a, const json& b) {
  if (IsInt(a) && IsInt(b)) {
    bool an = a.is_number_integer() && a.get<int64_t>() < 0;
    bool bn = b.is_number_integer() && b.get<int64_t>() < 0;
    if (an != bn) return an;
    if (an) return a.get<int64_t>() < b.get<int64_t>();
    return a.get<uint64_t>() < b.get<uint64_t>();
  }
  return a.get<double>() < b.get<double>();
}

bool NumberEqual(const json& a, const json& b) { return !NumberLess(a, b) && !NumberLess(b, a); }

absl::StatusOr<bool> Equal(const json& a, const json& b) {
  Kind ka = KindOf(a), kb = KindOf(b);
  if (ka == Kind::kOther || kb == Kind::kOther) {
    const json& bad = ka == Kind::kOther ? a : b;
    return Fail(absl::StrCat("non-comparable type ", gofmt::Sprint(bad), ": ", gofmt::TypeName(bad)));
  }
  if (ka == Kind::kNil || kb == Kind::kNil) return ka == kb;
  if (ka != kb) return Fail("incompatible types for comparison");
  if (ka == Kind::kNumber) return NumberEqual(a, b);
  return a == b;
}

Result Eq(const Args& a) {
  if (a.size() < 2) return Fail("missing argument for comparison");
  for (size_t i = 1; i < a.size(); ++i) {
    auto eq = Equal(a[0], a[i]);
    if (!eq.ok()) return eq.status();
    if (*eq) return true;
  }
  return false;
}

Result Ne(const Args& a) {
  auto eq = Equal(a[0], a[1]);
  if (!eq.ok()) return eq.status();
  return !*eq;
}

absl::StatusOr<bool> Less(const json& a, const json& b) {
  Kind ka = KindOf(a), kb = KindOf(b);
  if (ka != Kind::kNumber && ka != Kind::kString) return Fail("invalid type for comparison");
  if (kb != Kind::kNumber && kb != Kind::kString) return Fail("invalid type for comparison");
  if (ka != kb) return Fail("incompatible types for comparison");
  if (ka == Kind::kNumber) return NumberLess(a, b);
  return a.get_ref<const std::string&>() < b.get_ref<const std::string&>();
}

Result Lt(const Args& a) { return Less(a[0], a[1]); }
Result Le(const Args& a) {
  auto lt = Less(a[0], a[1]);
  if (!lt.ok() || *lt) return lt;
  return Equal(a[0], a[1]);
}
Result Gt(const Args& a) {
  auto le = Le(a);
  if (!le.ok()) return le.status();
  return !le->get<bool>();
}
Result Ge(const Args& a) {
  auto lt = Less(a[0], a[1]);
  if (!lt.ok()) return lt.status();
  return !*lt;
}

Result Print(const Args& a) { return gofmt::SprintArgs(a); }
Result Println(const Args& a) { return gofmt::Sprintln(a); }
Result Printf(const Args& a) {
  auto format = Str(a[0]);
  if (!format.ok()) return format.status();
  return gofmt::Sprintf(*format, Args(a.begin() + 1, a.end()));
}

Result Json(const Args& a) { return gofmt::Json(a[0]); }

Result Split(const Args& a) {
  auto s = Str(a[0]);
  if (!s.ok()) return s.status();
  auto sep = Str(a[1]);
  if (!sep.ok()) return sep.status();
  json out = json::array();
  if (sep->empty()) {
    // strings.Split with "" splits into UTF-8 sequences.
    for (size_t i = 0; i < s->size();) {
      size_t n = 1;
      unsigned char c = (*s)[i];
      if (c >= 0xF0) n = 4;
      else if (c >= 0xE0) n = 3;
      else if (c >= 0xC0) n = 2;
      n = std::min(n, s->size() - i);
      out.push_back(s->substr(i, n));
      i += n;
    }
    return out;
  }
  size_t start = 0;
  while (true) {
    size_t at = s->find(*sep, start);
    if (at == std::string::npos) break;
    out.push_back(s->substr(start, at - start));
    start = at + sep->size();
  }
  out.push_back(s->substr(start));
  return out;
}

Result Join(const Args& a) {
  if (a[0].is_null()) return std::string();
  if (!a[0].is_array()) return WrongType("[]string", a[0]);
  auto sep = Str(a[1]);
  if (!sep.ok()) return sep.status();
  std::string out;
  bool first = true;
  for (const json& e : a[0]) {
    if (!first) out += *sep;
    first = false;
    out += e.is_string() ? e.get<std::string>() : gofmt::Sprint(e);
  }
  return out;
}

Result Upper(const Args& a) {
  auto s = Str(a[0]);
  if (!s.ok()) return s.status();
  return absl::AsciiStrToUpper(*s);
}

Result Lower(const Args& a) {
  auto s = Str(a[0]);
  if (!s.ok()) return s.status();
  return absl::AsciiStrToLower(*s);
}

// strings.Title: upper-cases the first letter of each word; letters,
// digits, '_' and non-ASCII bytes continue a word.
Result Title(const Args& a) {
  auto s = Str(a[0]);
  if (!s.ok()) return s.status();
  std::string out = *s;
  bool prev_sep = true;
  for (char& c : out) {
    unsigned char u = c;
    bool word = absl::ascii_isalnum(u) || c == '_' || u >= 0x80;
    if (prev_sep && absl::ascii_islower(u)) c = absl::ascii_toupper(u);
    prev_sep = !word;
  }
  return out;
}

Result Pad(const Args& a) {
  auto s = Str(a[0]);
  if (!s.ok()) return s.status();
  auto prefix = Int(a[1]);
  if (!prefix.ok()) return prefix.status();
  auto suffix = Int(a[2]);
  if (!suffix.ok()) return suffix.status();
  if (s->empty()) return *s;
  if (*prefix < 0 || *suffix < 0) return Fail("strings: negative Repeat count");
  if (*prefix > 4096 || *suffix > 4096) return Fail("padding larger than 4096");
  return std::string(*prefix, ' ') + *s + std::string(*suffix, ' ');
}

Result Truncate(const Args& a) {
  auto s = Str(a[0]);
  if (!s.ok()) return s.status();
  auto n = Int(a[1]);
  if (!n.ok()) return n.status();
  if (static_cast<int64_t>(s->size()) < *n) return *s;
  if (*n < 0) return Fail(absl::StrCat("runtime error: slice bounds out of range [:", *n, "]"));
  return s->substr(0, *n);
}

Result Identity(const Args& a) { return a[0]; }

const Builtin kBuiltins[] = {
    {"and", "a*", nullptr},    {"or", "a*", nullptr},      {"not", "a", Not},
    {"index", "a*", Index},    {"slice", "a*", Slice},     {"len", "a", Len},
    {"eq", "a*", Eq},          {"ne", "aa", Ne},           {"lt", "aa", Lt},
    {"le", "aa", Le},          {"gt", "aa", Gt},           {"ge", "aa", Ge},
    {"print", "*", Print},     {"printf", "s*", Printf},   {"println", "*", Println},
    {"json", "a", Json},       {"split", "ss", Split},     {"join", "ls", Join},
    {"title", "s", Title},     {"lower", "s", Lower},      {"upper", "s", Upper},
    {"pad", "sii", Pad},       {"truncate", "si", Truncate},
};

const Builtin kHeaderBuiltins[] = {
    {"json", "a", Identity},  {"split", "ss", Identity}, {"join", "ss", Identity},
    {"title", "s", Identity}, {"lower", "s", Identity},  {"upper", "s", Identity},
    {"pad", "sii", Identity}, {"truncate", "si", Identity},
};

}  // namespace

const Builtin* FindBuiltin(absl::string_view name, bool header) {
  if (header) {
    for (const Builtin& b : kHeaderBuiltins) {
      if (name == b.name) return &b;
    }
  }
  for (const Builtin& b : kBuiltins) {
    if (name == b.name) return &b;
  }
  return nullptr;
}

bool IsKnownFunction(absl::string_view name) { return FindBuiltin(name) != nullptr; }

bool Truth(const json& v) {
  switch (v.type()) {
    case json::value_t::boolean:
      return v.get<bool>();
    case json::value_t::number_integer:
      return v.get<int64_t>() != 0;
    case json::value_t::number_unsigned:
      return v.get<uint64_t>() != 0;
    case json::value_t::number_float:
      return v.get<double>() != 0;
    case json::value_t::string:
      return !v.get_ref<const std::string&>().empty();
    case json::value_t::array:
    case json::value_t::object:
      return !v.empty();
    default:
      return false;
  }
}

}  // namespace skiff::cli::tmpl
