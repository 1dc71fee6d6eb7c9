#include <tbb/global_control.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "air/fibonacci.hpp"
#include "air/poseidon2_air.hpp"
#include "cli/command.hpp"
#include "field/extension.hpp"
#include "hash/merkle_hasher.hpp"
#include "kernels/backend.hpp"
#include "stark/prover.hpp"
#include "stark/verifier.hpp"

namespace ciro::cli {
namespace {

using field::babybear;

/// Calls f(air) with the AIR named `name` (the CLI name or the AIR's own name); false if unknown.
template <class F>
bool with_air(const std::string& name, F&& f) {
  if (name == "fibonacci" || name == air::fibonacci_air{}.name()) {
    f(air::fibonacci_air{});
    return true;
  }
  if (name == "poseidon2" || name == air::poseidon2_air{}.name()) {
    f(air::poseidon2_air{});
    return true;
  }
  return false;
}

air::witness make_witness(const air::fibonacci_air&, unsigned log_rows) {
  return air::generate_fibonacci_trace(log_rows, babybear::zero(), babybear::one());
}
air::witness make_witness(const air::poseidon2_air&, unsigned log_rows) {
  std::array<babybear, 16> input;
  for (std::size_t i = 0; i < input.size(); ++i) input[i] = babybear::from_u64(i);
  return air::generate_poseidon2_trace(log_rows, input);
}

std::optional<unsigned> parse_uint(const std::string& s, unsigned max) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const unsigned long v = std::stoul(s);
  if (v > max) return std::nullopt;
  return static_cast<unsigned>(v);
}

/// Prints phase names to stderr once a run has taken more than a second.
class progress {
 public:
  void operator()(const std::string& phase) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (elapsed > 1.0) std::fprintf(stderr, "ciro prove: %.1f s: %s ...\n", elapsed, phase.c_str());
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

template <class E, class A>
int prove_and_write(const A& air, unsigned log_rows, const stark::stark_params& params, const std::string& out_path) {
  auto backend = kernels::make_cpu_backend();
  hash::merkle_hasher& hasher = backend->merkle();
  progress report;
  const auto t0 = std::chrono::steady_clock::now();
  const air::witness witness = make_witness(air, log_rows);
  const double trace_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stark::prover_timings timings;
  auto p = stark::prove<E>(air, witness, params, *backend, hasher, &timings,
                           {.check_constraints = true, .on_phase = report});
  if (!p) return usage_error("prove: " + p.error().message);
  const auto bytes = stark::encode(p.value());
  std::ofstream out(out_path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return usage_error("prove: cannot write " + out_path);
  std::printf("air          %s\n", std::string(air.name()).c_str());
  std::printf("rows         2^%u = %zu\n", log_rows, witness.trace.rows());
  std::printf("columns      %zu\n", witness.trace.width());
  std::printf("%-12s %8.3f s\n", "trace gen", trace_s);
  for (const auto& [phase, seconds] : timings.phases) std::printf("  %-18s %8.3f s\n", phase.c_str(), seconds);
  std::printf("%-12s %8.3f s\n", "prove", timings.total());
  std::printf("proof size   %zu bytes\n", bytes.size());
  std::printf("security     %u bits (conjectured; %s)\n", stark::conjectured_security_bits(params, log_rows),
              E::degree == 5 ? "BabyBear^5" : "BabyBear^4");
  std::printf("written      %s\n", out_path.c_str());
  return exit_ok;
}

/// Decodes `bytes` as a proof over E, finds its AIR by name and verifies it.
template <class E>
int verify_bytes(std::span<const std::uint8_t> bytes, std::uint32_t min_bits) {
  auto p = stark::decode<E>(bytes);
  if (!p) {
    std::printf("invalid: malformed proof (%s): %s\n", stark::to_string(p.error().code), p.error().message.c_str());
    return exit_failed;
  }
  const auto& stmt = p.value().stmt;
  const auto t0 = std::chrono::steady_clock::now();
  std::optional<ciro::result<std::uint32_t, stark::verify_error_code>> r;
  if (!with_air(stmt.air_name,
                [&](const auto& air) { r = stark::verify(air, p.value(), {.min_security_bits = min_bits}); })) {
    std::printf("invalid: the proof is for an unknown AIR '%s'\n", stmt.air_name.c_str());
    return exit_failed;
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!*r) {
    std::printf("invalid: %s: %s\n", stark::to_string(r->error().code), r->error().message.c_str());
    return exit_failed;
  }
  std::printf("valid: %s, 2^%u rows, %zu public values, %u-bit security (verified in %.2f ms)\n", stmt.air_name.c_str(),
              stmt.log_rows, stmt.public_values.size(), r->value(), ms);
  return exit_ok;
}

}  // namespace

int prove_command(const std::vector<std::string>& args) {
  std::string air_name, out_path, profile_name = "fast";
  std::optional<unsigned> log_rows, threads;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::puts(
          "usage: ciro prove --air fibonacci|poseidon2 --log-rows K [--profile fast|secure] [--threads N] -o FILE");
      return exit_ok;
    }
    if (i + 1 >= args.size()) return usage_error("prove: " + a + " needs a value (see ciro prove --help)");
    const std::string& v = args[++i];
    if (a == "--air") {
      air_name = v;
    } else if (a == "--log-rows") {
      if (!(log_rows = parse_uint(v, 24)) || *log_rows < 1)
        return usage_error("prove: --log-rows takes 1 to 24, not '" + v + "'");
    } else if (a == "--profile") {
      profile_name = v;
    } else if (a == "--threads") {
      if (!(threads = parse_uint(v, 1024)) || *threads < 1)
        return usage_error("prove: --threads takes 1 to 1024, not '" + v + "'");
    } else if (a == "-o" || a == "--output") {
      out_path = v;
    } else {
      return usage_error("prove: unknown option '" + a + "'");
    }
  }
  if (air_name.empty() || !log_rows || out_path.empty()) {
    return usage_error("prove: --air, --log-rows and -o are required (see ciro prove --help)");
  }
  const auto profile = stark::profile(profile_name);
  if (!profile) return usage_error("prove: unknown profile '" + profile_name + "' (fast or secure)");
  std::optional<tbb::global_control> limit;
  if (threads) limit.emplace(tbb::global_control::max_allowed_parallelism, *threads);
  const stark::stark_params params = stark::fitted(*profile, *log_rows);
  int rc = exit_usage;
  const bool known = with_air(air_name, [&](const auto& air) {
    // Refuse up front what cannot fit in memory, rather than failing halfway.
    const double needed = static_cast<double>(stark::estimated_prover_bytes(air, *log_rows, params));
    const double available = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
    if (available > 0 && needed > 0.9 * available) {
      rc =
          usage_error("prove: 2^" + std::to_string(*log_rows) + " rows of " + std::string(air.name()) + " need about " +
                      std::to_string(static_cast<int>(needed / (1 << 30)) + 1) + " GiB of memory; this machine has " +
                      std::to_string(static_cast<int>(available / (1 << 30))) + " GiB");
      return;
    }
    rc = params.extension_degree == 5 ? prove_and_write<field::babybear5>(air, *log_rows, params, out_path)
                                      : prove_and_write<field::babybear4>(air, *log_rows, params, out_path);
  });
  if (!known) return usage_error("prove: unknown AIR '" + air_name + "' (fibonacci or poseidon2)");
  return rc;
}

