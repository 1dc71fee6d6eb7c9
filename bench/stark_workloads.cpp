#include <cctype>
#include <memory>
#include <vector>

#include "bench/workload.hpp"
#include "field/extension.hpp"
#include "hash/merkle_tree.hpp"
#include "kernels/backend.hpp"
#include "stark/examples.hpp"
#include "stark/prover.hpp"
#include "stark/verifier.hpp"

namespace ciro::bench {
namespace {

using field::babybear;
using field::babybear4;

/// "trace LDE" -> "trace_lde_ms": a phase's key in the table and the JSON.
std::string phase_key(const std::string& phase) {
  std::string key;
  for (const char c : phase) key += c == ' ' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key + "_ms";
}

/// Prover options for valid witnesses: the debug checks are left out.
stark::prove_options unchecked() {
  stark::prove_options options;
  options.check_constraints = false;
  return options;
}

/// An example statement (stark/examples.hpp) set up for the fast profile, with its witnesses.
struct prepared {
  std::shared_ptr<kernels::backend> backend;
  std::shared_ptr<const stark::proving_key<babybear4>> pk;
  std::vector<air::witness> witnesses;
};

prepared prepare_example(const std::string& statement, unsigned log_rows, unsigned instances) {
  prepared p;
  p.backend = std::shared_ptr<kernels::backend>(kernels::make_cpu_backend());
  auto example = stark::make_example<babybear4>(statement, log_rows, instances, true);
  CIRO_CHECK(example.has_value());
  p.pk =
      stark::setup<babybear4>(example.value().tables, stark::fast_profile(), *p.backend, p.backend->merkle()).value();
  p.witnesses = std::move(example.value().witnesses);
  return p;
}

/// Proves an example statement with the fast profile; the constraint check is left out (the
/// witnesses are known to be valid), so the figure is the prover's own time. Reports the proof
/// size and the milliseconds of each prover phase (of the last repetition).
workload prove_workload(std::string name, std::string unit, std::string description, std::string statement,
                        unsigned log_rows, unsigned instances, double items) {
  return {std::move(name), std::move(unit), std::move(description), [statement, log_rows, instances, items] {
            auto state = std::make_shared<prepared>(prepare_example(statement, log_rows, instances));
            return [state, items] {
              stark::prover_timings timings;
              auto p = stark::prove<babybear4>(*state->pk, state->witnesses, *state->backend, state->backend->merkle(),
                                               &timings, unchecked());
              CIRO_CHECK(p.has_value());
              run_output out{items, {{"proof_bytes", static_cast<double>(stark::encode(p.value()).size())}}};
              for (const auto& [phase, seconds] : timings.phases)
                out.extras.emplace_back(phase_key(phase), 1e3 * seconds);
              return out;
            };
          }};
}

/// Verifies a proof of an example statement (the verifying key made once, as a verifier keeps it).
workload verify_workload(std::string name, std::string description, std::string statement, unsigned log_rows,
                         unsigned instances) {
  return {std::move(name), "verify/s", std::move(description), [statement, log_rows, instances] {
            const prepared state = prepare_example(statement, log_rows, instances);
            auto p = stark::prove<babybear4>(*state.pk, state.witnesses, *state.backend, state.backend->merkle(),
                                             nullptr, unchecked());
            CIRO_CHECK(p.has_value());
            auto proof = std::make_shared<stark::proof<babybear4>>(std::move(p).value());
            const double bytes = static_cast<double>(stark::encode(*proof).size());
            return [pk = state.pk, proof, bytes] {
              CIRO_CHECK(stark::verify(pk->vk, *proof).has_value());
              return run_output{1, {{"proof_bytes", bytes}}};
            };
          }};
}

workload merkle_workload() {
  return {"merkle.babybear.2^18x256", "rows/s",
          "Merkle commitment (Poseidon2 sponge + compression) of a 2^18 x 256 matrix", [] {
            constexpr std::size_t rows = std::size_t{1} << 18, width = 256;
            auto m = std::make_shared<kernels::row_major_matrix<babybear>>(rows, width);
            std::uint64_t i = 0;
            for (auto& x : m->values()) x = babybear::from_u64(++i * 0x9e3779b97f4a7c15ULL);
            auto backend = std::shared_ptr<kernels::backend>(kernels::make_cpu_backend());
            return [m, backend] {
              auto tree = hash::merkle_tree::commit(backend->merkle(), {{m->values().data(), rows, width}});
              CIRO_CHECK(tree.has_value());
              return run_output{static_cast<double>(rows), {}};
            };
          }};
}

}  // namespace

std::vector<workload> merkle_workloads() { return {merkle_workload()}; }

std::vector<workload> stark_workloads() {
  return {
      prove_workload("prove.fibonacci.2^20", "rows/s", "prove a Fibonacci trace of 2^20 rows (fast profile)",
                     "fibonacci", 20, 1, double{1 << 20}),
      prove_workload("prove.poseidon2.2^17", "perm/s", "prove a chain of 2^17 Poseidon2 permutations (fast profile)",
                     "poseidon2", 17, 1, double{1 << 17}),
      verify_workload("verify.poseidon2.2^17",
                      "verify a fast-profile proof of 2^17 Poseidon2 permutations (one thread)", "poseidon2", 17, 1),
      prove_workload("prove.batch.poseidon2.32x2^12", "perm/s",
                     "prove 32 independent chains of 2^12 Poseidon2 permutations in one proof (fast profile)",
                     "poseidon2", 12, 32, double{1 << 17}),
      verify_workload("verify.batch.poseidon2.32x2^12",
                      "verify a fast-profile proof of 32 chains of 2^12 Poseidon2 permutations (one thread)",
                      "poseidon2", 12, 32),
      prove_workload("prove.range16.2^20", "values/s",
                     "prove 2^20 values below 2^16 by lookups into the fixed range table (fast profile)", "range-check",
                     20, 1, double{1 << 20}),
      verify_workload("verify.range16.2^20", "verify a fast-profile proof of 2^20 16-bit range checks (one thread)",
                      "range-check", 20, 1),
  };
}

}  // namespace ciro::bench
