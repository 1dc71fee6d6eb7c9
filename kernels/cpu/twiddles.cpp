#include "kernels/cpu/twiddles.hpp"

#include <map>
#include <mutex>

#include <tbb/parallel_for.h>

#include "core/check.hpp"
#include "field/babybear.hpp"

namespace ciro::kernels::cpu {
namespace {

using field::babybear;

std::shared_ptr<const twiddle_table> compute(unsigned log_n, bool inverse) {
  auto table = std::make_shared<twiddle_table>();
  table->log_n = log_n;
  table->inverse = inverse;
  const std::size_t n = std::size_t{1} << log_n;
  table->words.resize(n > 1 ? n - 1 : 0);
  if (n < 2) return table;
  // Top level (h = n/2): powers of w_n, filled in parallel chunks that each start from a pow().
  babybear w = babybear::two_adic_generator(log_n);
  if (inverse) w = w.inverse();
  const std::size_t top = n / 2;
  std::uint32_t* top_level = table->words.data() + top - 1;
  constexpr std::size_t chunk = 4096;
  tbb::parallel_for(std::size_t{0}, (top + chunk - 1) / chunk, [&](std::size_t c) {
    babybear x = w.pow(c * chunk);
    for (std::size_t i = c * chunk; i < std::min(top, (c + 1) * chunk); ++i, x *= w) top_level[i] = x.monty();
  });
  // Lower levels: w_{2h}^i = w_{4h}^{2i}, every other factor of the level above.
  for (std::size_t h = top / 2; h >= 1; h /= 2) {
    const std::uint32_t* above = table->words.data() + 2 * h - 1;
    std::uint32_t* level = table->words.data() + h - 1;
    for (std::size_t i = 0; i < h; ++i) level[i] = above[2 * i];
  }
  return table;
}

}  // namespace

std::shared_ptr<const twiddle_table> twiddles(unsigned log_n, bool inverse) {
  CIRO_CHECK(log_n <= babybear::two_adicity);
  static std::mutex mutex;
  static std::map<std::pair<unsigned, bool>, std::shared_ptr<const twiddle_table>> cache;
  {
    std::lock_guard lock(mutex);
    if (auto it = cache.find({log_n, inverse}); it != cache.end()) return it->second;
  }
  // Computed outside the lock: compute() runs TBB tasks, and a thread waiting on them may pick
  // up another task that asks for twiddles. Two threads may compute the same table; the first
  // one stored wins.
  auto table = compute(log_n, inverse);
  std::lock_guard lock(mutex);
  return cache.try_emplace({log_n, inverse}, std::move(table)).first->second;
}

}  // namespace ciro::kernels::cpu
