// `ciro prove --model` and `ciro verify` of a model proof (zkml/model_proof.hpp).

#include "cli/model_command.hpp"

#include <tbb/global_control.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "zkml/model_input.hpp"
#include "zkml/input_file.hpp"
#include "zkml/model_proof.hpp"

namespace ciro::cli {
namespace {

using zkml::tensor;

std::string values_line(const tensor& t, std::size_t limit) {
  std::string s = "[";
  char buf[32];
  for (std::size_t i = 0; i < t.size() && i < limit; ++i) {
    std::snprintf(buf, sizeof buf, "%.6g", t.value(i));
    s += (i ? ", " : "") + std::string(buf);
  }
  if (t.size() > limit) s += ", ...";
  return s + "]";
}

nlohmann::json tensor_json(const tensor& t) { return {{"shape", t.shape}, {"data", t.data}}; }

/// Outputs as `ciro run --json` writes them: dequantized floats by name.
nlohmann::json outputs_json(const zkml::model_statement& s) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& o : s.outputs) out[o.name] = tensor_json(o.dequantized());
  return out;
}

nlohmann::json parity_json(const zkml::model_statement& s, bool checked) {
  nlohmann::json refs = nlohmann::json::object();
  for (std::size_t i = 0; i < s.outputs.size() && i < s.parity.reference.size(); ++i)
    refs[s.outputs[i].name] = tensor_json(s.parity.reference[i]);
  return {{"reference", refs},
          {"max_abs_error", s.parity.max_abs_error},
          {"bound", std::isfinite(s.parity.bound) ? nlohmann::json(s.parity.bound) : nlohmann::json(nullptr)},
          {"checked", checked}};
}

bool write_json(const std::string& path, const nlohmann::json& doc) {
  std::ofstream f(path);
  f << doc.dump(2) << '\n';
  return static_cast<bool>(f);
}

std::string bound_text(double b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", b);
  return std::isfinite(b) ? buf : "none (unbounded)";
}


}  // namespace

