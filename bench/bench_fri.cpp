// Google Benchmark: the FRI prover (commit phase, final polynomial, grinding, openings) and the
// full verifier (replay + check_queries), over babybear4 and babybear5. Multi-threaded (TBB).
// Parameters: log_blowup 1, log_final_poly_len 0, 100 queries, 16 proof-of-work bits.
#include <benchmark/benchmark.h>

#include <bit>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "field/extension.hpp"
#include "fri/fri.hpp"
#include "hash/challenger.hpp"
#include "hash/merkle_hasher.hpp"
#include "kernels/backend.hpp"

namespace {

using ciro::field::babybear;
namespace fri = ciro::fri;

/// Evaluations (bit-reversed, on g * H_N) of a pseudo-random polynomial of degree < N / 2.
template <class E>
std::vector<E> low_degree_evals(ciro::kernels::backend& backend, unsigned log_n) {
  constexpr unsigned d = E::degree;
  const std::size_t n = std::size_t{1} << log_n;
  std::vector<babybear> flat(n * d, babybear::zero());
  for (std::size_t i = 0; i < n / 2 * d; ++i) flat[i] = babybear::from_u64(i * 0x9e3779b97f4a7c15ULL + 1);
  backend.ntt(ciro::kernels::matrix_view<babybear>{flat.data(), n, d},
              {ciro::kernels::row_order::natural, ciro::kernels::row_order::bit_reversed, babybear::generator()});
  std::vector<E> evals(n);
  for (std::size_t i = 0; i < n; ++i) evals[i] = E::from_coeffs(flat.data() + i * d);
  return evals;
}

fri::fri_params params_for(unsigned log_arity) { return {1, log_arity, 0, 100, 16}; }

/// One FRI proof of 2^log_n extension values (args: log_n, arity); items = input values.
template <class E>
void bm_fri_prove(benchmark::State& state) {
  const auto log_n = static_cast<unsigned>(state.range(0));
  const auto log_arity = static_cast<unsigned>(std::countr_zero(static_cast<std::uint64_t>(state.range(1))));
  auto backend = ciro::kernels::make_cpu_backend();
  ciro::hash::cpu_merkle_hasher hasher;
  const auto evals = low_degree_evals<E>(*backend, log_n);
  const auto params = params_for(log_arity);
  for (auto _ : state) {
    ciro::hash::challenger ch;
    auto out = fri::prove<E>(params, evals, ch, *backend, hasher);
    benchmark::DoNotOptimize(out.proof.pow_witness);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * evals.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * evals.size() * sizeof(E)));
}

/// Verification (replay + check_queries) of one proof (args: log_n, arity); items = queries.
template <class E>
void bm_fri_verify(benchmark::State& state) {
  const auto log_n = static_cast<unsigned>(state.range(0));
  const auto log_arity = static_cast<unsigned>(std::countr_zero(static_cast<std::uint64_t>(state.range(1))));
  auto backend = ciro::kernels::make_cpu_backend();
  ciro::hash::cpu_merkle_hasher hasher;
  const auto evals = low_degree_evals<E>(*backend, log_n);
  const auto params = params_for(log_arity);
  ciro::hash::challenger prover_ch;
  const auto out = fri::prove<E>(params, evals, prover_ch, *backend, hasher);
  std::vector<E> f0;
  for (const std::size_t q : out.query_indices) f0.push_back(evals[q]);
  std::vector<std::uint8_t> bytes;
  out.proof.encode(bytes);
  for (auto _ : state) {
    ciro::hash::challenger ch;
    auto challenges = fri::replay(params, out.proof, ch, log_n);
    auto ok = fri::check_queries<E>(params, out.proof, challenges.value(), f0, log_n);
    if (!ok) state.SkipWithError(ok.error().message.c_str());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * params.num_queries));
  state.counters["proof_bytes"] = static_cast<double>(bytes.size());
}

}  // namespace

BENCHMARK_TEMPLATE(bm_fri_prove, ciro::field::babybear4)
    ->Name("BM_fri_prove/babybear4")
    ->ArgNames({"log_n", "arity"})
    ->ArgsProduct({{16, 20}, {2, 4, 8}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_TEMPLATE(bm_fri_prove, ciro::field::babybear5)
    ->Name("BM_fri_prove/babybear5")
    ->ArgNames({"log_n", "arity"})
    ->Args({20, 8})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_TEMPLATE(bm_fri_verify, ciro::field::babybear4)
    ->Name("BM_fri_verify/babybear4")
    ->ArgNames({"log_n", "arity"})
    ->Args({20, 8})
    ->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
