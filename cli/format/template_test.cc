#include "cli/format/template.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace skiff::cli {
namespace {

using nlohmann::json;

const json& Data() {
  static const json data = json::parse(R"({
    "ID": "4f66ad9a0b2e1c3d5e6f7a8b9c0d1e2f",
    "Name": "web",
    "Count": 3,
    "Ratio": 0.5,
    "Big": 1000000.0,
    "Neg": -7,
    "Flag": false,
    "Nothing": null,
    "State": {"Status": "running", "Running": true, "Pid": 42},
    "Config": {"Env": ["A=1", "B=2"], "Labels": {"com.example": "x", "a": "1"}, "Cmd": null},
    "Args": ["-g", "daemon off;"],
    "List": ["a", "b", "c"],
    "Empty": [],
    "EmptyMap": {},
    "Nested": [[1, 2], {"k": "v"}],
    "Text": "héllo wörld"
  })");
  return data;
}

std::string Render(const std::string& format, const json& data = Data()) {
  auto t = Template::Parse(format);
  if (!t.ok()) return "PARSE ERROR: " + std::string(t.status().message());
  auto out = t->Execute(data);
  if (!out.ok()) return "EXEC ERROR: " + std::string(out.status().message());
  return *out;
}

struct Case {
  const char* format;
  const char* want;
};

class OutputTest : public ::testing::TestWithParam<Case> {};

TEST_P(OutputTest, PrintsWhatDockerPrints) { EXPECT_EQ(Render(GetParam().format), GetParam().want) << GetParam().format; }

INSTANTIATE_TEST_SUITE_P(
    Fields, OutputTest,
    ::testing::Values(Case{"{{.ID}}", "4f66ad9a0b2e1c3d5e6f7a8b9c0d1e2f"}, Case{"{{.State.Status}}", "running"},
                      Case{"id={{.Name}} n={{.Count}}", "id=web n=3"}, Case{"{{.state.STATUS}}", "running"},
                      Case{"{{.Missing}}", "<no value>"}, Case{"{{.Missing.Deeper}}", "<no value>"},
                      Case{"{{.Config.Cmd}}", "<no value>"}, Case{"{{$.Name}}", "web"},
                      Case{"{{with .State}}{{$.Name}}:{{.Pid}}{{end}}", "web:42"}, Case{"", ""},
                      Case{"plain text", "plain text"}));

INSTANTIATE_TEST_SUITE_P(
    GoValuePrinting, OutputTest,
    ::testing::Values(Case{"{{.Count}}", "3"}, Case{"{{.Neg}}", "-7"}, Case{"{{.Ratio}}", "0.5"},
                      Case{"{{.Big}}", "1e+06"}, Case{"{{.Flag}}", "false"}, Case{"{{.State.Running}}", "true"},
                      Case{"{{.Nothing}}", "<no value>"}, Case{"{{.List}}", "[a b c]"}, Case{"{{.Empty}}", "[]"},
                      Case{"{{.EmptyMap}}", "map[]"}, Case{"{{.State}}", "map[Pid:42 Running:true Status:running]"},
                      Case{"{{.Config}}", "map[Cmd:<nil> Env:[A=1 B=2] Labels:map[a:1 com.example:x]]"},
                      Case{"{{.Nested}}", "[[1 2] map[k:v]]"}, Case{"{{1.5}} {{1e6}} {{1.0}} {{0.000001}}", "1.5 1e+06 1 1e-06"},
                      Case{"{{0x1F}} {{-3}} {{1_000}} {{07}} {{'a'}}", "31 -3 1000 7 97"},
                      Case{"{{\"q\\tx\"}}|{{`raw\\t`}}", "q\tx|raw\\t"}, Case{"{{true}} {{false}}", "true false"}));

