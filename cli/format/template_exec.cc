#include "cli/format/template_exec.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/format/go_fmt.h"
#include "cli/format/template_funcs.h"
#include "common/status.h"

namespace skiff::cli::tmpl {
namespace {

using nlohmann::json;
using Args = std::vector<std::unique_ptr<Node>>;

// Ranging over an integer beyond this is refused rather than spinning.
constexpr int64_t kMaxRangeInt = 10'000'000;

bool IsIntegral(double d) { return std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9e18; }

class Executor {
 public:
  Executor(absl::string_view src, const json& root, const std::map<std::string, std::string>* headers,
           std::string* out)
      : src_(src), headers_(headers), out_(out) {
    vars_.push_back({"$", root});
  }

  absl::Status WalkList(const json& dot, const Args& list) {
    for (const auto& n : list) {
      RETURN_IF_ERROR(Walk(dot, *n));
      if (ctl_ != Ctl::kNone) break;
    }
    return absl::OkStatus();
  }

 private:
  enum class Ctl { kNone, kBreak, kContinue };
  struct Var {
    std::string name;
    json value;
  };

  absl::Status Error(const Node& at, absl::string_view msg) const { return Error(at.pos, at.String(), msg); }

  absl::Status Error(size_t at, std::string context, absl::string_view msg) const {
    size_t pos = std::min(at, src_.size());
    absl::string_view before = src_.substr(0, pos);
    int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
    size_t nl = before.rfind('\n');
    size_t col = nl == absl::string_view::npos ? pos : pos - nl - 1;
    if (context.size() > 20) context = absl::StrCat(context.substr(0, 20), "...");
    return absl::InvalidArgumentError(
        absl::StrCat("template: :", line, ":", col, ": executing \"\" at <", context, ">: ", msg));
  }

  absl::Status Walk(const json& dot, const Node& n) {
    switch (n.kind) {
      case Node::kText:
        out_->append(n.text);
        return absl::OkStatus();
      case Node::kAction: {
        ASSIGN_OR_RETURN(json v, EvalPipeline(dot, *n.pipe, /*push_decls=*/true));
        if (n.pipe->decl.empty()) out_->append(v.is_null() ? "<no value>" : gofmt::Sprint(v));
        return absl::OkStatus();
      }
      case Node::kIf:
      case Node::kWith: {
        size_t mark = vars_.size();
        ASSIGN_OR_RETURN(json v, EvalPipeline(dot, *n.pipe, /*push_decls=*/true));
        absl::Status s;
        if (Truth(v)) {
          s = WalkList(n.kind == Node::kWith ? v : dot, n.list);
        } else {
          s = WalkList(dot, n.else_list);
        }
        vars_.resize(mark);
        return s;
      }
      case Node::kRange:
        return WalkRange(dot, n);
      case Node::kBreak:
        ctl_ = Ctl::kBreak;
        return absl::OkStatus();
      case Node::kContinue:
        ctl_ = Ctl::kContinue;
        return absl::OkStatus();
      default:
        return Error(n, "unexpected node");
    }
  }

