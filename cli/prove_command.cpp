#include <tbb/global_control.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/model_command.hpp"
#include "zkml/model_proof.hpp"
#include "field/extension.hpp"
#include "hash/merkle_hasher.hpp"
#include "kernels/backend.hpp"
#include "kernels/cuda/cuda_backend.hpp"
#include "hash/sponge.hpp"
#include "stark/examples.hpp"
#include "stark/proof_check.hpp"
#include "stark/prover.hpp"
#include "stark/verifier.hpp"

namespace ciro::cli {
namespace {

using field::babybear;

std::optional<unsigned> parse_uint(const std::string& s, unsigned max) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const unsigned long v = std::stoul(s);
  if (v > max) return std::nullopt;
  return static_cast<unsigned>(v);
}


/// Where `--device` asks the prover to run: the CPU, CUDA device N, or (auto) a CUDA device when one
/// is present and the proof fits its memory, else the CPU.
struct device_choice {
  enum kind_t { cpu, cuda, automatic } kind = automatic;
  int ordinal = 0;
};

std::optional<device_choice> parse_device(const std::string& v) {
  if (v == "cpu") return device_choice{device_choice::cpu, 0};
  if (v == "auto") return device_choice{device_choice::automatic, 0};
  if (v == "cuda") return device_choice{device_choice::cuda, 0};
  if (v.rfind("cuda:", 0) == 0) {
    if (const auto n = parse_uint(v.substr(5), 63)) return device_choice{device_choice::cuda, static_cast<int>(*n)};
  }
  return std::nullopt;
}

/// The backend `choice` names for a proof needing about `bytes` of memory, and the line that says
/// so; or why the device asked for cannot be used.
result<std::pair<std::unique_ptr<kernels::backend>, std::string>, int> backend_for(const device_choice& choice, double bytes) {
  const auto cpu_line = [](const std::string& why) { return "cpu" + (why.empty() ? std::string() : " (" + why + ")"); };
  if (choice.kind == device_choice::cpu) return std::pair{kernels::make_cpu_backend(), cpu_line("")};
  const int ordinal = choice.kind == device_choice::cuda ? choice.ordinal : 0;
  const auto inventory = kernels::cuda_devices();
  const kernels::cuda_device_info* device = nullptr;
  for (const auto& d : inventory.devices) {
    if (d.ordinal == ordinal) device = &d;
  }
  std::string why_not = device ? "" : (inventory.devices.empty() ? inventory.note : "CUDA device " + std::to_string(ordinal) + " does not exist");
  // The device holds a few of the proof's largest matrices at a time; half its memory for the
  // host's whole estimate is a safe bound.
  if (device && bytes > 0.5 * static_cast<double>(device->memory_bytes)) {
    why_not = "the proof needs about " + std::to_string(static_cast<int>(bytes / (1 << 30)) + 1) + " GiB; " + device->name +
              " has " + std::to_string(device->memory_bytes >> 30) + " GiB";
  }
  if (why_not.empty()) {
    auto cuda = kernels::make_cuda_backend(ordinal);
    if (cuda) {
      return std::pair{std::unique_ptr<kernels::backend>(std::move(cuda.value())),
                       "cuda:" + std::to_string(ordinal) + " (" + device->name + ": NTT and LDE on the GPU, the rest on the CPU)"};
    }
    why_not = cuda.error().message.substr(0, cuda.error().message.find('\n'));
  }
  if (choice.kind == device_choice::cuda) return error<int>{0, "--device cuda:" + std::to_string(ordinal) + ": " + why_not};
  return std::pair{kernels::make_cpu_backend(), cpu_line(why_not)};
}

template <class E>
int prove_and_write(const std::string& name, unsigned log_rows, unsigned instances, const stark::stark_params& profile,
                    const std::string& out_path, const device_choice& device) {
  auto cpu = kernels::make_cpu_backend();
  progress report;
  auto shape = stark::make_example<E>(name, log_rows, instances, false);
  if (!shape) return usage_error("prove: " + shape.error().message);
  auto pk = stark::setup<E>(shape.value().tables, profile, *cpu, cpu->merkle());
  if (!pk) return usage_error("prove: " + pk.error().message);
  // Refuse up front a size whose security `ciro verify` would refuse.
  const std::uint32_t bits = stark::conjectured_security_bits(pk.value()->vk.params, pk.value()->vk.size());
  if (bits < 100) {
    return usage_error("prove: this profile gives " + std::to_string(bits) +
                       "-bit security at this size, below the 100 bits ciro verify requires (try --profile secure)");
  }
  // Refuse up front what cannot fit in memory, rather than failing halfway.
  const double needed = static_cast<double>(stark::estimated_prover_bytes(pk.value()->vk));
  const double available = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  if (available > 0 && needed > 0.9 * available) {
    return usage_error("prove: this statement needs about " + std::to_string(static_cast<int>(needed / (1 << 30)) + 1) +
                       " GiB of memory; this machine has " + std::to_string(static_cast<int>(available / (1 << 30))) +
                       " GiB");
  }
  auto chosen = backend_for(device, needed);
  if (!chosen) return usage_error("prove: " + chosen.error().message);
  kernels::backend& backend = *chosen.value().first;
  hash::merkle_hasher& hasher = backend.merkle();
  const auto t0 = std::chrono::steady_clock::now();
  auto example = stark::make_example<E>(name, log_rows, instances, true);
  const double trace_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stark::prover_timings timings;
  auto p = stark::prove<E>(*pk.value(), example.value().witnesses, backend, hasher, &timings,
                           {.check_constraints = true, .min_security_bits = 100, .on_phase = report, .public_lookups = {}});
  if (!p) return usage_error("prove: " + p.error().message);
  const auto bytes = stark::encode(p.value());
  std::ofstream out(out_path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return usage_error("prove: cannot write " + out_path);
  const auto& stmt = p.value().stmt;
  std::size_t columns = 0;
  for (const auto& t : pk.value()->vk.tables) columns += t.kind->main_width();
  std::printf("statement    %s\n", name.c_str());
  std::printf("tables       %zu, %zu instances (%s)\n", stmt.tables.size(), stark::count_instances(stmt),
              stark::describe_tables(stmt).c_str());
  std::printf("rows         %s\n", stark::describe_heights(stmt).c_str());
  std::printf("columns      %zu (main, all tables)\n", columns);
  std::printf("device       %s\n", chosen.value().second.c_str());
  std::printf("%-12s %8.3f s\n", "trace gen", trace_s);
  for (const auto& [phase, seconds] : timings.phases) std::printf("  %-18s %8.3f s\n", phase.c_str(), seconds);
  std::printf("%-12s %8.3f s\n", "prove", timings.total());
  std::printf("proof size   %zu bytes\n", bytes.size());
  std::printf("security     %u bits (conjectured; %s)\n",
              stark::conjectured_security_bits(pk.value()->vk.params, pk.value()->vk.size()),
              E::degree == 5 ? "BabyBear^5" : "BabyBear^4");
  std::printf("public       %s\n", stark::describe_public_values(stark::public_values_of(stmt)).c_str());
  std::printf("written      %s\n", out_path.c_str());
  return exit_ok;
}

}  // namespace

int prove_command(const std::vector<std::string>& args) {
  if (std::find(args.begin(), args.end(), "--model") != args.end()) return prove_model_command(args);
  std::string air_name, out_path, profile_name = "fast";
  std::optional<unsigned> log_rows, threads, instances = 1;
  device_choice device;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::puts(
          "usage: ciro prove --air fibonacci|poseidon2|range-check|permutation --log-rows K [--instances N]\n"
          "                  [--profile fast|secure] [--threads N] [--device cpu|cuda|cuda:N|auto] -o FILE\n"
          "       ciro prove --model M.onnx --input IN -o FILE [--profile fast|secure] [--threads N]\n"
          "                  [--calibrate IN2 ...] [--bits N] [--json OUT]");
      return exit_ok;
    }
    if (i + 1 >= args.size()) return usage_error("prove: " + a + " needs a value (see ciro prove --help)");
    const std::string& v = args[++i];
    if (a == "--air") {
      air_name = v;
    } else if (a == "--log-rows") {
      if (!(log_rows = parse_uint(v, 24)) || *log_rows < 1)
        return usage_error("prove: --log-rows takes 1 to 24, not '" + v + "'");
    } else if (a == "--instances") {
      if (!(instances = parse_uint(v, stark::max_tables)) || *instances < 1)
        return usage_error("prove: --instances takes 1 to " + std::to_string(stark::max_tables) + ", not '" + v + "'");
    } else if (a == "--profile") {
      profile_name = v;
    } else if (a == "--threads") {
      if (!(threads = parse_uint(v, 1024)) || *threads < 1)
        return usage_error("prove: --threads takes 1 to 1024, not '" + v + "'");
    } else if (a == "-o" || a == "--output") {
      out_path = v;
    } else if (a == "--device") {
      const auto d = parse_device(v);
      if (!d) return usage_error("prove: --device takes cpu, cuda, cuda:N or auto, not '" + v + "'");
      device = *d;
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
  return profile->extension_degree == 5
             ? prove_and_write<field::babybear5>(air_name, *log_rows, *instances, *profile, out_path, device)
             : prove_and_write<field::babybear4>(air_name, *log_rows, *instances, *profile, out_path, device);
}

/// A BabyBear element written in decimal or 0x-hex, below p; nothing otherwise.
std::optional<babybear> parse_element(const std::string& s) {
  const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  const char* first = s.data() + (hex ? 2 : 0);
  const char* last = s.data() + s.size();
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(first, last, v, hex ? 16 : 10);
  if (first == last || end != last || ec != std::errc()) return std::nullopt;
  return babybear::try_from_canonical(v);
}

/// "1,2,3" as field elements (decimal or 0x-hex each), or nothing if malformed.
std::optional<std::vector<babybear>> parse_public_values(const std::string& list) {
  std::vector<babybear> out;
  if (list.empty()) return out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = list.find(',', start);
    const auto value =
        parse_element(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!value) return std::nullopt;
    out.push_back(*value);
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

int verify_command(const std::vector<std::string>& args) {
  std::string path, air, model_path, input_path, json_path, circuit;
  std::uint32_t min_bits = 100;
  std::optional<std::vector<babybear>> expected;
  std::optional<unsigned> log_rows, instances, batch_first;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::puts(
          "usage: ciro verify [--min-security BITS] [--public V1,V2,...]\n"
          "                   [--air NAME --log-rows K [--instances N] [--batch-first I]] FILE\n"
          "       ciro verify [--min-security BITS] [--model M.onnx] [--input IN] [--json OUT] MODEL_PROOF");
      return exit_ok;
    }
    if (args[i] == "--air" || args[i] == "--log-rows" || args[i] == "--instances" || args[i] == "--batch-first") {
      if (i + 1 >= args.size()) return usage_error("verify: " + args[i] + " needs a value");
      const std::string& a = args[i];
      const std::string& v = args[++i];
      if (a == "--air") {
        air = v;
      } else if (a == "--log-rows" && !(log_rows = parse_uint(v, 24))) {
        return usage_error("verify: --log-rows takes 1 to 24, not '" + v + "'");
      } else if (a == "--instances" && (!(instances = parse_uint(v, stark::max_tables)) || *instances < 1)) {
        return usage_error("verify: --instances takes 1 to " + std::to_string(stark::max_tables) + ", not '" + v + "'");
      } else if (a == "--batch-first" && !(batch_first = parse_uint(v, stark::max_tables - 1))) {
        return usage_error("verify: --batch-first takes 0 to " + std::to_string(stark::max_tables - 1) + ", not '" + v + "'");
      }
      continue;
    }
    if (args[i] == "--model" || args[i] == "--input" || args[i] == "--json") {
      if (i + 1 >= args.size()) return usage_error("verify: " + args[i] + " needs a value");
      (args[i] == "--model" ? model_path : args[i] == "--input" ? input_path : json_path) = args[i + 1];
      ++i;
      continue;
    }
    if (args[i] == "--circuit") {
      // A model's circuit digest as ciro prove prints it: 0x and 64 hex digits.
      const std::string v = i + 1 < args.size() ? args[++i] : "";
      const bool hex = v.size() == 66 && v.starts_with("0x") &&
                       std::all_of(v.begin() + 2, v.end(), [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)) != 0; });
      if (!hex) return usage_error("verify: --circuit takes a circuit digest, 0x and 64 hex digits");
      circuit = v;
      std::transform(circuit.begin(), circuit.end(), circuit.begin(), [](char ch) { return static_cast<char>(std::tolower(static_cast<unsigned char>(ch))); });
      continue;
    }
    if (args[i] == "--public") {
      if (i + 1 >= args.size() || !(expected = parse_public_values(args[++i]))) {
        return usage_error("verify: --public takes a comma-separated list of field elements (decimal or 0x-hex)");
      }
      continue;
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
  if (air.empty() != !log_rows || ((instances || batch_first) && air.empty())) {
    return usage_error("verify: --air and --log-rows go together (and --instances and --batch-first with them)");
  }
  std::optional<stark::expected_statement> statement;
  if (!air.empty()) statement = stark::expected_statement{air, *log_rows, instances.value_or(1), batch_first};
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
  if (zkml::is_model_proof(bytes)) {
    if (expected || statement) return usage_error("verify: --public and --air do not apply to a model proof");
    return verify_model_proof(bytes, model_path, input_path, json_path, min_bits, circuit);
  }
  if (!model_path.empty() || !input_path.empty() || !json_path.empty() || !circuit.empty()) {
    std::printf("invalid: not a model proof (--model, --input, --circuit and --json apply to model proofs)\n");
    return exit_failed;
  }
  const stark::proof_check c = stark::check_proof_file(bytes, min_bits, expected, statement);
  if (c.outcome == stark::proof_check::usage) return usage_error("verify: " + c.message);
  std::printf("%s\n", c.message.c_str());
  return c.outcome == stark::proof_check::valid ? exit_ok : exit_failed;
}

}  // namespace ciro::cli
