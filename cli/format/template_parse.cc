#include "cli/format/template_parse.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/format/go_fmt.h"
#include "cli/format/template_funcs.h"
#include "cli/format/template_lexer.h"
#include "cli/format/utf8.h"
#include "common/status.h"

namespace skiff::cli::tmpl {
namespace {

using NodePtr = std::unique_ptr<Node>;
using List = std::vector<NodePtr>;

// Nested parentheses and control structures beyond this are refused rather
// than risking the stack.
constexpr int kMaxDepth = 200;

std::unique_ptr<Node> MakeNode(Node::Kind kind, size_t pos) {
  auto n = std::make_unique<Node>();
  n->kind = kind;
  n->pos = pos;
  return n;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// strconv.Unquote of a "..." or '...' body (without the quotes). Returns
// false on a bad escape.
bool UnquoteBody(absl::string_view in, char quote, std::string* out) {
  for (size_t i = 0; i < in.size();) {
    char c = in[i++];
    if (c != '\\') {
      if (c == quote) return false;
      *out += c;
      continue;
    }
    if (i >= in.size()) return false;
    char e = in[i++];
    switch (e) {
      case 'a':
        *out += '\a';
        break;
      case 'b':
        *out += '\b';
        break;
      case 'f':
        *out += '\f';
        break;
      case 'n':
        *out += '\n';
        break;
      case 'r':
        *out += '\r';
        break;
      case 't':
        *out += '\t';
        break;
      case 'v':
        *out += '\v';
        break;
      case '\\':
        *out += '\\';
        break;
      case '"':
      case '\'':
        if (e != quote) return false;
        *out += e;
        break;
      case 'x':
      case 'u':
      case 'U': {
        int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + n > in.size()) return false;
        uint32_t v = 0;
        for (int k = 0; k < n; ++k) {
          int h = HexValue(in[i + k]);
          if (h < 0) return false;
          v = v * 16 + h;
        }
        i += n;
        if (e == 'x') {
          *out += static_cast<char>(v);
        } else {
          if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
          utf8::AppendRune(*out, v);
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          if (i + 2 > in.size()) return false;
          uint32_t v = e - '0';
          for (int k = 0; k < 2; ++k) {
            char d = in[i + k];
            if (d < '0' || d > '7') return false;
            v = v * 8 + (d - '0');
          }
          if (v > 255) return false;
          i += 2;
          *out += static_cast<char>(v);
          break;
        }
        return false;
    }
  }
  return true;
}

// strconv.ParseInt(s, 0, 64) without the sign: 0x, 0o, 0b, leading-0 octal
// and '_' separators.
bool ParseUnsigned(absl::string_view s, uint64_t* out) {
  int base = 10;
  if (s.size() > 1 && s[0] == '0') {
    char p = s[1] | 0x20;
    if (p == 'x') {
      base = 16, s.remove_prefix(2);
    } else if (p == 'o') {
      base = 8, s.remove_prefix(2);
    } else if (p == 'b') {
      base = 2, s.remove_prefix(2);
    } else {
      base = 8, s.remove_prefix(1);
    }
  }
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c == '_') continue;
    int d = HexValue(c);
    if (d < 0 || d >= base) return false;
    if (v > (UINT64_MAX - d) / base) return false;
    v = v * base + d;
  }
  *out = v;
  return true;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : toks_(std::move(toks)) {}

  absl::StatusOr<List> ParseAll() {
    List list;
    while (Peek().type != Tok::kEOF) {
      Item item;
      RETURN_IF_ERROR(TextOrAction(&item));
      if (item.terminator != Tok::kEOF) {
        return Error(item.terminator == Tok::kEnd ? "unexpected {{end}}" : "unexpected {{else}}");
      }
      list.push_back(std::move(item.node));
    }
    return list;
  }

 private:
  // A statement, or the {{end}} / {{else}} that closes a list.
  struct Item {
    NodePtr node;
    Tok terminator = Tok::kEOF;
  };