  absl::Status WalkRange(const json& dot, const Node& n) {
    size_t mark = vars_.size();
    ASSIGN_OR_RETURN(json v, EvalPipeline(dot, *n.pipe, /*push_decls=*/false));
    const auto& decl = n.pipe->decl;
    if (!n.pipe->is_assign) {
      for (const auto& name : decl) vars_.push_back({name, nullptr});
    }
    bool stop = false;
    auto one = [&](const json& index, const json& elem) -> absl::Status {
      if (decl.size() == 1) RETURN_IF_ERROR(SetVar(n, decl[0], elem));
      if (decl.size() == 2) {
        RETURN_IF_ERROR(SetVar(n, decl[0], index));
        RETURN_IF_ERROR(SetVar(n, decl[1], elem));
      }
      size_t inner = vars_.size();
      absl::Status s = WalkList(elem, n.list);
      vars_.resize(inner);
      if (ctl_ == Ctl::kBreak) stop = true;
      ctl_ = Ctl::kNone;
      return s;
    };
    size_t iterations = 0;
    absl::Status s;
    if (v.is_array()) {
      for (size_t i = 0; i < v.size() && !stop && s.ok(); ++i, ++iterations) s = one(json(i), v[i]);
    } else if (v.is_object()) {
      for (auto it = v.begin(); it != v.end() && !stop && s.ok(); ++it, ++iterations) {
        s = one(json(it.key()), it.value());
      }
    } else if (v.is_number_integer() || v.is_number_unsigned()) {
      if (decl.size() > 1) {
        s = Error(n.pipe->pos, n.pipe->String(),
                  absl::StrCat("can't use ", gofmt::Sprint(v), " to iterate over more than one variable"));
      } else if (v.is_number_integer() && v.get<int64_t>() > kMaxRangeInt) {
        s = Error(n.pipe->pos, n.pipe->String(), absl::StrCat("range over ", gofmt::Sprint(v), " is too long"));
      } else {
        int64_t count = v.get<int64_t>();
        for (int64_t i = 0; i < count && !stop && s.ok(); ++i, ++iterations) s = one(json(i), json(i));
      }
    } else if (!v.is_null()) {
      s = Error(n.pipe->pos, n.pipe->String(), absl::StrCat("range can't iterate over ", gofmt::Sprint(v)));
    }
    if (s.ok() && iterations == 0) s = WalkList(dot, n.else_list);
    vars_.resize(mark);
    return s;
  }