INSTANTIATE_TEST_SUITE_P(
    Json, OutputTest,
    ::testing::Values(Case{"{{json .Config.Env}}", R"(["A=1","B=2"])"},
                      Case{"{{json .State}}", R"({"Pid":42,"Running":true,"Status":"running"})"},
                      Case{"{{json .Name}}", R"("web")"}, Case{"{{json .Nothing}}", "null"},
                      Case{"{{json .Big}} {{json .Ratio}} {{json 1e21}} {{json 0.0000001}}", "1000000 0.5 1e+21 1e-7"},
                      Case{"{{json \"<a&b>\\n\"}}", R"("<a&b>\n")"}, Case{"{{json .Text}}", R"("héllo wörld")"},
                      Case{"json", R"({"Args":["-g","daemon off;"],"Big":1000000,"Config":{"Cmd":null,"Env":["A=1","B=2"],"Labels":{"a":"1","com.example":"x"}},"Count":3,"Empty":[],"EmptyMap":{},"Flag":false,"ID":"4f66ad9a0b2e1c3d5e6f7a8b9c0d1e2f","List":["a","b","c"],"Name":"web","Neg":-7,"Nested":[[1,2],{"k":"v"}],"Nothing":null,"Ratio":0.5,"State":{"Pid":42,"Running":true,"Status":"running"},"Text":"héllo wörld"})"}));

INSTANTIATE_TEST_SUITE_P(
    Control, OutputTest,
    ::testing::Values(
        Case{"{{range .Args}}{{.}} {{end}}", "-g daemon off; "},
        Case{"{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", "a=1;com.example=x;"},
        Case{"{{range $i, $e := .List}}{{$i}}:{{$e}} {{end}}", "0:a 1:b 2:c "},
        Case{"{{range $e := .List}}{{$e}}{{end}}", "abc"},
        Case{"{{range .Empty}}x{{else}}none{{end}}", "none"},
        Case{"{{range .Nothing}}x{{else}}nil{{end}}", "nil"}, Case{"{{range 3}}{{.}}{{end}}", "012"},
        Case{"{{range .List}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}}", "a"},
        Case{"{{range .List}}{{if eq . \"b\"}}{{continue}}{{end}}{{.}}{{end}}", "ac"},
        Case{"{{if .State.Running}}up{{else}}down{{end}}", "up"},
        Case{"{{if .Flag}}up{{else}}down{{end}}", "down"},
        Case{"{{if eq .State.Status \"running\"}}yes{{end}}", "yes"},
        Case{"{{if .Flag}}a{{else if .Count}}b{{else}}c{{end}}", "b"},
        Case{"{{if .Empty}}a{{else if .EmptyMap}}b{{else if \"\"}}c{{else}}d{{end}}", "d"},
        Case{"{{with .State}}{{.Pid}}{{end}}", "42"},
        Case{"{{with .Nothing}}a{{else with .Name}}{{.}}{{end}}", "web"}, Case{"{{with .Nothing}}x{{else}}empty{{end}}", "empty"},
        Case{"{{with $s := .State.Status}}{{$s}}{{end}}", "running"},
        Case{"{{$n := .Name}}{{$n}}-{{$n}}", "web-web"},
        Case{"{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2"},
        Case{"{{range .List}}{{$.Name}}{{end}}", "webwebweb"}));