  // Reading past the end keeps returning EOF; Backup undoes one Next.
  const Token& Next() {
    last_ = std::min(pos_, toks_.size() - 1);
    ++pos_;
    return toks_[last_];
  }
  void Backup() { --pos_; }
  const Token& Peek() const { return toks_[std::min(pos_, toks_.size() - 1)]; }
  const Token& NextNonSpace() {
    while (Peek().type == Tok::kSpace) Next();
    return Next();
  }
  const Token& PeekNonSpace() {
    while (Peek().type == Tok::kSpace) Next();
    return Peek();
  }

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("template: :", toks_[last_].line, ": ", what));
  }
  absl::Status Unexpected(const Token& t, absl::string_view context) const {
    return Error(absl::StrCat("unexpected ", Describe(t), " in ", context));
  }

  absl::Status TextOrAction(Item* item) {
    const Token& t = NextNonSpace();
    if (t.type == Tok::kText) {
      item->node = MakeNode(Node::kText, t.pos);
      item->node->text = t.text;
      return absl::OkStatus();
    }
    if (t.type == Tok::kLeftDelim) {
      if (++depth_ > kMaxDepth) return Error("max nesting depth exceeded");
      absl::Status s = Action(item);
      --depth_;
      return s;
    }
    return Unexpected(t, "input");
  }

  absl::Status ItemList(List* list, Tok* terminator) {
    while (PeekNonSpace().type != Tok::kEOF) {
      Item item;
      RETURN_IF_ERROR(TextOrAction(&item));
      if (item.terminator != Tok::kEOF) {
        *terminator = item.terminator;
        return absl::OkStatus();
      }
      list->push_back(std::move(item.node));
    }
    Next();
    return Error("unexpected EOF");
  }

  absl::Status Expect(Tok type, absl::string_view context) {
    const Token& t = NextNonSpace();
    if (t.type != type) return Unexpected(t, context);
    return absl::OkStatus();
  }

  absl::Status Action(Item* item) {
    const Token& t = NextNonSpace();
    size_t pos = t.pos;
    switch (t.type) {
      case Tok::kDefine:
      case Tok::kTemplate:
      case Tok::kBlock:
        return Error(absl::StrCat("{{", t.text, "}} is not supported"));
      case Tok::kBreak:
      case Tok::kContinue: {
        std::string word = t.text;
        if (range_depth_ == 0) return Error(absl::StrCat("{{", word, "}} outside {{range}}"));
        RETURN_IF_ERROR(Expect(Tok::kRightDelim, absl::StrCat("{{", word, "}}")));
        item->node = MakeNode(word == "break" ? Node::kBreak : Node::kContinue, pos);
        return absl::OkStatus();
      }
      case Tok::kElse: {
        Tok p = PeekNonSpace().type;
        if (p != Tok::kIf && p != Tok::kWith) RETURN_IF_ERROR(Expect(Tok::kRightDelim, "else"));
        item->terminator = Tok::kElse;
        return absl::OkStatus();
      }
      case Tok::kEnd:
        RETURN_IF_ERROR(Expect(Tok::kRightDelim, "end"));
        item->terminator = Tok::kEnd;
        return absl::OkStatus();
      case Tok::kIf:
        return Control(Node::kIf, "if", pos, item);
      case Tok::kRange:
        return Control(Node::kRange, "range", pos, item);
      case Tok::kWith:
        return Control(Node::kWith, "with", pos, item);
      default:
        break;
    }
    Backup();
    auto pipe = std::make_unique<Pipeline>();
    RETURN_IF_ERROR(ParsePipeline("command", Tok::kRightDelim, pipe.get()));
    item->node = MakeNode(Node::kAction, pos);
    item->node->pipe = std::move(pipe);
    return absl::OkStatus();
  }

  absl::Status Control(Node::Kind kind, absl::string_view context, size_t pos, Item* item) {
    size_t vars_mark = vars_.size();
    auto node = MakeNode(kind, pos);
    node->pipe = std::make_unique<Pipeline>();
    RETURN_IF_ERROR(ParsePipeline(context, Tok::kRightDelim, node->pipe.get()));
    if (kind == Node::kRange) ++range_depth_;
    Tok next = Tok::kEOF;
    absl::Status s = ItemList(&node->list, &next);
    if (kind == Node::kRange) --range_depth_;
    RETURN_IF_ERROR(s);
    if (next == Tok::kElse) {
      // {{if a}}x{{else if b}}y{{end}} is {{if a}}x{{else}}{{if b}}y{{end}}{{end}}.
      Tok p = Peek().type;
      if ((kind == Node::kIf && p == Tok::kIf) || (kind == Node::kWith && p == Tok::kWith)) {
        const Token& kw = Next();
        Item nested;
        if (++depth_ > kMaxDepth) return Error("max nesting depth exceeded");
        RETURN_IF_ERROR(Control(kind, context, kw.pos, &nested));
        --depth_;
        node->else_list.push_back(std::move(nested.node));
      } else {
        RETURN_IF_ERROR(ItemList(&node->else_list, &next));
        if (next != Tok::kEnd) return Error("expected end; found {{else}}");
      }
    }
    vars_.resize(vars_mark);
    item->node = std::move(node);
    return absl::OkStatus();
  }

  bool VarDefined(const std::string& name) const {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (*it == name) return true;
    }
    return false;
  }

  absl::Status ParsePipeline(absl::string_view context, Tok end, Pipeline* pipe) {
    pipe->pos = PeekNonSpace().pos;
    while (PeekNonSpace().type == Tok::kVariable) {
      size_t var_index = pos_;
      std::string name = Next().text;
      const Token& next = PeekNonSpace();
      if (next.type == Tok::kAssign || next.type == Tok::kDeclare) {
        pipe->is_assign = next.type == Tok::kAssign;
        NextNonSpace();
        if (pipe->is_assign && !VarDefined(name)) {
          return Error(absl::StrCat("undefined variable \"", name, "\""));
        }
        pipe->decl.push_back(name);
        vars_.push_back(name);
        break;
      }
      if (next.type == Tok::kChar && next.text == ",") {
        NextNonSpace();
        pipe->decl.push_back(name);
        vars_.push_back(name);
        if (context == "range" && pipe->decl.size() < 2) {
          Tok p = PeekNonSpace().type;
          if (p == Tok::kVariable) continue;
          return Error("range can only initialize variables");
        }
        return Error(absl::StrCat("too many declarations in ", context));
      }
      pos_ = var_index;
      break;
    }
    while (true) {
      const Token& t = NextNonSpace();
      if (t.type == end) {
        if (pipe->cmds.empty()) return Error(absl::StrCat("missing value for ", context));
        for (size_t i = 1; i < pipe->cmds.size(); ++i) {
          switch (pipe->cmds[i].args[0]->kind) {
            case Node::kBool:
            case Node::kDot:
            case Node::kNil:
            case Node::kNumber:
            case Node::kString:
              return Error(absl::StrCat("non executable command in pipeline stage ", i + 1));
            default:
              break;
          }
        }
        return absl::OkStatus();
      }
      switch (t.type) {
        case Tok::kBool:
        case Tok::kCharConst:
        case Tok::kDot:
        case Tok::kField:
        case Tok::kIdentifier:
        case Tok::kNumber:
        case Tok::kNil:
        case Tok::kRawString:
        case Tok::kString:
        case Tok::kVariable:
        case Tok::kLeftParen: {
          Backup();
          Command cmd;
          RETURN_IF_ERROR(ParseCommand(&cmd));
          pipe->cmds.push_back(std::move(cmd));
          break;
        }
        default:
          return Unexpected(t, context);
      }
    }
  }

  absl::Status ParseCommand(Command* cmd) {
    cmd->pos = PeekNonSpace().pos;
    while (true) {
      PeekNonSpace();
      NodePtr operand;
      RETURN_IF_ERROR(Operand(&operand));
      if (operand) cmd->args.push_back(std::move(operand));
      const Token& t = Next();
      if (t.type == Tok::kSpace) continue;
      if (t.type == Tok::kRightDelim || t.type == Tok::kRightParen) {
        Backup();
      } else if (t.type != Tok::kPipe) {
        return Unexpected(t, "operand");
      }
      break;
    }
    if (cmd->args.empty()) return Error("empty command");
    return absl::OkStatus();
  }

  absl::Status Operand(NodePtr* out) {
    NodePtr node;
    RETURN_IF_ERROR(Term(&node));
    if (!node) return absl::OkStatus();
    if (Peek().type == Tok::kField) {
      size_t chain_pos = Peek().pos;
      std::vector<std::string> idents;
      while (Peek().type == Tok::kField) idents.push_back(Next().text.substr(1));
      switch (node->kind) {
        case Node::kField:
        case Node::kVariable:
          node->idents.insert(node->idents.end(), idents.begin(), idents.end());
          node->pos = chain_pos;
          break;
        case Node::kBool:
        case Node::kString:
        case Node::kNumber:
        case Node::kNil:
        case Node::kDot:
          return Error(absl::StrCat("unexpected . after term ", gofmt::Quote(node->String())));
        default: {
          auto chain = MakeNode(Node::kChain, chain_pos);
          chain->base = std::move(node);
          chain->idents = std::move(idents);
          node = std::move(chain);
        }
      }
    }
    *out = std::move(node);
    return absl::OkStatus();
  }

  absl::Status Term(NodePtr* out) {
    const Token& t = NextNonSpace();
    switch (t.type) {
      case Tok::kIdentifier:
        if (!IsKnownFunction(t.text)) return Error(absl::StrCat("function \"", t.text, "\" not defined"));
        *out = MakeNode(Node::kIdentifier, t.pos);
        (*out)->text = t.text;
        return absl::OkStatus();
      case Tok::kDot:
        *out = MakeNode(Node::kDot, t.pos);
        return absl::OkStatus();
      case Tok::kNil:
        *out = MakeNode(Node::kNil, t.pos);
        return absl::OkStatus();
      case Tok::kVariable:
        if (!VarDefined(t.text)) return Error(absl::StrCat("undefined variable \"", t.text, "\""));
        *out = MakeNode(Node::kVariable, t.pos);
        (*out)->text = t.text;
        return absl::OkStatus();
      case Tok::kField:
        *out = MakeNode(Node::kField, t.pos);
        (*out)->idents.push_back(t.text.substr(1));
        return absl::OkStatus();
      case Tok::kBool:
        *out = MakeNode(Node::kBool, t.pos);
        (*out)->boolean = t.text == "true";
        return absl::OkStatus();
      case Tok::kCharConst:
      case Tok::kNumber:
        return Number(t, out);
      case Tok::kLeftParen: {
        if (++depth_ > kMaxDepth) return Error("max nesting depth exceeded");
        auto node = MakeNode(Node::kPipe, t.pos);
        node->pipe = std::make_unique<Pipeline>();
        RETURN_IF_ERROR(ParsePipeline("parenthesized pipeline", Tok::kRightParen, node->pipe.get()));
        --depth_;
        *out = std::move(node);
        return absl::OkStatus();
      }
      case Tok::kString:
      case Tok::kRawString: {
        auto node = MakeNode(Node::kString, t.pos);
        absl::string_view body = absl::string_view(t.text).substr(1, t.text.size() - 2);
        if (t.type == Tok::kRawString) {
          for (char c : body) {
            if (c != '\r') node->text += c;
          }
        } else if (!UnquoteBody(body, '"', &node->text)) {
          return Error("invalid syntax");
        }
        *out = std::move(node);
        return absl::OkStatus();
      }
      default:
        Backup();
        return absl::OkStatus();
    }
  }

  absl::Status Number(const Token& t, NodePtr* out) {
    auto node = MakeNode(Node::kNumber, t.pos);
    node->text = t.text;
    if (t.type == Tok::kCharConst) {
      std::string value;
      absl::string_view body = absl::string_view(t.text).substr(1, t.text.size() - 2);
      if (!UnquoteBody(body, '\'', &value) || value.empty()) {
        return Error(absl::StrCat("malformed character constant: ", t.text));
      }
      size_t size = 0;
      char32_t r = utf8::DecodeRune(value, 0, &size);
      if (size != value.size()) return Error(absl::StrCat("malformed character constant: ", t.text));
      node->is_int = true;
      node->int_value = r;
      *out = std::move(node);
      return absl::OkStatus();
    }
    absl::string_view s = t.text;
    bool neg = false;
    absl::string_view digits = s;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
      neg = digits[0] == '-';
      digits.remove_prefix(1);
    }
    bool hex = digits.size() > 1 && digits[0] == '0' && (digits[1] | 0x20) == 'x';
    bool float_syntax = hex ? absl::StrContains(s, "p") || absl::StrContains(s, "P")
                            : s.find_first_of(".eE") != absl::string_view::npos;
    if (!float_syntax) {
      uint64_t mag;
      if (!ParseUnsigned(digits, &mag)) return Error(absl::StrCat("illegal number syntax: \"", s, "\""));
      if (mag > static_cast<uint64_t>(INT64_MAX) + (neg ? 1 : 0)) {
        return Error(absl::StrCat("integer overflow: \"", s, "\""));
      }
      node->is_int = true;
      node->int_value = neg ? static_cast<int64_t>(0 - mag) : static_cast<int64_t>(mag);
      *out = std::move(node);
      return absl::OkStatus();
    }
    std::string clean;
    for (char c : s) {
      if (c != '_') clean += c;
    }
    errno = 0;
    char* end = nullptr;
    double f = std::strtod(clean.c_str(), &end);
    if (end != clean.c_str() + clean.size() || clean.empty() || std::isnan(f) || std::isinf(f)) {
      return Error(absl::StrCat("illegal number syntax: \"", s, "\""));
    }
    node->float_value = f;
    *out = std::move(node);
    return absl::OkStatus();
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  size_t last_ = 0;
  std::vector<std::string> vars_ = {"$"};
  int range_depth_ = 0;
  int depth_ = 0;
};

}  // namespace