  absl::Status SetVar(const Node& at, const std::string& name, const json& value) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->name == name) {
        it->value = value;
        return absl::OkStatus();
      }
    }
    return Error(at, absl::StrCat("undefined variable: ", name));
  }

  absl::StatusOr<json> LookupVar(const Node& at, const std::string& name) const {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->name == name) return it->value;
    }
    return Error(at, absl::StrCat("undefined variable: ", name));
  }

  absl::StatusOr<json> EvalPipeline(const json& dot, const Pipeline& pipe, bool push_decls) {
    std::optional<json> value;
    for (const Command& cmd : pipe.cmds) {
      ASSIGN_OR_RETURN(json v, EvalCommand(dot, cmd, value));
      value = std::move(v);
    }
    json result = value ? std::move(*value) : json();
    for (const auto& name : pipe.decl) {
      if (pipe.is_assign) {
        RETURN_IF_ERROR(SetVar(*pipe.cmds[0].args[0], name, result));
      } else if (push_decls) {
        vars_.push_back({name, result});
      }
    }
    return result;
  }

  absl::Status NotAFunction(const Args& args, const std::optional<json>& final) const {
    if (args.size() > 1 || final) {
      return Error(*args[0], absl::StrCat("can't give argument to non-function ", args[0]->String()));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<json> EvalCommand(const json& dot, const Command& cmd, const std::optional<json>& final) {
    const Node& first = *cmd.args[0];
    switch (first.kind) {
      case Node::kField:
        return EvalFieldChain(dot, dot, first, &cmd.args, final);
      case Node::kChain: {
        ASSIGN_OR_RETURN(json base, EvalArg(dot, *first.base));
        return EvalFieldChain(dot, base, first, &cmd.args, final);
      }
      case Node::kIdentifier:
        return EvalFunction(dot, first, &cmd, final);
      case Node::kPipe:
        RETURN_IF_ERROR(NotAFunction(cmd.args, final));
        return EvalPipeline(dot, *first.pipe, /*push_decls=*/true);
      case Node::kVariable:
        return EvalVariable(dot, first, &cmd.args, final);
      default:
        break;
    }
    RETURN_IF_ERROR(NotAFunction(cmd.args, final));
    if (first.kind == Node::kNil) return Error(first, "nil is not a command");
    return EvalArg(dot, first);
  }

  absl::StatusOr<json> EvalArg(const json& dot, const Node& n) {
    switch (n.kind) {
      case Node::kDot:
        return dot;
      case Node::kNil:
        return json();
      case Node::kBool:
        return json(n.boolean);
      case Node::kNumber:
        return n.is_int ? json(n.int_value) : json(n.float_value);
      case Node::kString:
        return json(n.text);
      case Node::kField:
        return EvalFieldChain(dot, dot, n, nullptr, std::nullopt);
      case Node::kVariable:
        return EvalVariable(dot, n, nullptr, std::nullopt);
      case Node::kPipe:
        return EvalPipeline(dot, *n.pipe, /*push_decls=*/true);
      case Node::kIdentifier:
        return EvalFunction(dot, n, nullptr, std::nullopt);
      case Node::kChain: {
        if (n.base->kind == Node::kNil) return Error(n, absl::StrCat("indirection through explicit nil in ", n.String()));
        ASSIGN_OR_RETURN(json base, EvalArg(dot, *n.base));
        return EvalFieldChain(dot, base, n, nullptr, std::nullopt);
      }
      default:
        return Error(n, "can't handle node");
    }
  }

  absl::StatusOr<json> EvalVariable(const json& dot, const Node& n, const Args* args,
                                    const std::optional<json>& final) {
    ASSIGN_OR_RETURN(json value, LookupVar(n, n.text));
    if (n.idents.empty()) {
      if (args) RETURN_IF_ERROR(NotAFunction(*args, final));
      return value;
    }
    return EvalFieldChain(dot, value, n, args, final);
  }

  // `args` are the command's words (the first is the field itself); only
  // the last field of the chain receives them.
  absl::StatusOr<json> EvalFieldChain(const json& dot, const json& receiver, const Node& n, const Args* args,
                                      const std::optional<json>& final) {
    json cur = receiver;
    for (size_t i = 0; i < n.idents.size(); ++i) {
      bool last = i + 1 == n.idents.size();
      ASSIGN_OR_RETURN(cur, EvalField(n, n.idents[i], last ? args : nullptr, last ? final : std::nullopt, cur));
    }
    return cur;
  }

  absl::StatusOr<json> EvalField(const Node& n, const std::string& name, const Args* args,
                                 const std::optional<json>& final, const json& receiver) {
    if (headers_ != nullptr) {
      auto it = headers_->find(name);
      return json(it != headers_->end() ? it->second : HeaderName(name));
    }
    if (receiver.is_null()) return json();
    if (!receiver.is_object()) {
      return Error(n, absl::StrCat("can't evaluate field ", name, " in type ", gofmt::TypeName(receiver)));
    }
    if ((args && args->size() > 1) || final) {
      return Error(n, absl::StrCat(name, " is not a method but has arguments"));
    }
    auto it = receiver.find(name);
    if (it != receiver.end()) return *it;
    for (auto kv = receiver.begin(); kv != receiver.end(); ++kv) {
      if (absl::EqualsIgnoreCase(kv.key(), name)) return kv.value();
    }
    return json();
  }

  // Go's conversion of an argument to a parameter type: a literal of the
  // wrong kind is named as written, a computed value by its type.
  absl::Status CheckArg(char type, const Node* literal, const Node& at, const json& v) const {
    if (type == 'a') return absl::OkStatus();
    const char* go_type = type == 's' ? "string" : type == 'i' ? "int" : "[]string";
    if (literal != nullptr) {
      switch (literal->kind) {
        case Node::kNil:
          if (type == 'l') return absl::OkStatus();
          return Error(*literal, absl::StrCat("cannot assign nil to ", go_type));
        case Node::kBool:
        case Node::kNumber:
        case Node::kString:
          if (type == 's' && literal->kind != Node::kString) {
            return Error(*literal, absl::StrCat("expected string; found ", literal->String()));
          }
          if (type == 'i' && !(literal->kind == Node::kNumber && (literal->is_int || IsIntegral(literal->float_value)))) {
            return Error(*literal, absl::StrCat("expected integer; found ", literal->String()));
          }
          if (type == 'l') {
            return Error(*literal, absl::StrCat("can't handle ", literal->String(), " for arg of type []string"));
          }
          return absl::OkStatus();
        default:
          break;
      }
    }
    if (v.is_null()) {
      if (type == 'l') return absl::OkStatus();
      return Error(at, absl::StrCat("invalid value; expected ", go_type));
    }
    bool ok = type == 's' ? v.is_string() : type == 'l' ? v.is_array() : v.is_number();
    if (type == 'i' && v.is_number_float()) ok = IsIntegral(v.get<double>());
    if (!ok) {
      return Error(at, absl::StrCat("wrong type for value; expected ", go_type, "; got ", gofmt::TypeName(v)));
    }
    return absl::OkStatus();
  }

  // `cmd` is null when the function is an argument called without
  // arguments: `len (split "a" ",")` calls split, `print now` would call now.
  absl::StatusOr<json> EvalFunction(const json& dot, const Node& ident, const Command* cmd,
                                    const std::optional<json>& final) {
    const Builtin* b = FindBuiltin(ident.text, headers_ != nullptr);
    if (b == nullptr) return Error(ident, absl::StrCat("function \"", ident.text, "\" not defined"));
    absl::string_view params = b->params;
    bool variadic = !params.empty() && params.back() == '*';
    if (variadic) params.remove_suffix(1);
    size_t given = (cmd ? cmd->args.size() - 1 : 0) + (final ? 1 : 0);
    if (given < params.size() || (!variadic && given > params.size())) {
      return Error(ident, absl::StrCat("wrong number of args for ", ident.text, ": want ", variadic ? "at least " : "",
                                       params.size(), " got ", given));
    }
    auto type_of = [&](size_t i) { return i < params.size() ? params[i] : 'a'; };
    if (b->fn == nullptr) {  // and / or: stop at the first deciding argument.
      bool is_or = ident.text == "or";
      json v;
      for (size_t i = 1; cmd && i < cmd->args.size(); ++i) {
        ASSIGN_OR_RETURN(v, EvalArg(dot, *cmd->args[i]));
        if (Truth(v) == is_or) return v;
      }
      if (final) v = *final;
      return v;
    }
    std::vector<json> argv;
    for (size_t i = 1; cmd && i < cmd->args.size(); ++i) {
      const Node& arg = *cmd->args[i];
      ASSIGN_OR_RETURN(json v, EvalArg(dot, arg));
      RETURN_IF_ERROR(CheckArg(type_of(argv.size()), &arg, arg, v));
      argv.push_back(std::move(v));
    }
    if (final) {
      RETURN_IF_ERROR(CheckArg(type_of(argv.size()), nullptr, ident, *final));
      argv.push_back(*final);
    }
    absl::StatusOr<json> r = b->fn(argv);
    if (!r.ok()) {
      return Error(cmd ? cmd->pos : ident.pos, cmd ? cmd->String() : ident.String(),
                   absl::StrCat("error calling ", ident.text, ": ", r.status().message()));
    }
    return r;
  }

  absl::string_view src_;
  const std::map<std::string, std::string>* headers_;
  std::string* out_;
  std::vector<Var> vars_;
  Ctl ctl_ = Ctl::kNone;
};

}  // namespace

absl::Status Execute(const std::vector<std::unique_ptr<Node>>& tree, absl::string_view src, const json& data,
                     std::string* out) {
  Executor e(src, data, nullptr, out);
  return e.WalkList(data, tree);
}

absl::Status ExecuteHeader(const std::vector<std::unique_ptr<Node>>& tree, absl::string_view src,
                           const std::map<std::string, std::string>& headers, std::string* out) {
  json root = json::object();
  for (const auto& [k, v] : headers) root[k] = v;
  Executor e(src, root, &headers, out);
  return e.WalkList(root, tree);
}

std::string HeaderName(absl::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    if (c == '_' || c == '-') {
      if (!out.empty() && out.back() != ' ') out += ' ';
      continue;
    }
    if (i > 0 && absl::ascii_isupper(c) && !out.empty() && out.back() != ' ') {
      char prev = field[i - 1];
      bool next_lower = i + 1 < field.size() && absl::ascii_islower(field[i + 1]);
      if (absl::ascii_islower(prev) || absl::ascii_isdigit(prev) || (absl::ascii_isupper(prev) && next_lower)) {
        out += ' ';
      }
    }
    out += absl::ascii_toupper(c);
  }
  return out;
}

}  // namespace skiff::cli::tmpl
