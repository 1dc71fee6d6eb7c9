#include "consensus/validator_set.hpp"

#include <algorithm>
#include <set>

#include "consensus/digest.hpp"
#include "consensus/encoding.hpp"
#include "core/check.hpp"

namespace ciro::consensus {

result<validator_set, validator_set_error_code> validator_set::make(std::vector<validator> validators) {
  using code = validator_set_error_code;
  if (validators.empty()) return error<code>{code::empty, "the validator set is empty"};
  if (validators.size() > max_validators) {
    return error<code>{code::too_many,
                       std::to_string(validators.size()) + " validators, at most " + std::to_string(max_validators)};
  }
  std::set<public_key> keys;
  validator_set set;
  for (std::size_t i = 0; i < validators.size(); ++i) {
    const validator& v = validators[i];
    if (v.stake > max_stake || v.reputation > max_reputation || v.uptime_permille > max_uptime_permille) {
      return error<code>{code::out_of_range,
                         "validator " + std::to_string(i) + ": stake, reputation or uptime out of range"};
    }
    if (!keys.insert(v.key).second) {
      return error<code>{code::duplicate_key, "validator " + std::to_string(i) + " repeats a public key"};
    }
    set.total_ += v.weight();
  }
  if (set.total_ == 0) return error<code>{code::zero_weight, "the validators hold no weight"};
  std::vector<std::uint64_t> weights;
  for (const validator& v : validators) weights.push_back(v.weight());
  std::sort(weights.rbegin(), weights.rend());
  std::uint64_t heaviest = 0;
  std::size_t smallest_third = 0;
  while (3 * heaviest < set.total_) heaviest += weights[smallest_third++];
  set.f_ = smallest_third - 1;
  if (set.f_ == 0) {
    return error<code>{code::no_fault_tolerated,
                       "the heaviest validator holds a third of the weight: f = 0, no fault tolerated"};
  }
  // The f heaviest hold less than W/3 and the other N - f at most twice as much per head as
  // they do, yet more than 2W/3: so N - f >= 2f + 1.
  CIRO_CHECK(validators.size() >= 3 * set.f_ + 1);
  set.validators_ = std::move(validators);
  return set;
}

std::array<std::uint8_t, 32> validator_set::digest() const {
  byte_writer w;
  w.u32(static_cast<std::uint32_t>(validators_.size()));
  for (const validator& v : validators_) {
    w.bytes(v.key);
    w.u64(v.stake);
    w.u32(v.reputation);
    w.u32(v.uptime_permille);
  }
  return sha256(w.data());
}

}  // namespace ciro::consensus