INSTANTIATE_TEST_SUITE_P(
    Functions, OutputTest,
    ::testing::Values(
        Case{"{{index .Config.Labels \"com.example\"}}", "x"}, Case{"{{index .Config.Labels \"nope\"}}", "<no value>"},
        Case{"{{index .List 1}}", "b"}, Case{"{{index .Nested 0 1}}", "2"}, Case{"{{index .Name 1}}", "101"},
        Case{"{{join .Args \",\"}}", "-g,daemon off;"}, Case{"{{join .Nothing \",\"}}", ""},
        Case{"{{upper .Name}}", "WEB"}, Case{"{{lower \"ABC\"}}", "abc"},
        Case{"{{title \"hello wORLD foo_bar x-y\"}}", "Hello WORLD Foo_bar X-Y"},
        Case{"{{split \"a,b\" \",\"}}", "[a b]"}, Case{"{{len (split \"a,b,c\" \",\")}}", "3"},
        Case{"{{printf \"%s-%d\" .Name .Count}}", "web-3"}, Case{"{{len .List}}", "3"}, Case{"{{len .Name}}", "3"},
        Case{"{{len .Config.Labels}}", "2"}, Case{"{{len .Nothing}}", "0"}, Case{"{{len .Text}}", "13"},
        Case{"{{truncate .ID 12}}", "4f66ad9a0b2e"}, Case{"{{truncate .Name 12}}", "web"},
        Case{"{{truncate .Name 1.0}}", "w"}, Case{"{{pad .Name 1 2}}|", " web  |"}, Case{"{{pad \"\" 1 2}}|", "|"},
        Case{"{{println .Name .Count}}", "web 3\n"}, Case{"{{print 1 2 \"a\" 3}}", "1 2a3"},
        Case{"{{print}}|{{print nil}}|{{print \"a\" \"b\"}}", "|<nil>|ab"},
        Case{"{{slice \"abcdef\" 1 3}} {{slice .List 1}}", "bc [b c]"},
        Case{"{{and 1 0 2}} {{or 0 \"\" \"x\"}} {{not 0}} {{and .Name .Count}}", "0 x true 3"},
        Case{"{{lt .Count 5}} {{gt \"b\" \"a\"}} {{ne .Name \"x\"}} {{eq .Count 1 2 3}} {{le 3 3}} {{ge 2 3}}",
             "true true true true true false"},
        Case{"{{eq .Ratio 0.5}} {{eq .Nothing .Missing}} {{eq .Name .Nothing}}", "true true false"}));

INSTANTIATE_TEST_SUITE_P(
    Pipelines, OutputTest,
    ::testing::Values(Case{"{{.Name | upper}}", "WEB"}, Case{"{{.Name | printf \"%s!\"}}", "web!"},
                      Case{"{{\"a\" | printf \"%s-%s\" \"b\"}}", "b-a"},
                      Case{"{{.List | join \" \" | upper}}", "EXEC ERROR: template: :1:15: executing \"\" at <\" \">: can't handle \" \" for arg of type []string"},
                      Case{"{{join .List \" \" | upper}}", "A B C"}, Case{"{{\"a\" | len | printf \"%d\"}}", "1"},
                      Case{"{{(index .Nested 1).k}}", "v"}, Case{"{{.Name|}}", "web"}));

INSTANTIATE_TEST_SUITE_P(
    Printf, OutputTest,
    ::testing::Values(
        Case{"{{printf \"%5.2f|%05d|%-6s|%q|%x|%v\" 3.14159 42 \"ab\" \"a\\tb\" 255 1000000.0}}",
             " 3.14|00042|ab    |\"a\\tb\"|ff|1e+06"},
        Case{"{{printf \"%5s|%-10s|\" .Name .Name}}", "  web|web       |"},
        Case{"{{printf \"%d\" \"x\"}}", "%!d(string=x)"}, Case{"{{printf \"%s %s\" \"x\"}}", "x %!s(MISSING)"},
        Case{"{{printf \"%s\" \"x\" 3}}", "x%!(EXTRA int=3)"},
        Case{"{{printf \"%T %T %T %T %T\" 1 1.5 \"a\" true .List}}", "int float64 string bool []interface {}"},
        Case{"{{printf \"%v\" nil}}|{{printf \"%s\" nil}}", "<nil>|%!s(<nil>)"},
        Case{"{{printf \"%d %d\" 1.0 1.5}}", "%!d(float64=1) %!d(float64=1.5)"},
        Case{"{{printf \"%6.2f|%-8.3e|%g|%G\" 3.14159 1234.5 0.00001234 1e21}}", "  3.14|1.234e+03|1.234e-05|1E+21"},
        Case{"{{printf \"%+d|% d|%x|%X|%o|%b|%c|%U|%#x\" 5 5 -255 255 8 5 65 65 255}}",
             "+5| 5|-ff|FF|10|101|A|U+0041|0xff"},
        Case{"{{printf \"%q|%x|% x|%.2s|%5.1s|\" \"héllo\\x01\" \"hi\" \"hi\" \"héllo\" \"xyz\"}}",
             "\"héllo\\x01\"|6869|68 69|hé|    x|"},
        Case{"{{printf \"%v|%d|%s|%q\" .List (len \"ab\") (split \"1\" \",\") .Args}}",
             "[a b c]|2|[1]|[\"-g\" \"daemon off;\"]"},
        Case{"{{printf \"%5v|%-4d|%05s\" (split \"a,b\" \",\") 3 \"ab\"}}", "[    a     b]|3   |000ab"},
        Case{"{{printf \"%*d|%.*f|%\" 5 3 2 3.14159}}", "    3|3.14|%!(NOVERB)"},
        Case{"{{printf \"%!\"}}|{{printf \"%z\" 3}}|{{printf \"100%%\"}}", "%!!(MISSING)|%!z(int=3)|100%"},
        Case{"{{printf \"%08.3f|%-8d|%+.2e|%x\" -3.14159 -42 12345.678 \"héllo\"}}",
             "-003.142|-42     |+1.23e+04|68c3a96c6c6f"},
        Case{"{{printf \"%v %v\" 1e21 123456789.0}}", "1e+21 1.23456789e+08"},
        Case{"{{printf \"%.1f\" .Count}}", "3.0"}, Case{"{{printf \"%t %v\" .Flag .State}}", "false map[Pid:42 Running:true Status:running]"}));

