// The ledger itself: readable, every entry names a test of this suite and a
// known runtime, and LEDGER.md's table lists exactly the entries of
// ledger.txt (the table is for people, ledger.txt for the suite).
#include <fnmatch.h>

#include <fstream>
#include <set>
#include <sstream>

#include "gtest/gtest.h"
#include "tests/conformance/conformance.h"

namespace skiff::conformance {
namespace {

using itest::Trim;

std::string MarkdownPath() {
  std::string p = LedgerPath();
  return p.substr(0, p.rfind('/') + 1) + "LEDGER.md";
}

// (runtime, test) pairs of the table rows in LEDGER.md's "## Skipped cases"
// section: | runtime | `test` | ... |
std::set<std::pair<std::string, std::string>> MarkdownRows(std::string* error) {
  std::set<std::pair<std::string, std::string>> rows;
  std::ifstream f(MarkdownPath());
  if (!f) {
    *error = "cannot read " + MarkdownPath();
    return rows;
  }
  bool in_section = false;
  for (std::string line; std::getline(f, line);) {
    std::string t = Trim(line);
    if (t.rfind("## ", 0) == 0) in_section = t == "## Skipped cases";
    if (!in_section || t.size() < 2 || t[0] != '|') continue;
    std::vector<std::string> cells;
    std::stringstream ss(t.substr(1));
    for (std::string cell; std::getline(ss, cell, '|');) {
      cell = Trim(cell);
      if (cell.size() >= 2 && cell.front() == '`' && cell.back() == '`')
        cell = cell.substr(1, cell.size() - 2);
      cells.push_back(cell);
    }
    if (cells.size() < 2 || cells[0] == "Runtime" || cells[0].rfind("---", 0) == 0 ||
        cells[0].rfind(":--", 0) == 0)
      continue;
    rows.insert({cells[0], cells[1]});
  }
  return rows;
}

TEST(Ledger, IsReadable) {
  std::string err;
  Ledger(&err);
  EXPECT_EQ(err, "") << LedgerPath();
}

TEST(Ledger, EntriesNameTestsOfThisSuite) {
  std::set<std::string> tests;
  auto* unit = ::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit->total_test_suite_count(); i++) {
    const auto* suite = unit->GetTestSuite(i);
    for (int j = 0; j < suite->total_test_count(); j++)
      tests.insert(std::string(suite->name()) + "." + suite->GetTestInfo(j)->name());
  }
  for (const auto& e : Ledger()) {
    SCOPED_TRACE("ledger.txt line " + std::to_string(e.line));
    EXPECT_TRUE(e.runtime == "ocirun" || e.runtime == "runc" || e.runtime == "crun")
        << "unknown runtime " << e.runtime;
    bool found = false;
    for (const auto& t : tests) found = found || fnmatch(e.test.c_str(), t.c_str(), 0) == 0;
    EXPECT_TRUE(found) << e.test << " names no test of the suite";
  }
}

TEST(Ledger, MarkdownTableMatchesLedgerTxt) {
  std::string err;
  auto rows = MarkdownRows(&err);
  ASSERT_EQ(err, "");
  std::set<std::pair<std::string, std::string>> entries;
  for (const auto& e : Ledger()) entries.insert({e.runtime, e.test});
  for (const auto& e : entries)
    EXPECT_TRUE(rows.count(e)) << "ledger.txt has `" << e.first << " " << e.second
                               << "` but LEDGER.md's table does not";
  for (const auto& r : rows)
    EXPECT_TRUE(entries.count(r)) << "LEDGER.md's table has `" << r.first << " " << r.second
                                  << "` but ledger.txt does not";
}

}  // namespace
}  // namespace skiff::conformance
