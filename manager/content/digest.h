#pragma once
// Content digests: "sha256:<64 lowercase hex>", the only algorithm Skiff
// accepts, and a streaming SHA-256 (OpenSSL's EVP) that produces them.
//
//   ASSIGN_OR_RETURN(Digest d, Digest::Parse("sha256:e3b0c442..."));
//   Sha256 h;  h.Update("abc");  Digest got = h.Finish();
//   if (got != d) ...

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace skiff::manager {

class Digest {
 public:
  // An empty (invalid) digest; `empty()` is true. Only Parse/FromHex/Sha256
  // make a valid one.
  Digest() = default;

  // Accepts exactly "sha256:" followed by 64 lowercase hex digits. Errors
  // name the input and what is wrong with it (InvalidArgument).
  static absl::StatusOr<Digest> Parse(absl::string_view s);
  // Accepts the 64 hex digits alone (a blob's file name).
  static absl::StatusOr<Digest> FromHex(absl::string_view hex);

  bool empty() const { return hex_.empty(); }
  const std::string& hex() const { return hex_; }
  std::string algorithm() const { return "sha256"; }
  std::string str() const { return empty() ? std::string() : "sha256:" + hex_; }
  // The first 12 hex digits, as docker shows image ids.
  std::string Short() const { return hex_.substr(0, 12); }

  friend bool operator==(const Digest& a, const Digest& b) { return a.hex_ == b.hex_; }
  friend bool operator!=(const Digest& a, const Digest& b) { return a.hex_ != b.hex_; }
  friend bool operator<(const Digest& a, const Digest& b) { return a.hex_ < b.hex_; }
  template <typename H>
  friend H AbslHashValue(H h, const Digest& d) {
    return H::combine(std::move(h), d.hex_);
  }

 private:
  explicit Digest(std::string hex) : hex_(std::move(hex)) {}
  friend class Sha256;
  std::string hex_;
};

// Incremental SHA-256. Update any number of times, then Finish once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t n);
  void Update(absl::string_view data) { Update(data.data(), data.size()); }
  Digest Finish();
  // Bytes hashed so far.
  uint64_t size() const { return size_; }

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
  uint64_t size_ = 0;
};

// The digest of `data` in one call.
Digest Sha256Of(absl::string_view data);

}  // namespace skiff::manager
