#include "manager/snapshots/chain_id.h"

namespace skiff::manager {

Digest ChainId(const Digest& parent_chain, const Digest& diff_id) {
  if (parent_chain.empty()) return diff_id;
  return Sha256Of(parent_chain.str() + " " + diff_id.str());
}

std::vector<Digest> ChainIds(const std::vector<Digest>& diff_ids) {
  std::vector<Digest> out;
  Digest chain;
  for (const Digest& d : diff_ids) {
    chain = ChainId(chain, d);
    out.push_back(chain);
  }
  return out;
}

}  // namespace skiff::manager