int prove_model_command(const std::vector<std::string>& args) {
  std::string model_path, input_path, out_path, json_path, profile = "fast";
  std::vector<std::string> calibration;
  std::optional<unsigned> threads;
  int bits = 16;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::puts(
          "usage: ciro prove --model M.onnx --input IN -o FILE [--profile fast|secure] [--threads N]\n"
          "                  [--calibrate IN2 ...] [--bits N] [--json OUT]");
      return exit_ok;
    }
    if (i + 1 >= args.size()) return usage_error("prove: " + a + " needs a value (see ciro prove --help)");
    const std::string& v = args[++i];
    if (a == "--model") {
      model_path = v;
    } else if (a == "--input") {
      input_path = v;
    } else if (a == "-o" || a == "--output") {
      out_path = v;
    } else if (a == "--json") {
      json_path = v;
    } else if (a == "--profile") {
      profile = v;
    } else if (a == "--calibrate") {
      calibration.push_back(v);
    } else if (a == "--bits") {
      if (v.empty() || v.size() > 2 || v.find_first_not_of("0123456789") != std::string::npos || std::stoi(v) < 4 ||
          std::stoi(v) > 16)
        return usage_error("prove: --bits needs a whole number from 4 to 16, not '" + v + "'");
      bits = std::stoi(v);
    } else if (a == "--threads") {
      if (v.empty() || v.size() > 4 || v.find_first_not_of("0123456789") != std::string::npos || std::stoul(v) < 1 ||
          std::stoul(v) > 1024)
        return usage_error("prove: --threads takes 1 to 1024, not '" + v + "'");
      threads = static_cast<unsigned>(std::stoul(v));
    } else {
      return usage_error("prove: unknown option '" + a + "'");
    }
  }
  if (model_path.empty() || input_path.empty() || out_path.empty())
    return usage_error("prove: --model, --input and -o are required (see ciro prove --help)");
  if (profile != "fast" && profile != "secure") return usage_error("prove: unknown profile '" + profile + "' (fast or secure)");
  std::optional<tbb::global_control> limit;
  if (threads) limit.emplace(tbb::global_control::max_allowed_parallelism, *threads);

  auto loaded = zkml::load_model_and_input(model_path, input_path);
  if (!loaded) return usage_error("prove: " + loaded.error().message);
  const auto& li = loaded.value();
  zkml::prove_model_options options;
  options.profile = profile;
  options.config.activation_bits = bits;
  options.config.weight_bits = bits;
  for (const auto& path : calibration) {
    auto extra = zkml::load_input_file(path, li.m);
    if (!extra) return usage_error("prove: " + extra.error().message);
    options.calibration.push_back(std::move(extra).value());
  }
  progress report;
  options.on_phase = [&](const std::string& p) { report(p); };
  // Refuse up front what cannot fit in memory, rather than failing halfway.
  const double available = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  if (available > 0) options.max_memory_bytes = static_cast<std::uint64_t>(0.9 * available);
  auto r = zkml::prove_model(li.model_bytes, li.m, li.input, options);
  if (!r) return usage_error("prove: " + r.error().message);
  const auto& res = r.value();
  std::ofstream out(out_path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(res.bytes.data()), static_cast<std::streamsize>(res.bytes.size()));
  out.close();
  if (!out) return usage_error("prove: cannot write " + out_path);

  const auto& st = res.file.statement;
  std::printf("model        %s\n", model_path.c_str());
  std::printf("model hash   %s\n", st.model_hash.to_hex().c_str());
  std::printf("input        %s, commitment %s\n", input_path.c_str(), st.input_commitment.to_hex().c_str());
  for (std::size_t i = 0; i < st.outputs.size(); ++i) {
    const tensor got = st.outputs[i].dequantized();
    std::printf("output '%s' %s\n  proven    %s\n  reference %s\n", st.outputs[i].name.c_str(),
                zkml::shape_string(got.shape).c_str(), values_line(got, 16).c_str(),
                values_line(st.parity.reference[i], 16).c_str());
  }
  std::printf("parity       max |error| %.3g, bound %s\n", st.parity.max_abs_error, bound_text(st.parity.bound).c_str());
  std::printf("circuit      %s: %zu multiply-adds, %zu rows in all (%s)\n", zkml::circuit_hex(st.circuit).c_str(),
              res.multiply_adds, res.rows, res.circuit_cached ? "cached" : "compiled");
  double total = 0;
  for (const auto& [phase, seconds] : res.phases) {
    std::printf("  %-18s %8.3f s\n", phase.c_str(), seconds);
    total += seconds;
  }
  std::printf("%-12s %8.3f s\n", "total", total);
  std::printf("proof size   %zu bytes\n", res.bytes.size());
  std::printf("security     %u bits (conjectured; %s profile)\n", res.security_bits, profile.c_str());
  std::printf("written      %s\n", out_path.c_str());
  if (!json_path.empty()) {
    nlohmann::json phases = nlohmann::json::object();
    for (const auto& [phase, seconds] : res.phases) phases[phase] = seconds;
    const nlohmann::json doc{{"model_hash", st.model_hash.to_hex()},
                             {"input_commitment", st.input_commitment.to_hex()},
                             {"circuit", zkml::circuit_hex(st.circuit)},
                             {"outputs", outputs_json(st)},
                             {"security_bits", res.security_bits},
                             {"parity", parity_json(st, true)},
                             {"proof_bytes", res.bytes.size()},
                             {"multiply_adds", res.multiply_adds},
                             {"phases", phases}};
    if (!write_json(json_path, doc)) return usage_error("prove: cannot write " + json_path);
  }
  return exit_ok;
}

