#include "manager/content/digest.h"

#include <openssl/evp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace skiff::manager {

namespace {

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<Digest> Digest::FromHex(absl::string_view hex) {
  if (hex.size() != 64 || !IsLowerHex(hex)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid sha256 digest `", hex, "`: want 64 lowercase hex digits"));
  }
  return Digest(std::string(hex));
}

absl::StatusOr<Digest> Digest::Parse(absl::string_view s) {
  size_t colon = s.find(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid digest `", s, "`: want sha256:<64 hex digits>"));
  }
  absl::string_view algo = s.substr(0, colon);
  if (algo != "sha256") {
    return absl::InvalidArgumentError(absl::StrCat("unsupported digest algorithm `", algo,
                                                   "` in `", s, "`: only sha256 is supported"));
  }
  absl::string_view hex = s.substr(colon + 1);
  if (hex.size() != 64 || !IsLowerHex(hex)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid digest `", s, "`: want sha256:<64 lowercase hex digits>"));
  }
  return Digest(std::string(hex));
}

struct Sha256::Ctx {
  EVP_MD_CTX* md = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  // Both calls fail only on allocation failure, which we treat like any
  // other out-of-memory condition.
  if (ctx_->md == nullptr || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1) abort();
}

Sha256::~Sha256() = default;

void Sha256::Update(const void* data, size_t n) {
  if (n == 0) return;
  EVP_DigestUpdate(ctx_->md, data, n);
  size_ += n;
}

Digest Sha256::Finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->md, out, &len);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    hex.push_back(kHex[out[i] >> 4]);
    hex.push_back(kHex[out[i] & 15]);
  }
  return Digest(std::move(hex));
}

Digest Sha256Of(absl::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.Finish();
}

}  // namespace skiff::manager