INSTANTIATE_TEST_SUITE_P(
    TrimCommentsAndEscapes, OutputTest,
    ::testing::Values(Case{"a  {{- .Name -}}  b", "awebb"}, Case{"  {{- \"x\" -}}  y", "xy"},
                      Case{"{{/* c */}}x{{- /* d */ -}} y", "xy"}, Case{"x{{/* a */ -}}  y", "xy"},
                      Case{"{{if true -}} a {{- end}}|", "a|"}, Case{"a\\tb\\nc", "a\tb\nc"},
                      Case{"{{.Name}}\\t{{.Count}}", "web\t3"}, Case{"{{`a\\tb`}}", "a\\tb"},
                      Case{"x\\n  {{- .Name}}", "xweb"}, Case{"  {{.Name}}  ", "web"},
                      Case{"{{-3}}", "-3"}, Case{"{{.Name -}}\n\n", "web"}));

// Each error names the position and what is wrong, in Go's words.
INSTANTIATE_TEST_SUITE_P(
    ParseErrors, OutputTest,
    ::testing::Values(
        Case{"{{.Name", "PARSE ERROR: template parsing error: template: :1: unclosed action"},
        Case{"a\nb\n{{.Name", "PARSE ERROR: template parsing error: template: :3: unclosed action"},
        Case{"{{foo}}", "PARSE ERROR: template parsing error: template: :1: function \"foo\" not defined"},
        Case{"{{if}}", "PARSE ERROR: template parsing error: template: :1: missing value for if"},
        Case{"{{end}}", "PARSE ERROR: template parsing error: template: :1: unexpected {{end}}"},
        Case{"{{else}}", "PARSE ERROR: template parsing error: template: :1: unexpected {{else}}"},
        Case{"{{if true}}x", "PARSE ERROR: template parsing error: template: :1: unexpected EOF"},
        Case{"{{if true}}x{{else}}y{{else}}z{{end}}",
             "PARSE ERROR: template parsing error: template: :1: expected end; found {{else}}"},
        Case{"{{$x}}", "PARSE ERROR: template parsing error: template: :1: undefined variable \"$x\""},
        Case{"{{if $y := 1}}{{$y}}{{end}}{{$y}}",
             "PARSE ERROR: template parsing error: template: :1: undefined variable \"$y\""},
        Case{"{{\"abc}}", "PARSE ERROR: template parsing error: template: :1: unterminated quoted string"},
        Case{"{{`abc}}", "PARSE ERROR: template parsing error: template: :1: unterminated raw quoted string"},
        Case{"{{/* c }}", "PARSE ERROR: template parsing error: template: :1: unclosed comment"},
        Case{"{{/*a*/x}}", "PARSE ERROR: template parsing error: template: :1: comment ends before closing delimiter"},
        Case{"{{(1}}", "PARSE ERROR: template parsing error: template: :1: unclosed left paren"},
        Case{"{{1)}}", "PARSE ERROR: template parsing error: template: :1: unexpected right paren"},
        Case{"{{.Name @}}", "PARSE ERROR: template parsing error: template: :1: unexpected \"@\" in operand"},
        Case{"{{| .Name}}", "PARSE ERROR: template parsing error: template: :1: unexpected \"|\" in command"},
        Case{"{{1 | 2}}", "PARSE ERROR: template parsing error: template: :1: non executable command in pipeline stage 2"},
        Case{"{{break}}", "PARSE ERROR: template parsing error: template: :1: {{break}} outside {{range}}"},
        Case{"{{\"x\".Foo}}", "PARSE ERROR: template parsing error: template: :1: unexpected . after term \"\\\"x\\\"\""},
        Case{"{{3x}}", "PARSE ERROR: template parsing error: template: :1: bad number syntax: \"3x\""},
        Case{"{{\"\\q\"}}", "PARSE ERROR: template parsing error: template: :1: invalid syntax"},
        Case{"{{define \"x\"}}{{end}}", "PARSE ERROR: template parsing error: template: :1: {{define}} is not supported"},
        Case{"{{range $a, $b, $c := .List}}{{end}}",
             "PARSE ERROR: template parsing error: template: :1: too many declarations in range"},
        Case{"{{.Name \x01}}",
             "PARSE ERROR: template parsing error: template: :1: unrecognized character in action: U+0001"}));