int verify_model_proof(std::span<const std::uint8_t> bytes, const std::string& model_path,
                       const std::string& input_path, const std::string& json_path, std::uint32_t min_bits,
                       const std::string& circuit) {
  const auto t0 = std::chrono::steady_clock::now();
  auto file = zkml::decode_model_proof(bytes);
  if (!file) {
    std::printf("invalid: malformed model proof: %s\n", file.error().message.c_str());
    return exit_failed;
  }
  std::vector<std::uint8_t> model_bytes;
  std::optional<zkml::model> m;
  std::optional<zkml::tensor_map> input;
  if (!model_path.empty()) {
    // Another model is an invalid proof (exit 1), whatever its inputs look like.
    auto b = zkml::read_file(model_path, std::size_t{1} << 30);
    if (!b) return usage_error("verify: " + b.error().message);
    if (zkml::model_hash(b.value()) != file.value().statement.model_hash) {
      std::printf("invalid: the proof is for another model (the model hashes differ)\n");
      return exit_failed;
    }
    auto loaded = input_path.empty() ? std::nullopt : std::optional{zkml::load_model_and_input(model_path, input_path)};
    if (loaded) {
      if (!*loaded) return usage_error("verify: " + loaded->error().message);
      model_bytes = std::move(loaded->value().model_bytes);
      m = std::move(loaded->value().m);
      input = std::move(loaded->value().input);
    } else {
      // The model read with the stated input's shapes (a free batch dimension).
      std::map<std::string, zkml::shape_t> shapes;
      for (const auto& t : file.value().statement.inputs) shapes[t.name] = t.shape;
      auto parsed = zkml::parse_model(std::string_view(reinterpret_cast<const char*>(b.value().data()), b.value().size()),
                                      shapes);
      if (!parsed) return usage_error("verify: " + model_path + ": " + parsed.error().message);
      model_bytes = std::move(b.value());
      m = std::move(parsed.value());
    }
  } else if (!input_path.empty()) {
    // The input read against the stated inputs' names and shapes.
    zkml::model declared;
    for (const auto& t : file.value().statement.inputs)
      declared.inputs.push_back({t.name, zkml::element_type::float32, t.shape});
    auto in = zkml::load_input_file(input_path, declared);
    if (!in) return usage_error("verify: " + in.error().message);
    input = std::move(in.value());
  }
  auto r = zkml::verify_model(bytes, model_bytes, m ? &*m : nullptr, input ? &*input : nullptr);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!r) {
    if (r.error().code == zkml::model_proof_error_code::bad_input) return usage_error("verify: " + r.error().message);
    std::printf("invalid: %s\n", r.error().message.c_str());
    return exit_failed;
  }
  if (r.value().security_bits < min_bits) {
    std::printf("invalid: the proof gives %u-bit security, below the minimum of %u\n", r.value().security_bits, min_bits);
    return exit_failed;
  }
  const auto& st = r.value().statement;
  if (!circuit.empty() && zkml::circuit_hex(st.circuit) != circuit) {
    std::printf("invalid: the proof is of another circuit (its digest is %s)\n", zkml::circuit_hex(st.circuit).c_str());
    return exit_failed;
  }
  std::string outs;
  for (const auto& o : st.outputs) outs += (outs.empty() ? "" : ", ") + o.name + " " + values_line(o.dequantized(), 10);
  std::string checked;
  if (!circuit.empty()) checked += ", circuit checked";
  if (r.value().model_checked) checked += ", model checked";
  if (r.value().input_checked) checked += ", input checked";
  if (r.value().parity_checked) checked += ", parity checked";
  std::printf("valid: model %s, output %s, %u-bit security (verified in %.2f ms%s), circuit %s\n",
              st.model_hash.to_hex().c_str(), outs.c_str(), r.value().security_bits, ms, checked.c_str(),
              zkml::circuit_hex(st.circuit).c_str());
  if (!json_path.empty()) {
    const nlohmann::json doc{{"model_hash", st.model_hash.to_hex()},
                             {"input_commitment", st.input_commitment.to_hex()},
                             {"circuit", zkml::circuit_hex(st.circuit)},
                             {"outputs", outputs_json(st)},
                             {"security_bits", r.value().security_bits},
                             {"parity", parity_json(st, r.value().parity_checked)}};
    if (!write_json(json_path, doc)) return usage_error("verify: cannot write " + json_path);
  }
  return exit_ok;
}

}  // namespace ciro::cli
