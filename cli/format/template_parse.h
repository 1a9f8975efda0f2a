#pragma once
// The parse tree of a Go text/template (text/template/parse), built from the
// lexer's tokens. Internal to //cli/format.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace skiff::cli::tmpl {

struct Pipeline;

struct Node {
  enum Kind {
    // Statements.
    kText,      // text
    kAction,    // pipe
    kIf,        // pipe, list, else_list
    kRange,     // pipe, list, else_list
    kWith,      // pipe, list, else_list
    kBreak,
    kContinue,
    // Operands.
    kField,       // idents: .A.B
    kVariable,    // text: "$x"; idents: $x.A.B
    kDot,         // .
    kNil,         // nil
    kBool,        // boolean
    kNumber,      // is_int ? int_value : float_value; text is the source
    kString,      // text: the unquoted value
    kIdentifier,  // text: the function name
    kPipe,        // pipe: a parenthesized pipeline
    kChain,       // base, idents: (pipe).A.B
  };

  Kind kind;
  size_t pos = 0;
  std::string text;
  std::vector<std::string> idents;
  bool boolean = false;
  bool is_int = false;
  int64_t int_value = 0;
  double float_value = 0;
  std::unique_ptr<Pipeline> pipe;
  std::vector<std::unique_ptr<Node>> list, else_list;
  std::unique_ptr<Node> base;

  // The source-like form used in errors: ".A.B", "$x", "index", "(.X)".
  std::string String() const;
};

struct Command {
  size_t pos = 0;
  std::vector<std::unique_ptr<Node>> args;

  std::string String() const;  // `index .X 1`
};

struct Pipeline {
  size_t pos = 0;
  bool is_assign = false;          // `=` rather than `:=`
  std::vector<std::string> decl;   // declared or assigned variables
  std::vector<Command> cmds;

  std::string String() const;  // `$x := .A | upper`
};

// Parses `src`. Errors are InvalidArgument "template: :<line>: <what>".
absl::StatusOr<std::vector<std::unique_ptr<Node>>> Parse(absl::string_view src);

}  // namespace skiff::cli::tmpl
