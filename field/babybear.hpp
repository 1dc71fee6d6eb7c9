#pragma once

#include "field/monty31.hpp"

namespace ciro::field {

/// BabyBear: p = 2^31 - 2^27 + 1 = 15 * 2^27 + 1, two-adicity 27, multiplicative generator 31
/// (Plonky3's choice, so two-adic generators and NTT outputs match Plonky3's).
struct babybear_params {
  static constexpr std::uint32_t modulus = 0x78000001u;
  static constexpr std::uint32_t generator = 31;
};
using babybear = monty31<babybear_params>;

/// KoalaBear: p = 2^31 - 2^24 + 1 = 127 * 2^24 + 1, two-adicity 24, generator 3 (Plonky3's).
struct koalabear_params {
  static constexpr std::uint32_t modulus = 0x7f000001u;
  static constexpr std::uint32_t generator = 3;
};
using koalabear = monty31<koalabear_params>;

}  // namespace ciro::field
