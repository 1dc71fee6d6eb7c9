#include "hash/commit.hpp"

#include <algorithm>
#include <string_view>

namespace ciro::hash {
namespace {

// A Cairo short string: the ASCII bytes of s (at most 31) as a big-endian integer.
constexpr felt252 short_string(std::string_view s) {
  felt252::limbs x{};
  for (std::size_t i = 0; i < s.size(); ++i) {
    const std::size_t byte = s.size() - 1 - i;  // position from the least significant end
    x[byte / 8] |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(s[i])) << (8 * (byte % 8));
  }
  return felt252::from_canonical(x);
}

constexpr felt252 tag_bytes = short_string("ciro.commit.bytes.v1");
constexpr felt252 tag_u32 = short_string("ciro.commit.u32.v1");
constexpr felt252 tag_u31_value = short_string("ciro.commit.u31.v1");
constexpr felt252 tag_felt = short_string("ciro.commit.felt.v1");

starknet::poseidon_sponge start(const felt252& tag, std::size_t n) {
  starknet::poseidon_sponge sponge;
  sponge.absorb(tag);
  sponge.absorb(felt252::from_u64(n));
  return sponge;
}

}  // namespace

felt252 commit_detail::tag_u31() { return tag_u31_value; }

felt252 commit_bytes(std::span<const std::uint8_t> data) {
  starknet::poseidon_sponge sponge = start(tag_bytes, data.size());
  for (std::size_t i = 0; i < data.size(); i += 31) {
    const std::size_t m = std::min<std::size_t>(31, data.size() - i);
    felt252::limbs w{};
    for (std::size_t j = 0; j < m; ++j) {
      const std::size_t byte = m - 1 - j;
      w[byte / 8] |= static_cast<std::uint64_t>(data[i + j]) << (8 * (byte % 8));
    }
    sponge.absorb(felt252::from_canonical(w));  // < 2^248 < p
  }
  return sponge.finalize();
}

felt252 commit_u32(std::span<const std::uint32_t> values) {
  starknet::poseidon_sponge sponge = start(tag_u32, values.size());
  for (std::size_t i = 0; i < values.size(); i += 7) {
    felt252::limbs w{};
    for (std::size_t j = 0; j < 7 && i + j < values.size(); ++j) {
      w[j / 2] |= static_cast<std::uint64_t>(values[i + j]) << (32 * (j % 2));
    }
    sponge.absorb(felt252::from_canonical(w));  // < 2^224 < p
  }
  return sponge.finalize();
}

felt252 commit_u31(std::span<const std::uint32_t> values) {
  return commit_detail::commit_u31_with(values.size(), [&](std::size_t i) { return values[i]; });
}

felt252 commit_felts(std::span<const felt252> values) {
  starknet::poseidon_sponge sponge = start(tag_felt, values.size());
  sponge.absorb(values);
  return sponge.finalize();
}

}  // namespace ciro::hash
