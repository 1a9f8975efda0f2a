#include "cli/format/template_lexer.h"

#include <algorithm>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/status.h"

namespace skiff::cli::tmpl {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
// Go's isAlphaNumeric; any non-ASCII byte counts as a letter.
bool IsAlnum(char c) {
  unsigned char u = c;
  return c == '_' || IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || u >= 0x80;
}

std::string RuneName(char c) {
  char buf[32];
  unsigned char u = c;
  if (u >= 0x20 && u < 0x7F) {
    std::snprintf(buf, sizeof buf, "U+%04X '%c'", u, c);
  } else {
    std::snprintf(buf, sizeof buf, "U+%04X", u);
  }
  return buf;
}

std::string TrimLeft(std::string s) {
  size_t i = 0;
  while (i < s.size() && IsSpace(s[i])) ++i;
  return s.substr(i);
}

std::string TrimRight(std::string s) {
  size_t n = s.size();
  while (n > 0 && IsSpace(s[n - 1])) --n;
  s.resize(n);
  return s;
}

class Lexer {
 public:
  explicit Lexer(absl::string_view src) : src_(src) {
    for (size_t i = 0; i < src_.size(); ++i) {
      if (src_[i] == '\n') newlines_.push_back(i);
    }
  }

  absl::StatusOr<std::vector<Token>> Run() {
    bool trim_next_text = false;
    while (true) {
      size_t open = src_.find("{{", pos_);
      size_t text_end = open == absl::string_view::npos ? src_.size() : open;
      bool left_trim = open != absl::string_view::npos && open + 3 < src_.size() &&
                       src_[open + 2] == '-' && IsSpace(src_[open + 3]);
      std::string text = absl::StrReplaceAll(src_.substr(pos_, text_end - pos_),
                                             {{"\\t", "\t"}, {"\\n", "\n"}});
      if (trim_next_text) text = TrimLeft(text);
      if (left_trim) text = TrimRight(text);
      if (!text.empty()) Emit(Tok::kText, text, pos_);
      if (open == absl::string_view::npos) break;
      pos_ = open;
      absl::StatusOr<bool> trim = LexAction(left_trim);
      if (!trim.ok()) return trim.status();
      trim_next_text = *trim;
    }
    Emit(Tok::kEOF, "", src_.size());
    return std::move(tokens_);
  }

 private:
  int LineAt(size_t pos) const {
    return 1 + static_cast<int>(std::lower_bound(newlines_.begin(), newlines_.end(), pos) - newlines_.begin());
  }

  void Emit(Tok t, std::string text, size_t pos) {
    tokens_.push_back(Token{t, std::move(text), pos, LineAt(pos)});
  }

  absl::Status Error(size_t pos, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("template: :", LineAt(pos), ": ", what));
  }

  bool At(size_t i, absl::string_view s) const { return src_.substr(std::min(i, src_.size())).substr(0, s.size()) == s; }

  // At a right delimiter: returns its length including a " -" trim marker
  // (0 if none) and whether it trims.
  size_t RightDelim(size_t i, bool* trim) const {
    if (At(i, "}}")) {
      *trim = false;
      return 2;
    }
    if (i < src_.size() && IsSpace(src_[i]) && At(i + 1, "-}}")) {
      *trim = true;
      return 4;
    }
    return 0;
  }

  bool AtTerminator(size_t i) const {
    if (i >= src_.size()) return true;
    char c = src_[i];
    if (IsSpace(c) || c == '.' || c == ',' || c == '|' || c == ':' || c == ')' || c == '(') return true;
    return At(i, "}}");
  }

  // Lexes from "{{" through "}}"; returns whether the text after it is
  // trimmed.
  absl::StatusOr<bool> LexAction(bool left_trim) {
    size_t start = pos_;
    pos_ += 2;
    if (left_trim) pos_ += 2;
    if (At(pos_, "/*")) {
      size_t close = src_.find("*/", pos_ + 2);
      if (close == absl::string_view::npos) return Error(start, "unclosed comment");
      pos_ = close + 2;
      bool trim = false;
      size_t n = RightDelim(pos_, &trim);
      if (n == 0) return Error(start, "comment ends before closing delimiter");
      pos_ += n;
      return trim;
    }
    Emit(Tok::kLeftDelim, "{{", start);
    int parens = 0;
    while (true) {
      bool trim = false;
      if (size_t n = RightDelim(pos_, &trim); n > 0) {
        if (parens > 0) return Error(pos_, "unclosed left paren");
        Emit(Tok::kRightDelim, "}}", pos_ + n - 2);
        pos_ += n;
        return trim;
      }
      if (pos_ >= src_.size()) return Error(pos_, "unclosed action");
      size_t at = pos_;
      char c = src_[pos_];
      if (IsSpace(c)) {
        // A space right before "-}}" belongs to the trim marker.
        while (pos_ < src_.size() && IsSpace(src_[pos_]) && !At(pos_ + 1, "-}}")) ++pos_;
        if (pos_ > at) Emit(Tok::kSpace, std::string(src_.substr(at, pos_ - at)), at);
        continue;
      }
      if (c == '=') {
        ++pos_;
        Emit(Tok::kAssign, "=", at);
      } else if (c == ':') {
        if (!At(pos_ + 1, "=")) return Error(at, "expected :=");
        pos_ += 2;
        Emit(Tok::kDeclare, ":=", at);
      } else if (c == '|') {
        ++pos_;
        Emit(Tok::kPipe, "|", at);
      } else if (c == '"' || c == '\'') {
        RETURN_IF_ERROR(LexQuote(c));
      } else if (c == '`') {
        size_t close = src_.find('`', pos_ + 1);
        if (close == absl::string_view::npos) return Error(at, "unterminated raw quoted string");
        pos_ = close + 1;
        Emit(Tok::kRawString, std::string(src_.substr(at, pos_ - at)), at);
      } else if (c == '$' || (c == '.' && !(pos_ + 1 < src_.size() && IsDigit(src_[pos_ + 1])))) {
        ++pos_;
        while (pos_ < src_.size() && IsAlnum(src_[pos_])) ++pos_;
        if (!AtTerminator(pos_)) return Error(pos_, absl::StrCat("bad character ", RuneName(src_[pos_])));
        Tok t = c == '$' ? Tok::kVariable : pos_ == at + 1 ? Tok::kDot : Tok::kField;
        Emit(t, std::string(src_.substr(at, pos_ - at)), at);
      } else if (c == '.' || c == '+' || c == '-' || IsDigit(c)) {
        RETURN_IF_ERROR(LexNumber());
      } else if (IsAlnum(c)) {
        while (pos_ < src_.size() && IsAlnum(src_[pos_])) ++pos_;
        if (!AtTerminator(pos_)) return Error(pos_, absl::StrCat("bad character ", RuneName(src_[pos_])));
        std::string word(src_.substr(at, pos_ - at));
        Emit(KeywordOr(word), word, at);
      } else if (c == '(') {
        ++parens;
        ++pos_;
        Emit(Tok::kLeftParen, "(", at);
      } else if (c == ')') {
        if (--parens < 0) return Error(at, "unexpected right paren");
        ++pos_;
        Emit(Tok::kRightParen, ")", at);
      } else if (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7F) {
        ++pos_;
        Emit(Tok::kChar, std::string(1, c), at);
      } else {
        return Error(at, absl::StrCat("unrecognized character in action: ", RuneName(c)));
      }
    }
  }

