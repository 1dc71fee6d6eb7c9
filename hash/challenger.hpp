#pragma once

// The Fiat-Shamir challenger: a duplex sponge over Poseidon2-16 (BabyBear), rate 8, capacity 8,
// transcript-compatible with Plonky3's DuplexChallenger<BabyBear, Poseidon2BabyBear<16>, 16, 8>
// (challenger/src/duplex_challenger.rs, with the length-binding absorb of Plonky3 PR #1769) and
// its GrindingChallenger.
//
// ## Transcript format (enough to replay it in another language)
//
// State: s in F_p^16, initially zero; an input buffer I (at most 8 elements) and an output buffer
// O (at most 8 elements), both initially empty. P is Plonky3's default Poseidon2-16 permutation.
//
// duplexing():
//   let m = |I|. Write I into s[0..m). If m > 0: set s[m..8) = 0 and s[8] += m (the absorbed
//   length, as a field element, bound into the first capacity element). (If m = 0, s is left
//   as is: a squeeze.) Then s = P(s), I = empty, O = (s[0], ..., s[7]).
// observe(x) (x in F_p):
//   O = empty; append x to I; if |I| = 8, duplexing().
// sample() -> F_p:
//   if I is non-empty or O is empty, duplexing(). Then remove and return the LAST element of O
//   (so the first sample after a duplexing is s[7], then s[6], ...).
//
// Everything else is built from these:
//  - observe(digest d): observe(d[0]), ..., observe(d[7]);
//  - observe_ext(a_0 + a_1 x + a_2 x^2 + a_3 x^3): observe(a_0), ..., observe(a_3);
//  - sample_ext(): a_i = sample() for i = 0, 1, 2, 3 in that order;
//  - sample_bits(k): the canonical value of sample(), masked to its low k bits (k <= 27);
//  - check_witness(k, w): if k = 0, accept without touching the transcript; else observe(w) and
//    accept iff sample_bits(k) = 0 (the low k bits of the sample are zero);
//  - grind(k): the smallest w in [0, p) that check_witness(k, w) accepts, then applies
//    check_witness(k, w) to this challenger (so prover and verifier transcripts stay in step).
//
// Uniformity of sample_bits(k): p = 15 * 2^27 + 1, so for k <= 27 the values 0..p-2 cover every
// k-bit pattern exactly 15 * 2^(27-k) times and only p - 1 (low bits zero) is extra: the bias is
// below 2^-30. Larger k would be visibly non-uniform, hence the bound.
//
// Grinding difficulty: a candidate passes with probability about 2^-k, so grind(k) costs about
// 2^k permutations (spread over all cores) and check_witness costs one.

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

#include "field/babybear.hpp"
#include "field/extension.hpp"
#include "hash/sponge.hpp"

namespace ciro::hash {

/// The duplex-sponge Fiat-Shamir challenger of the file comment. A value type: copying it forks
/// the transcript.
class challenger {
 public:
  static constexpr std::size_t width = 16;
  static constexpr std::size_t rate = 8;
  /// The largest k sample_bits, grind and check_witness accept.
  static constexpr unsigned max_bits = 27;

  /// Observes one element.
  void observe(babybear x);
  /// Observes the elements of `xs` in order.
  void observe(std::span<const babybear> xs);
  /// Observes the 8 elements of a digest in order (a Merkle root, say).
  void observe(const digest& d);
  /// Observes the 4 coefficients of an extension element, lowest degree first.
  void observe_ext(const field::babybear4& x);

  /// A challenge in F_p.
  babybear sample();
  /// A challenge in F_p^4: four samples, the first the constant coefficient.
  field::babybear4 sample_ext();

  /// Observes the coefficients of an extension E of BabyBear (babybear4, babybear5, ...), lowest
  /// degree first: observe_ext's rule for any degree (observe_ext_as<babybear4> == observe_ext).
  template <class E>
  requires std::same_as<typename E::base_type, babybear>
  void observe_ext_as(const E& x) {
    for (unsigned i = 0; i < E::degree; ++i) observe(x.coeff(i));
  }
  /// A challenge in an extension E of BabyBear: E::degree samples, the first the constant
  /// coefficient (sample_ext's rule for any degree; sample_ext_as<babybear4> == sample_ext).
  template <class E>
  requires std::same_as<typename E::base_type, babybear> E sample_ext_as() {
    std::array<babybear, E::degree> cs;
    for (auto& c : cs) c = sample();
    return E::from_coeffs(cs);
  }
  /// The low `bits` bits of the canonical value of sample(), in [0, 2^bits).
  /// Precondition (checked): bits <= max_bits.
  std::uint32_t sample_bits(unsigned bits);

  /// Proof of work: the smallest witness w in [0, p) such that a copy of this challenger, after
  /// observe(w), samples `bits` zero low bits; then this challenger observes w and samples, as
  /// check_witness does. Searches in parallel (TBB) with packed Poseidon2. Returns 0 for bits 0.
  /// Precondition (checked): bits <= max_bits. Cost: about 2^bits permutations.
  babybear grind(unsigned bits);
  /// Verifies a proof-of-work witness and advances the transcript past it: for bits = 0 returns
  /// true and changes nothing; else observe(witness) and return sample_bits(bits) == 0.
  /// Precondition (checked): bits <= max_bits. Cost: one permutation.
  [[nodiscard]] bool check_witness(unsigned bits, babybear witness);

  friend bool operator==(const challenger&, const challenger&) = default;

 private:
  void duplexing();

  std::array<babybear, width> state_{};
  std::array<babybear, rate> input_{};
  std::array<babybear, rate> output_{};
  std::size_t input_len_ = 0;
  std::size_t output_len_ = 0;
};

}  // namespace ciro::hash