INSTANTIATE_TEST_SUITE_P(
    ExecErrors, OutputTest,
    ::testing::Values(
        Case{"{{.Name.X}}", "EXEC ERROR: template: :1:7: executing \"\" at <.Name.X>: can't evaluate field X in type string"},
        Case{"{{.List.X}}", "EXEC ERROR: template: :1:7: executing \"\" at <.List.X>: can't evaluate field X in type []interface {}"},
        Case{"{{index .List 5}}", "EXEC ERROR: template: :1:2: executing \"\" at <index .List 5>: error calling index: index out of range: 5"},
        Case{"{{index}}", "EXEC ERROR: template: :1:2: executing \"\" at <index>: wrong number of args for index: want at least 1 got 0"},
        Case{"{{index .List \"a\"}}", "EXEC ERROR: template: :1:2: executing \"\" at <index .List \"a\">: error calling index: cannot index slice/array with type string"},
        Case{"{{index .State 1}}", "EXEC ERROR: template: :1:2: executing \"\" at <index .State 1>: error calling index: value has type int; should be string"},
        Case{"{{index 3 1}}", "EXEC ERROR: template: :1:2: executing \"\" at <index 3 1>: error calling index: can't index item of type int"},
        Case{"{{index .Nothing 1}}", "EXEC ERROR: template: :1:2: executing \"\" at <index .Nothing 1>: error calling index: index of untyped nil"},
        Case{"{{upper 1}}", "EXEC ERROR: template: :1:8: executing \"\" at <1>: expected string; found 1"},
        Case{"{{upper .Count}}", "EXEC ERROR: template: :1:8: executing \"\" at <.Count>: wrong type for value; expected string; got int"},
        Case{"{{.Count | upper}}", "EXEC ERROR: template: :1:11: executing \"\" at <upper>: wrong type for value; expected string; got int"},
        Case{"{{upper .Missing}}", "EXEC ERROR: template: :1:8: executing \"\" at <.Missing>: invalid value; expected string"},
        Case{"{{truncate \"abc\" \"x\"}}", "EXEC ERROR: template: :1:17: executing \"\" at <\"x\">: expected integer; found \"x\""},
        Case{"{{truncate .Name 1.5}}", "EXEC ERROR: template: :1:17: executing \"\" at <1.5>: expected integer; found 1.5"},
        Case{"{{truncate .Name -1}}", "EXEC ERROR: template: :1:2: executing \"\" at <truncate .Name -1>: error calling truncate: runtime error: slice bounds out of range [:-1]"},
        Case{"{{pad .Name -1 0}}", "EXEC ERROR: template: :1:2: executing \"\" at <pad .Name -1 0>: error calling pad: strings: negative Repeat count"},
        Case{"{{join .Name \",\"}}", "EXEC ERROR: template: :1:7: executing \"\" at <.Name>: wrong type for value; expected []string; got string"},
        Case{"{{upper}}", "EXEC ERROR: template: :1:2: executing \"\" at <upper>: wrong number of args for upper: want 1 got 0"},
        Case{"{{upper \"a\" \"b\"}}", "EXEC ERROR: template: :1:2: executing \"\" at <upper>: wrong number of args for upper: want 1 got 2"},
        Case{"{{len 3}}", "EXEC ERROR: template: :1:2: executing \"\" at <len 3>: error calling len: len of type int"},
        Case{"{{eq 1 \"a\"}}", "EXEC ERROR: template: :1:2: executing \"\" at <eq 1 \"a\">: error calling eq: incompatible types for comparison"},
        Case{"{{eq 1}}", "EXEC ERROR: template: :1:2: executing \"\" at <eq 1>: error calling eq: missing argument for comparison"},
        Case{"{{lt true false}}", "EXEC ERROR: template: :1:2: executing \"\" at <lt true false>: error calling lt: invalid type for comparison"},
        Case{"{{eq .List .List}}", "EXEC ERROR: template: :1:2: executing \"\" at <eq .List .List>: error calling eq: non-comparable type [a b c]: []interface {}"},
        Case{"{{range .Name}}{{end}}", "EXEC ERROR: template: :1:8: executing \"\" at <.Name>: range can't iterate over web"},
        Case{"{{upper nil}}", "EXEC ERROR: template: :1:8: executing \"\" at <nil>: cannot assign nil to string"},
        Case{"{{nil}}", "EXEC ERROR: template: :1:2: executing \"\" at <nil>: nil is not a command"},
        Case{"{{.Name 1}}", "EXEC ERROR: template: :1:2: executing \"\" at <.Name>: Name is not a method but has arguments"},
        Case{"{{3 | upper}}", "EXEC ERROR: template: :1:6: executing \"\" at <upper>: wrong type for value; expected string; got int"},
        Case{"{{\"x\" | .Name}}", "EXEC ERROR: template: :1:8: executing \"\" at <.Name>: Name is not a method but has arguments"},
        Case{"a\n{{.Name.X}}", "EXEC ERROR: template: :2:7: executing \"\" at <.Name.X>: can't evaluate field X in type string"}));