  static Tok KeywordOr(const std::string& w) {
    if (w == "if") return Tok::kIf;
    if (w == "else") return Tok::kElse;
    if (w == "end") return Tok::kEnd;
    if (w == "range") return Tok::kRange;
    if (w == "with") return Tok::kWith;
    if (w == "break") return Tok::kBreak;
    if (w == "continue") return Tok::kContinue;
    if (w == "define") return Tok::kDefine;
    if (w == "template") return Tok::kTemplate;
    if (w == "block") return Tok::kBlock;
    if (w == "true" || w == "false") return Tok::kBool;
    if (w == "nil") return Tok::kNil;
    return Tok::kIdentifier;
  }

  absl::Status LexQuote(char quote) {
    size_t at = pos_;
    ++pos_;
    const char* what = quote == '"' ? "unterminated quoted string" : "unterminated character constant";
    while (true) {
      if (pos_ >= src_.size() || src_[pos_] == '\n') return Error(at, what);
      char c = src_[pos_++];
      if (c == '\\') {
        if (pos_ >= src_.size() || src_[pos_] == '\n') return Error(at, what);
        ++pos_;
      } else if (c == quote) {
        break;
      }
    }
    Emit(quote == '"' ? Tok::kString : Tok::kCharConst, std::string(src_.substr(at, pos_ - at)), at);
    return absl::OkStatus();
  }

  // Go's scanNumber: sign, base prefix, digits, fraction, exponent; a
  // letter or digit right after it is an error. The parser converts it.
  absl::Status LexNumber() {
    size_t at = pos_;
    auto accept = [&](absl::string_view valid) {
      if (pos_ < src_.size() && valid.find(src_[pos_]) != absl::string_view::npos) {
        ++pos_;
        return true;
      }
      return false;
    };
    auto accept_run = [&](absl::string_view valid) {
      while (accept(valid)) {
      }
    };
    accept("+-");
    absl::string_view digits = "0123456789_";
    if (accept("0")) {
      if (accept("xX")) {
        digits = "0123456789abcdefABCDEF_";
      } else if (accept("oO")) {
        digits = "01234567_";
      } else if (accept("bB")) {
        digits = "01_";
      }
    }
    accept_run(digits);
    if (accept(".")) accept_run(digits);
    if (digits.size() == 11 && accept("eE")) {
      accept("+-");
      accept_run("0123456789_");
    }
    if (digits.size() == 23 && accept("pP")) {
      accept("+-");
      accept_run("0123456789_");
    }
    if (pos_ < src_.size() && IsAlnum(src_[pos_])) {
      ++pos_;
      return Error(at, absl::StrCat("bad number syntax: \"", src_.substr(at, pos_ - at), "\""));
    }
    Emit(Tok::kNumber, std::string(src_.substr(at, pos_ - at)), at);
    return absl::OkStatus();
  }

  absl::string_view src_;
  std::vector<size_t> newlines_;
  size_t pos_ = 0;
  std::vector<Token> tokens_;
};

}  // namespace

absl::StatusOr<std::vector<Token>> Lex(absl::string_view src) { return Lexer(src).Run(); }

std::string Describe(const Token& t) {
  switch (t.type) {
    case Tok::kEOF:
      return "EOF";
    case Tok::kIf:
    case Tok::kElse:
    case Tok::kEnd:
    case Tok::kRange:
    case Tok::kWith:
    case Tok::kBreak:
    case Tok::kContinue:
    case Tok::kDefine:
    case Tok::kTemplate:
    case Tok::kBlock:
    case Tok::kNil:
    case Tok::kDot:
      return absl::StrCat("<", t.text, ">");
    default:
      break;
  }
  if (t.text.size() > 10) return absl::StrCat("\"", t.text.substr(0, 10), "\"...");
  return absl::StrCat("\"", t.text, "\"");
}

}  // namespace skiff::cli::tmpl
