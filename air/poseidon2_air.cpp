#include "air/poseidon2_air.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "core/buffer.hpp"
#include "core/check.hpp"
#include "hash/poseidon2_packed.hpp"

namespace ciro::air {

using field::babybear;
using cols = poseidon2_columns;
using state = std::array<babybear, cols::state_width>;

state fill_poseidon2_row(std::span<babybear> row, const state& input) {
  CIRO_CHECK(row.size() == cols::count);
  const hash::poseidon2_constants<16>& rc = hash::poseidon2_default_constants<16>;
  state s = input;
  for (std::size_t i = 0; i < cols::state_width; ++i) row[cols::input + i] = s[i];

  auto full_round = [&](const babybear* c, std::size_t r) {
    for (std::size_t i = 0; i < cols::state_width; ++i) {
      const babybear x = s[i] + c[i];
      const babybear cube = x * x * x;
      row[cols::full_cube(r, i)] = cube;
      s[i] = cube * cube * x;
    }
    hash::poseidon2_external_layer<16>(s.data());
    for (std::size_t i = 0; i < cols::state_width; ++i) row[cols::full_post(r, i)] = s[i];
  };

  hash::poseidon2_external_layer<16>(s.data());
  for (std::size_t r = 0; r < cols::half_full_rounds; ++r) full_round(rc.external_initial[r], r);
  for (std::size_t r = 0; r < cols::partial_rounds; ++r) {
    const babybear x = s[0] + rc.internal[r];
    const babybear cube = x * x * x;
    row[cols::partial_cube(r)] = cube;
    s[0] = cube * cube * x;
    row[cols::partial_post(r)] = s[0];
    hash::poseidon2_internal_layer<16>(s.data(), rc.diagonal);
  }
  for (std::size_t r = 0; r < cols::half_full_rounds; ++r) {
    full_round(rc.external_final[r], cols::half_full_rounds + r);
  }
  return s;
}

namespace {

/// Rows per fill task, and per step of a chain between two hand-offs to the fill tasks: about
/// 0.4 ms of filling, so that 2^20 rows make 4096 tasks.
constexpr std::size_t block_rows = 256;

/// Advances every state of a chain group by one permutation. The packed permutation (one state
/// per SIMD lane) has a shorter latency than the scalar reference even for a single state (about
/// 1.2 us against 1.65 us, measured with AVX-512), and it advances up to poseidon2_lanes() chains
/// for the price of one; on a target with fewer than 4 lanes the scalar reference is used. Both
/// give the same output.
void advance_chains(std::span<state> states, bool packed) {
  if (packed) {
    hash::poseidon2_permute_many(states);
  } else {
    for (state& s : states) hash::poseidon2_permute<16>(s.data(), hash::poseidon2_default_constants<16>);
  }
}

/// Fills out[i].trace (n rows, every cell overwritten) with the chain from starts[i] and returns
/// the chains' outputs P^n(starts[i]).
///
/// A chain is sequential: row r + 1's input is row r's output. Filling a row (about 2 us) costs
/// more than a step of the chain with the packed permutation (about 1.2 us), so the inputs are
/// computed first, by one task per group of up to poseidon2_lanes() chains (packed: one chain
/// per lane), which hands each block of block_rows rows to a fill task as soon as the block's
/// inputs are known: the fills of earlier blocks run on the other cores while the chain goes on,
/// and the time is about that of the chain when enough cores take part. With a single thread,
/// or a single chain that fits in one block, each trace is filled directly from the previous
/// row's output instead (the chain would only add work).
std::vector<state> fill_chains(std::span<const state> starts, std::span<witness> out, std::size_t n) {
  const std::size_t k = starts.size();
  std::vector<state> outputs(k);
  if (k == 0) return outputs;

  const std::size_t threads = std::min(static_cast<std::size_t>(tbb::this_task_arena::max_concurrency()),
                                       tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
  if (threads <= 1 || (k == 1 && n <= block_rows)) {
    for (std::size_t i = 0; i < k; ++i) {
      state s = starts[i];
      for (std::size_t r = 0; r < n; ++r) s = fill_poseidon2_row(out[i].trace.row(r), s);
      outputs[i] = s;
    }
    return outputs;
  }

  const bool packed = hash::poseidon2_lanes() >= 4;
  const std::size_t group = packed ? hash::poseidon2_lanes() : 1;
  // inputs[i * n + r]: the input of row r of chain i.
  buffer<state> inputs(k * n, uninitialized);
  auto fill_block = [&](std::size_t i, std::size_t r0, std::size_t r1) {
    kernels::row_major_matrix<babybear>& trace = out[i].trace;
    state s{};
    for (std::size_t r = r0; r < r1; ++r) s = fill_poseidon2_row(trace.row(r), inputs[i * n + r]);
    if (r1 == n) outputs[i] = s;
  };

  // Tasks may add tasks to the group while it runs; wait() returns when all have finished.
  tbb::task_group tasks;
  for (std::size_t g0 = 0; g0 < k; g0 += group) {
    tasks.run([&, g0] {
      const std::size_t g1 = std::min(k, g0 + group);
      std::vector<state> current(starts.begin() + static_cast<std::ptrdiff_t>(g0),
                                 starts.begin() + static_cast<std::ptrdiff_t>(g1));
      for (std::size_t r0 = 0; r0 < n; r0 += block_rows) {
        const std::size_t r1 = std::min(n, r0 + block_rows);
        for (std::size_t r = r0; r < r1; ++r) {
          for (std::size_t i = g0; i < g1; ++i) inputs[i * n + r] = current[i - g0];
          if (r + 1 < n) advance_chains(current, packed);
        }
        for (std::size_t i = g0; i < g1; ++i) tasks.run([&fill_block, i, r0, r1] { fill_block(i, r0, r1); });
      }
    });
  }
  tasks.wait();
  return outputs;
}

}  // namespace

std::vector<witness> generate_poseidon2_traces(unsigned log_rows, std::span<const state> inputs) {
  CIRO_CHECK(log_rows <= 27);
  const std::size_t n = std::size_t{1} << log_rows;
  std::vector<witness> out(inputs.size());
  // fill_poseidon2_row writes every column of its row (poseidon2_columns covers each once), so
  // the matrices need no zeroing: their pages are first touched by the fill tasks.
  for (witness& w : out) w.trace = kernels::row_major_matrix<babybear>(n, cols::count, uninitialized);
  const std::vector<state> outputs = fill_chains(inputs, out, n);
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::vector<babybear>& pv = out[i].public_values;
    pv.reserve(2 * cols::state_width);
    pv.insert(pv.end(), inputs[i].begin(), inputs[i].end());
    pv.insert(pv.end(), outputs[i].begin(), outputs[i].end());
  }
  return out;
}

witness generate_poseidon2_trace(unsigned log_rows, const state& input) {
  return std::move(generate_poseidon2_traces(log_rows, std::span<const state>(&input, 1)).front());
}

}  // namespace ciro::air