TEST(TemplateTest, ErrorsAreInvalidArgument) {
  auto bad = Template::Parse("{{.Name");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  auto t = Template::Parse("{{.Name.X}}");
  ASSERT_TRUE(t.ok());
  auto out = t->Execute(Data());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TemplateTest, ExecutesRepeatedlyOverDifferentRows) {
  auto t = Template::Parse("{{.Name}}:{{.Count}}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t->Execute(json{{"Name", "a"}, {"Count", 1}}), "a:1");
  EXPECT_EQ(*t->Execute(json{{"Name", "b"}, {"Count", 2}}), "b:2");
  // A template can be moved, e.g. into a std::optional or a vector.
  Template moved = std::move(*t);
  EXPECT_EQ(*moved.Execute(json{{"Name", "c"}, {"Count", 3}}), "c:3");
}

TEST(TemplateTest, DataNeedNotBeAnObject) {
  EXPECT_EQ(Render("{{.}}", json("text")), "text");
  EXPECT_EQ(Render("{{range .}}{{.}},{{end}}", json::array({1, 2})), "1,2,");
  EXPECT_EQ(Render("{{.X}}", json(nullptr)), "<no value>");
  EXPECT_EQ(Render("{{.X}}", json(5)), "EXEC ERROR: template: :1:2: executing \"\" at <.X>: can't evaluate field X in type int");
}

TEST(TemplateTest, JsonKeywordIsShorthand) {
  auto t = Template::Parse("json");
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->IsTable());
  EXPECT_EQ(*t->Execute(json{{"b", 1}, {"a", "x"}}), R"({"a":"x","b":1})");
}

