#pragma once
// Tokens of Go's text/template syntax (text/template/parse/lex.go), with
// docker's CLI conversion of a literally typed `\t` and `\n` into tab and
// newline in the text outside actions. Internal to //cli/format.

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace skiff::cli::tmpl {

enum class Tok {
  kText,        // literal text (already trimmed by {{- / -}})
  kLeftDelim,   // {{
  kRightDelim,  // }}
  kSpace,       // run of spaces inside an action
  kField,       // .Name
  kDot,         // .
  kVariable,    // $ or $name
  kIdentifier,  // function name
  kString,      // "quoted" (text is the raw source)
  kRawString,   // `raw`
  kCharConst,   // 'c'
  kNumber,      // 12, -1.5, 0x1F, 1e3
  kBool,        // true / false
  kNil,         // nil
  kPipe,        // |
  kLeftParen,   // (
  kRightParen,  // )
  kDeclare,     // :=
  kAssign,      // =
  kChar,        // any other printable ASCII character, e.g. ','
  // Keywords.
  kIf,
  kElse,
  kEnd,
  kRange,
  kWith,
  kBreak,
  kContinue,
  kDefine,
  kTemplate,
  kBlock,
  kEOF,
};

struct Token {
  Tok type;
  std::string text;
  size_t pos = 0;  // byte offset in the source
  int line = 1;    // 1-based line of pos
};

// Splits `src` into tokens ending with kEOF. Errors are InvalidArgument
// "template: :<line>: <what>", e.g. "template: :1: unclosed action".
absl::StatusOr<std::vector<Token>> Lex(absl::string_view src);

// Human name of a token for parse errors, as Go prints them:
// `"|"`, `<.Name>`, `"end"`, `EOF`.
std::string Describe(const Token& t);

}  // namespace skiff::cli::tmpl