std::string Node::String() const {
  std::string chain;
  for (const auto& id : idents) absl::StrAppend(&chain, ".", id);
  switch (kind) {
    case kField:
      return chain;
    case kVariable:
      return text + chain;
    case kDot:
      return ".";
    case kNil:
      return "nil";
    case kBool:
      return boolean ? "true" : "false";
    case kNumber:
    case kIdentifier:
      return text;
    case kString:
      return gofmt::Quote(text);
    case kPipe:
      return absl::StrCat("(", pipe ? pipe->String() : "", ")");
    case kChain:
      return absl::StrCat(base ? base->String() : "", chain);
    case kAction:
      return absl::StrCat("{{", pipe ? pipe->String() : "", "}}");
    default:
      return text;
  }
}

std::string Command::String() const {
  std::string s;
  for (size_t k = 0; k < args.size(); ++k) {
    if (k > 0) s += ' ';
    s += args[k]->String();
  }
  return s;
}

std::string Pipeline::String() const {
  std::string s;
  if (!decl.empty()) s = absl::StrCat(absl::StrJoin(decl, ", "), is_assign ? " = " : " := ");
  for (size_t i = 0; i < cmds.size(); ++i) {
    if (i > 0) s += " | ";
    s += cmds[i].String();
  }
  return s;
}

absl::StatusOr<std::vector<std::unique_ptr<Node>>> Parse(absl::string_view src) {
  ASSIGN_OR_RETURN(std::vector<Token> toks, Lex(src));
  return Parser(std::move(toks)).ParseAll();
}

}  // namespace skiff::cli::tmpl
