#include "manager/lifecycle/names.h"

#include <random>

#include "absl/strings/str_cat.h"

namespace skiff::manager {
namespace {

constexpr const char* kLeft[] = {
    "admiring", "adoring",  "agitated", "amazing",  "angry",    "awesome",  "blissful",
    "bold",     "boring",   "brave",    "busy",     "charming", "clever",   "cool",
    "dazzling", "determined", "eager",  "ecstatic", "elastic",  "elated",   "epic",
    "festive",  "focused",  "friendly", "funny",    "gallant",  "gifted",   "goofy",
    "happy",    "hopeful",  "hungry",   "jolly",    "keen",     "kind",     "laughing",
    "loving",   "lucid",    "magical",  "modest",   "nice",     "nifty",    "nostalgic",
    "optimistic", "peaceful", "pensive", "practical", "quirky",  "relaxed",  "romantic",
    "serene",   "sharp",    "silly",    "stoic",    "sweet",    "tender",   "trusting",
    "upbeat",   "vibrant",  "vigilant", "wizardly", "wonderful", "youthful", "zealous",
};
constexpr const char* kRight[] = {
    "albattani", "allen",    "archimedes", "babbage",  "bardeen",  "bell",     "bohr",
    "borg",      "brahmagupta", "cerf",    "curie",    "darwin",   "dijkstra", "einstein",
    "euclid",    "euler",    "faraday",    "fermat",   "feynman",  "galileo",  "gauss",
    "hamilton",  "hopper",   "hypatia",    "johnson",  "kepler",   "knuth",    "lamport",
    "liskov",    "lovelace", "mccarthy",   "meitner",  "morse",    "newton",   "noether",
    "pascal",    "pike",     "ritchie",    "shannon",  "sinoussi", "tesla",    "thompson",
    "torvalds",  "turing",   "wilson",     "wozniak",  "wright",   "yalow",
};

}  // namespace

bool ValidContainerName(absl::string_view name) {
  if (name.empty()) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return false;
  for (char c : name) {
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

std::string GenerateContainerName(const std::function<bool(const std::string&)>& taken) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<size_t> l(0, std::size(kLeft) - 1), r(0, std::size(kRight) - 1);
  for (int attempt = 0;; ++attempt) {
    std::string name = absl::StrCat(kLeft[l(rng)], "_", kRight[r(rng)]);
    if (attempt >= 3) absl::StrAppend(&name, std::uniform_int_distribution<int>(0, 9)(rng));
    if (!taken(name)) return name;
  }
}

}  // namespace skiff::manager