int verify_command(const std::vector<std::string>& args) {
  std::string path;
  std::uint32_t min_bits = 100;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::puts("usage: ciro verify [--min-security BITS] FILE");
      return exit_ok;
    }
    if (args[i] == "--min-security") {
      const auto v = i + 1 < args.size() ? parse_uint(args[++i], 256) : std::nullopt;
      if (!v) return usage_error("verify: --min-security takes a number of bits from 0 to 256");
      min_bits = *v;
    } else if (!args[i].empty() && args[i][0] == '-') {
      return usage_error("verify: unknown option '" + args[i] + "'");
    } else if (path.empty()) {
      path = args[i];
    } else {
      return usage_error("verify: takes one proof file");
    }
  }
  if (path.empty()) return usage_error("verify: missing proof file (usage: ciro verify FILE)");
  std::ifstream in(path, std::ios::binary);
  if (!in) return usage_error("verify: cannot read " + path);
  constexpr std::size_t max_file = 256u << 20;
  std::vector<std::uint8_t> bytes;
  bytes.reserve(1 << 20);
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    bytes.insert(bytes.end(), buffer, buffer + in.gcount());
    if (bytes.size() > max_file) return usage_error("verify: " + path + " is larger than any proof (256 MiB)");
  }
  if (in.bad()) return usage_error("verify: cannot read " + path);
  const auto degree = stark::peek_extension_degree(bytes);
  if (!degree) {
    std::printf("invalid: malformed proof (%s): %s\n", stark::to_string(degree.error().code),
                degree.error().message.c_str());
    return exit_failed;
  }
  return degree.value() == 5 ? verify_bytes<field::babybear5>(bytes, min_bits)
                             : verify_bytes<field::babybear4>(bytes, min_bits);
}

}  // namespace ciro::cli