TEST(TemplateTest, TableFormsAndHeaders) {
  auto t = Template::Parse("table {{.ID}}\\t{{.Name}}\\t{{.CreatedAt}}");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->IsTable());
  EXPECT_EQ(t->Header(), "ID\tNAME\tCREATED AT");
  EXPECT_EQ(t->Header({{"ID", "CONTAINER ID"}, {"Name", "NAMES"}}), "CONTAINER ID\tNAMES\tCREATED AT");
  EXPECT_EQ(*t->Execute(json{{"ID", "abc"}, {"Name", "web"}, {"CreatedAt", "now"}}), "abc\tweb\tnow");

  auto plain = Template::Parse("{{.ID}}");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->IsTable());
}

TEST(TemplateTest, BareTableUsesTheDefault) {
  auto t = Template::Parse("table", "table {{.ID}}\t{{.Image}}");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->IsTable());
  EXPECT_EQ(t->Header({{"ID", "CONTAINER ID"}}), "CONTAINER ID\tIMAGE");
  EXPECT_EQ(*t->Execute(json{{"ID", "abc"}, {"Image", "nginx"}}), "abc\tnginx");

  auto without_prefix = Template::Parse("table  ", "{{.ID}}");
  ASSERT_TRUE(without_prefix.ok());
  EXPECT_EQ(without_prefix->Header(), "ID");
}

TEST(TemplateTest, HeaderKeepsColumnNamesThroughFunctions) {
  auto t = Template::Parse("table {{upper .Name}}\t{{truncate .ID 12}}\t{{json .Labels}}\t{{pad .Size 1 1}}\t"
                           "{{.State.Status}}\t{{.RunningFor}}\t{{.size_rw}}\t{{.ContainerID}}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Header(), "NAME\tID\tLABELS\tSIZE\tSTATUS\tRUNNING FOR\tSIZE RW\tCONTAINER ID");
}

TEST(TemplateTest, HeaderOfAFailingTemplateStopsWhereItFails) {
  auto t = Template::Parse("table {{.ID}}\t{{range .Names}}x{{end}}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Header(), "ID\t");
}

// Every prefix and every single-byte corruption of a rich template either
// parses and runs or returns an error; none may crash or hang.
TEST(TemplateTest, MalformedTemplatesNeverCrash) {
  const std::string rich =
      "table {{- /* c */ -}} {{range $i, $e := .List}}{{if eq $i 1}}{{break}}{{else if lt $i 0}}{{continue}}"
      "{{end}}{{printf \"%-5s|%05.1f\" $e 1.5}}{{end}}{{with .State}}{{.Status | upper}}{{end}}"
      "{{index .Config.Labels \"com.example\"}}{{json (split \"a,b\" \",\")}}{{`raw`}}{{'x'}}{{(len .List)}}";
  const std::string noise = "{}()|$.\"`'-:=,/*\\ \t\nx0";
  size_t runs = 0;
  for (size_t n = 0; n <= rich.size(); ++n) {
    std::string prefix = rich.substr(0, n);
    auto t = Template::Parse(prefix);
    if (t.ok()) {
      (void)t->Execute(Data());
      (void)t->Header();
    }
    ++runs;
  }
  for (size_t i = 0; i < rich.size(); i += 3) {
    for (char c : noise) {
      std::string mutated = rich;
      mutated[i] = c;
      auto t = Template::Parse(mutated);
      if (t.ok()) (void)t->Execute(Data());
      ++runs;
    }
  }
  EXPECT_GT(runs, rich.size());
}

TEST(TemplateTest, DeepNestingIsRefusedNotOverflowed) {
  std::string deep = "{{" + std::string(5000, '(') + "1" + std::string(5000, ')') + "}}";
  auto t = Template::Parse(deep);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("max nesting depth exceeded"), std::string::npos) << t.status();
}

}  // namespace
}  // namespace skiff::cli
