#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "field/babybear.hpp"
#include "field/felt252.hpp"
#include "hash/poseidon2.hpp"
#include "hash/starknet_poseidon.hpp"

namespace ciro::cli {
namespace {

using field::babybear;
using field::felt252;

constexpr const char* hash_usage =
    "usage: ciro hash poseidon2-babybear V1 ... V16   (or 24 values)\n"
    "       ciro hash starknet-poseidon X Y\n"
    "       ciro hash starknet-poseidon-single X\n"
    "       ciro hash starknet-poseidon-many [X ...]\n"
    "values are decimal or 0x-prefixed hex and must be below the field's modulus";

/// True when s is a decimal or 0x-hex numeral (whatever its size), to tell "not a number" from
/// "too large" in error messages.
bool is_numeral(const std::string& s) {
  std::string_view digits = s;
  const bool hex = digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
  if (hex) digits.remove_prefix(2);
  if (digits.empty()) return false;
  for (const char c : digits) {
    if (!(hex ? std::isxdigit(static_cast<unsigned char>(c)) : std::isdigit(static_cast<unsigned char>(c))))
      return false;
  }
  return true;
}

/// Parses a value below the modulus, or prints a one-line error and returns nothing.
std::optional<felt252> parse_felt(const std::string& s) {
  const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  auto v = hex ? felt252::from_hex(s) : felt252::from_dec(s);
  if (!v) {
    usage_error(is_numeral(s) ? "hash: value " + s + " is not below the Stark field modulus 2^251 + 17*2^192 + 1"
                              : "hash: '" + s + "' is not a number (decimal or 0x-hex)");
  }
  return v;
}

std::optional<babybear> parse_babybear(const std::string& s) {
  const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  const char* first = s.data() + (hex ? 2 : 0);
  const char* last = s.data() + s.size();
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(first, last, v, hex ? 16 : 10);
  if (first == last || end != last || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    usage_error("hash: '" + s + "' is not a number (decimal or 0x-hex)");
    return std::nullopt;
  }
  const auto x = ec == std::errc() ? babybear::try_from_canonical(v) : std::nullopt;
  if (!x) usage_error("hash: value " + s + " is not below the BabyBear modulus 2013265921");
  return x;
}

template <std::size_t Width>
int permute_and_print(const std::vector<std::string>& values) {
  std::array<babybear, Width> state;
  for (std::size_t i = 0; i < Width; ++i) {
    const auto v = parse_babybear(values[i]);
    if (!v) return exit_usage;
    state[i] = *v;
  }
  hash::poseidon2_permute(state);
  for (std::size_t i = 0; i < Width; ++i) std::printf(i ? " %u" : "%u", state[i].to_canonical());
  std::printf("\n");
  return exit_ok;
}

}  // namespace

int hash_command(const std::vector<std::string>& args) {
  if (args.empty()) return usage_error("hash: missing hash name (see ciro hash --help)");
  const std::string& name = args.front();
  if (name == "--help" || name == "-h") {
    std::puts(hash_usage);
    return exit_ok;
  }
  const std::vector<std::string> values(args.begin() + 1, args.end());
  if (name == "poseidon2-babybear") {
    if (values.size() == 16) return permute_and_print<16>(values);
    if (values.size() == 24) return permute_and_print<24>(values);
    return usage_error("hash: poseidon2-babybear takes 16 or 24 values, got " + std::to_string(values.size()));
  }
  const bool pair = name == "starknet-poseidon", single = name == "starknet-poseidon-single",
             many = name == "starknet-poseidon-many";
  if (!pair && !single && !many) return usage_error("hash: unknown hash '" + name + "' (see ciro hash --help)");
  if (pair && values.size() != 2)
    return usage_error("hash: starknet-poseidon takes 2 values, got " + std::to_string(values.size()));
  if (single && values.size() != 1) {
    return usage_error("hash: starknet-poseidon-single takes 1 value, got " + std::to_string(values.size()));
  }
  std::vector<felt252> xs;
  for (const auto& s : values) {
    const auto v = parse_felt(s);
    if (!v) return exit_usage;
    xs.push_back(*v);
  }
  const felt252 h = pair     ? hash::starknet::poseidon_hash(xs[0], xs[1])
                    : single ? hash::starknet::poseidon_hash_single(xs[0])
                             : hash::starknet::poseidon_hash_many(xs);
  std::printf("%s\n", h.to_hex().c_str());
  return exit_ok;
}

}  // namespace ciro::cli
