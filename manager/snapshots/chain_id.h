#pragma once
// Chain ids (OCI image-spec config.md, "Layer ChainID"): the identity of a
// stack of layers, used to name committed snapshots so that a layer stack is
// unpacked once, whatever image it came from.
//
//   ChainID(L0)       = DiffID(L0)
//   ChainID(L0..Ln)   = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln))
//
// where the digests are in their "sha256:<hex>" form.

#include <vector>

#include "manager/content/digest.h"

namespace skiff::manager {

// The chain id of `parent_chain` + one layer; `parent_chain` empty for the
// bottom layer.
Digest ChainId(const Digest& parent_chain, const Digest& diff_id);

// The chain id of every prefix of `diff_ids`: out[i] names layers 0..i.
std::vector<Digest> ChainIds(const std::vector<Digest>& diff_ids);

}  // namespace skiff::manager
