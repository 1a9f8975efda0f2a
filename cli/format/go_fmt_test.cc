#include "cli/format/go_fmt.h"

#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace skiff::cli::gofmt {
namespace {

using nlohmann::json;

TEST(GoFmtTest, FloatsPrintLikeGoPercentV) {
  EXPECT_EQ(FormatFloatShortest(0.5), "0.5");
  EXPECT_EQ(FormatFloatShortest(100.0), "100");
  EXPECT_EQ(FormatFloatShortest(123456.0), "123456");
  EXPECT_EQ(FormatFloatShortest(1234567.0), "1.234567e+06");
  EXPECT_EQ(FormatFloatShortest(0.0001), "0.0001");
  EXPECT_EQ(FormatFloatShortest(0.00001), "1e-05");
  EXPECT_EQ(FormatFloatShortest(-2.5), "-2.5");
  EXPECT_EQ(FormatFloatShortest(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatFloatShortest(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatFloatShortest(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(GoFmtTest, SprintOfCompositesSortsKeysAndPrintsNilInside) {
  json v = json::parse(R"({"b":[1,"x",null,true],"a":{"z":1.5}})");
  EXPECT_EQ(Sprint(v), "map[a:map[z:1.5] b:[1 x <nil> true]]");
  EXPECT_EQ(Sprint(json(nullptr)), "<nil>");
  EXPECT_EQ(Sprint(json::parse("18446744073709551615")), "18446744073709551615");
}

TEST(GoFmtTest, JsonIsGoEncoding) {
  EXPECT_EQ(Json(json::parse(R"({"b":1,"a":[true,null,"<&>"]})")), R"({"a":[true,null,"<&>"],"b":1})");
  EXPECT_EQ(Json(json(100.0)), "100");
  EXPECT_EQ(Json(json(1e21)), "1e+21");
  EXPECT_EQ(Json(json(1e-7)), "1e-7");
  EXPECT_EQ(Json(json(0.000001)), "0.000001");
  EXPECT_EQ(Json(json("tab\tnl\nbell\x07")), R"("tab\tnl\nbell\u0007")");
  EXPECT_EQ(Json(json("bad \xff byte")), R"("bad \ufffd byte")");
  EXPECT_EQ(Json(json("\xe2\x80\xa8")), R"("\u2028")");
}

TEST(GoFmtTest, QuoteEscapesLikeStrconv) {
  EXPECT_EQ(Quote("a\"b\\c\n"), R"("a\"b\\c\n")");
  EXPECT_EQ(Quote("\x01\x7f"), R"("\x01\x7f")");
  EXPECT_EQ(Quote("héllo"), "\"héllo\"");
  EXPECT_EQ(Quote("\xff"), R"("\xff")");
}

TEST(GoFmtTest, SprintfHandlesMisuseWithoutCrashing) {
  EXPECT_EQ(Sprintf("%d|%s", {json(1)}), "1|%!s(MISSING)");
  EXPECT_EQ(Sprintf("%", {}), "%!(NOVERB)");
  EXPECT_EQ(Sprintf("%*d", {json("x"), json(1)}), "%!(BADWIDTH)1");
  EXPECT_EQ(Sprintf("%-*d|", {json(-4), json(1)}), "1   |");
  EXPECT_EQ(Sprintf("%.*f", {json(-1), json(1.5)}), "%!(BADPREC)1.500000");
  EXPECT_EQ(Sprintf("%q %c", {json(65), json(0x263A)}), "'A' ☺");
  EXPECT_EQ(Sprintf("%999999999d|", {json(1)}), "%!(NOVERB)%!(EXTRA int=1)");
  EXPECT_EQ(Sprintf("%.99999999f", {json(1.0)}), "%!(NOVERB)%!(EXTRA float64=1)");
  EXPECT_EQ(Sprintf("%v", {json::binary({1, 2})}), "%!v(binary)");
}

TEST(GoFmtTest, SprintlnAndSprintSpacing) {
  EXPECT_EQ(Sprintln({json("a"), json(1)}), "a 1\n");
  EXPECT_EQ(SprintArgs({json(1), json(2), json("a"), json(3)}), "1 2a3");
  EXPECT_EQ(TypeName(json::object()), "map[string]interface {}");
}

}  // namespace
}  // namespace skiff::cli::gofmt
