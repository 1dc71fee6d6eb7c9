#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace ciro::kernels::cpu {

/// The twiddle factors of a radix-2 NTT of size n = 2^log_n over BabyBear, in Montgomery form,
/// one table for all levels: for every half-size h = 1, 2, 4, ..., n/2 the h factors
/// w_{2h}^i (i < h) are stored at [h - 1, 2h - 1), where w_{2h} = two_adic_generator(log 2h)
/// (or its inverse for the inverse transform). n - 1 words in all.
struct twiddle_table {
  unsigned log_n = 0;
  bool inverse = false;
  std::vector<std::uint32_t> words;

  /// The factors of level h (a power of two < n): w_{2h}^i at index i.
  const std::uint32_t* level(std::size_t h) const { return words.data() + h - 1; }
};

/// The shared table for (log_n, inverse), computed on first use and kept for the life of the
/// process (thread-safe). Precondition: log_n <= 27.
std::shared_ptr<const twiddle_table> twiddles(unsigned log_n, bool inverse);

}  // namespace ciro::kernels::cpu
