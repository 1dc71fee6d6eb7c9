#include "hash/challenger.hpp"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "core/check.hpp"
#include "hash/poseidon2.hpp"
#include "hash/poseidon2_packed.hpp"

namespace ciro::hash {

void challenger::duplexing() {
  CIRO_DCHECK(input_len_ <= rate);
  for (std::size_t i = 0; i < input_len_; ++i) state_[i] = input_[i];
  if (input_len_ > 0) {
    for (std::size_t i = input_len_; i < rate; ++i) state_[i] = babybear::zero();
    state_[rate] += babybear::from_canonical(static_cast<std::uint32_t>(input_len_));
  }
  poseidon2_permute(state_);
  input_len_ = 0;
  for (std::size_t i = 0; i < rate; ++i) output_[i] = state_[i];
  output_len_ = rate;
}

void challenger::observe(babybear x) {
  output_len_ = 0;
  input_[input_len_++] = x;
  if (input_len_ == rate) duplexing();
}

void challenger::observe(std::span<const babybear> xs) {
  for (const babybear x : xs) observe(x);
}

void challenger::observe(const digest& d) { observe(std::span<const babybear>(d)); }

void challenger::observe_ext(const field::babybear4& x) {
  for (unsigned i = 0; i < field::babybear4::degree; ++i) observe(x.coeff(i));
}

babybear challenger::sample() {
  if (input_len_ > 0 || output_len_ == 0) duplexing();
  return output_[--output_len_];
}

field::babybear4 challenger::sample_ext() {
  std::array<babybear, field::babybear4::degree> cs;
  for (auto& c : cs) c = sample();
  return field::babybear4::from_coeffs(cs);
}

std::uint32_t challenger::sample_bits(unsigned bits) {
  CIRO_CHECK(bits <= max_bits);
  return sample().to_canonical() & ((std::uint32_t{1} << bits) - 1);
}

bool challenger::check_witness(unsigned bits, babybear witness) {
  CIRO_CHECK(bits <= max_bits);
  if (bits == 0) return true;
  observe(witness);
  return sample_bits(bits) == 0;
}

babybear challenger::grind(unsigned bits) {
  CIRO_CHECK(bits <= max_bits);
  if (bits == 0) return babybear::zero();

  // observe(w) followed by sample() is one duplexing of the buffered inputs plus w, whose first
  // output is s[7]. Every candidate shares the state before the permutation except s[slot] = w.
  const std::size_t slot = input_len_;
  std::array<babybear, width> base = state_;
  for (std::size_t i = 0; i < slot; ++i) base[i] = input_[i];
  for (std::size_t i = slot; i < rate; ++i) base[i] = babybear::zero();
  base[rate] += babybear::from_canonical(static_cast<std::uint32_t>(slot + 1));
  const std::uint32_t mask = (std::uint32_t{1} << bits) - 1;

  // Blocks of `block` consecutive candidates are claimed in increasing order from a shared
  // counter by one task per core; a task stops claiming once the next block starts at or past the
  // best witness found. Every block below the final best was claimed and searched completely, so
  // the result is the smallest passing witness whatever the scheduling.
  constexpr std::uint64_t block = 256;
  constexpr std::uint64_t none = ~std::uint64_t{0};
  std::atomic<std::uint64_t> next_block{0};
  std::atomic<std::uint64_t> best{none};
  const auto search = [&] {
    std::vector<std::array<babybear, width>> states(block);
    for (;;) {
      const std::uint64_t start = next_block.fetch_add(1) * block;
      if (start >= babybear::modulus || start >= best.load()) return;
      const std::uint64_t end = std::min<std::uint64_t>(start + block, babybear::modulus);
      states.assign(end - start, base);
      for (std::uint64_t w = start; w < end; ++w) {
        states[w - start][slot] = babybear::from_canonical(static_cast<std::uint32_t>(w));
      }
      poseidon2_permute_many(std::span(states));
      for (std::uint64_t w = start; w < end; ++w) {
        if ((states[w - start][rate - 1].to_canonical() & mask) != 0) continue;
        std::uint64_t seen = best.load();
        while (w < seen && !best.compare_exchange_weak(seen, w)) {
        }
        break;
      }
    }
  };
  const int tasks = tbb::this_task_arena::max_concurrency();
  tbb::parallel_for(0, tasks, [&](int) { search(); });
  if (best.load() != none) {
    const babybear witness = babybear::from_canonical(static_cast<std::uint32_t>(best.load()));
    CIRO_CHECK(check_witness(bits, witness));
    return witness;
  }
  CIRO_CHECK(false && "no proof-of-work witness in the field");
  return babybear::zero();
}

}  // namespace ciro::hash
