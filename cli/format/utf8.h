#pragma once
// The few UTF-8 operations the formatters need, with Go's rules for
// invalid input. Internal to //cli/format.

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace skiff::cli::utf8 {

// Decodes the rune at s[i]; invalid UTF-8 yields U+FFFD with size 1, as Go's
// utf8.DecodeRuneInString does.
inline char32_t DecodeRune(absl::string_view s, size_t i, size_t* size) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  *size = 1;
  if (c < 0x80) return c;
  int n = 0;
  char32_t r = 0;
  char32_t min = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 1, r = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 2, r = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 3, r = c & 0x07, min = 0x10000;
  } else {
    return 0xFFFD;
  }
  if (i + n >= s.size()) return 0xFFFD;
  for (int k = 1; k <= n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0xFFFD;
    r = (r << 6) | (b(i + k) & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return 0xFFFD;
  *size = n + 1;
  return r;
}

// Appends r as UTF-8; surrogates and values past U+10FFFF become U+FFFD.
inline void AppendRune(std::string& out, char32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = 0xFFFD;
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

// Characters for column widths: bytes that do not continue a sequence.
inline size_t RuneCount(absl::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace skiff::cli::utf8
