#pragma once

// The integer arithmetic of Ciro's fixed-point scheme (docs/zkml.md): every rounding the integer
// inference makes is one of these, so that the proof can attest it with a range-checked remainder.

#include <cmath>
#include <cstdint>

namespace ciro::zkml::fixed {

/// BabyBear's modulus p = 2^31 - 2^27 + 1. A signed integer v is represented by v mod p; the
/// representation is faithful (no two distinct values collide) as long as |v| <= field_half.
inline constexpr std::int64_t field_modulus = (std::int64_t{1} << 31) - (std::int64_t{1} << 27) + 1;
/// (p - 1) / 2 = 1,006,632,960 (about 2^29.9): the largest magnitude an accumulator may reach.
inline constexpr std::int64_t field_half = (field_modulus - 1) / 2;

/// floor(a / b) for b > 0 (C++ division truncates toward zero).
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

/// round(a / b) with ties rounded up: floor((2a + b) / 2b), for b > 0. The proof checks it as
/// 2a + b = 2b q + r with 0 <= r < 2b. Precondition: |2a + b| fits in int64.
constexpr std::int64_t div_round(std::int64_t a, std::int64_t b) { return floor_div(2 * a + b, 2 * b); }

/// v * 2^-shift rounded to the nearest integer, ties up: floor((v + 2^(shift-1)) / 2^shift) for
/// shift > 0; v * 2^-shift exactly (a multiplication) for shift <= 0. Precondition: shift <= 62,
/// and for shift < 0 the product fits in int64 (callers bound it by the field).
constexpr std::int64_t round_shift(std::int64_t v, int shift) {
  if (shift <= 0) return v * (std::int64_t{1} << -shift);
  return (v + (std::int64_t{1} << (shift - 1))) >> shift;  // >> on a signed value is floor (C++20)
}

/// x * 2^frac rounded to the nearest integer (ties away from zero, std::llround), the quantization
/// of a real value. Precondition: |x| * 2^frac < 2^62.
inline std::int64_t quantize(double x, int frac) { return std::llround(std::ldexp(x, frac)); }

/// q * 2^-frac, the real value a fixed-point integer stands for (exact in double for |q| < 2^53).
inline double dequantize(std::int64_t q, int frac) { return std::ldexp(static_cast<double>(q), -frac); }

/// The largest frac with max_abs * 2^frac <= limit (limit > 0), clamped to [lo, hi]; hi when
/// max_abs is 0. The fixed-point position chosen for a tensor whose values reach max_abs.
inline int frac_for(double max_abs, double limit, int lo, int hi) {
  if (!(max_abs > 0)) return hi;
  const int f = static_cast<int>(std::floor(std::log2(limit / max_abs)));
  // log2 may be off by one ulp at exact powers of two: step down until the bound holds.
  int g = f < lo ? lo : (f > hi ? hi : f);
  while (g > lo && std::ldexp(max_abs, g) > limit) --g;
  return g;
}

}  // namespace ciro::zkml::fixed
