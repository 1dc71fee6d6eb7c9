#include "zkml/model_proof.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "field/extension.hpp"
#include "hash/commit.hpp"
#include "kernels/backend.hpp"
#include "stark/circuit.hpp"
#include "stark/proof.hpp"
#include "stark/verifier.hpp"
#include "zkml/detail.hpp"
#include "zkml/fixed_point.hpp"
#include "zkml/integer_inference.hpp"
#include "zkml/lowering.hpp"
#include "zkml/model_circuit.hpp"
#include "zkml/reference.hpp"

namespace ciro::zkml {

using field::babybear;
using field::felt252;
using json = nlohmann::json;

tensor proven_tensor::dequantized() const {
  if (integer) return tensor::integers(shape, q);
  std::vector<double> v(q.size());
  for (std::size_t i = 0; i < q.size(); ++i) v[i] = fixed::dequantize(q[i], frac);
  return tensor::floats(shape, std::move(v));
}

felt252 model_hash(std::span<const std::uint8_t> model_bytes) { return hash::commit_bytes(model_bytes); }

std::string circuit_hex(const hash::digest& d) {
  std::string out = "0x";
  char word[9];
  for (const auto& x : d) {
    std::snprintf(word, sizeof word, "%08x", static_cast<unsigned>(x.to_canonical()));
    out += word;
  }
  return out;
}

felt252 input_commitment(const std::vector<proven_tensor>& inputs) {
  std::vector<felt252> xs;
  const auto put = [&](std::uint64_t v) { xs.push_back(felt252::from_u64(v)); };
  put(inputs.size());
  for (const auto& t : inputs) {
    put(static_cast<std::uint64_t>(static_cast<std::int64_t>(t.frac) + (std::int64_t{1} << 32)));
    put(t.shape.size());
    for (auto d : t.shape) put(static_cast<std::uint64_t>(d));
    for (auto q : t.q) put(static_cast<std::uint64_t>(q) + (std::uint64_t{1} << 63));
  }
  return hash::commit_felts(xs);
}

namespace {

constexpr std::string_view magic = "CIROZKML";
constexpr std::uint32_t format_version = 2;
constexpr std::size_t max_statement_bytes = std::size_t{64} << 20;
constexpr std::size_t max_proof_bytes = std::size_t{1} << 30;
constexpr std::size_t max_tensor_elements = std::size_t{1} << 24;
constexpr std::size_t max_rank = 8;

json tensor_json(const proven_tensor& t) {
  json j = {{"name", t.name}, {"shape", t.shape}, {"frac", t.frac}, {"q", t.q}};
  if (t.integer) j["integer"] = true;
  return j;
}

json floats_json(const tensor& t) { return {{"shape", t.shape}, {"data", t.data}}; }


/// Reads a statement, checking every type and bounding every size; throws std::runtime_error
/// (or json's exceptions) with the reason.
shape_t read_shape(const json& j) {
  if (!j.is_array() || j.size() > max_rank) throw std::runtime_error("a shape is not a list of at most 8 dimensions");
  shape_t s;
  std::size_t n = 1;
  for (const auto& d : j) {
    const auto v = d.get<std::int64_t>();
    if (v < 0 || static_cast<std::uint64_t>(v) > max_tensor_elements) throw std::runtime_error("a dimension is out of range");
    s.push_back(v);
    n *= static_cast<std::size_t>(v);
    if (n > max_tensor_elements) throw std::runtime_error("a tensor is too large");
  }
  return s;
}

proven_tensor read_tensor(const json& j) {
  proven_tensor t;
  t.name = j.at("name").get<std::string>();
  t.shape = read_shape(j.at("shape"));
  t.frac = j.at("frac").get<int>();
  if (t.frac < -64 || t.frac > 64) throw std::runtime_error("a frac is out of range");
  t.q = j.at("q").get<std::vector<std::int64_t>>();
  if (j.contains("integer")) {
    if (!j.at("integer").get<bool>()) throw std::runtime_error("'integer' is stated only when true");
    t.integer = true;
    if (t.frac != 0) throw std::runtime_error("an integer tensor has frac 0");
  }
  if (t.q.size() != static_cast<std::size_t>(num_elements(t.shape)))
    throw std::runtime_error("tensor '" + detail::printable(t.name) + "' has the wrong number of values");
  for (auto q : t.q)
    if (q > fixed::field_half || q < -fixed::field_half) throw std::runtime_error("a value is out of range");
  return t;
}

tensor read_floats(const json& j) {
  const shape_t s = read_shape(j.at("shape"));
  auto v = j.at("data").get<std::vector<double>>();
  if (v.size() != static_cast<std::size_t>(num_elements(s))) throw std::runtime_error("a reference tensor has the wrong size");
  return tensor::floats(s, std::move(v));
}

felt252 read_felt(const json& j) {
  const auto f = felt252::from_hex(j.get<std::string>());
  if (!f) throw std::runtime_error("not a felt252 in hex");
  return *f;
}

/// A digest as 8 canonical field elements.
hash::digest read_digest(const json& j, const char* name) {
  const auto v = j.get<std::vector<std::uint32_t>>();
  if (v.size() != hash::digest{}.size()) throw std::runtime_error(std::string(name) + " has 8 elements");
  hash::digest d{};
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] >= babybear::modulus) throw std::runtime_error(std::string(name) + " is not canonical");
    d[i] = babybear::from_canonical(v[i]);
  }
  return d;
}

json digest_json(const hash::digest& d) {
  std::vector<std::uint32_t> v;
  for (const auto& x : d) v.push_back(x.to_canonical());
  return v;
}

model_statement read_statement(const json& j) {
  model_statement s;
  s.model_hash = read_felt(j.at("model_hash"));
  s.input_commitment = read_felt(j.at("input_commitment"));
  s.profile = j.at("profile").get<std::string>();
  s.activation_bits = j.at("activation_bits").get<int>();
  s.weight_bits = j.at("weight_bits").get<int>();
  if (s.activation_bits < 2 || s.activation_bits > 16 || s.weight_bits < 2 || s.weight_bits > 16)
    throw std::runtime_error("bit widths out of range");
  const json& fr = j.at("fracs");
  if (!fr.is_object() || fr.size() > (1u << 20)) throw std::runtime_error("fracs is not an object");
  const quantization_config bounds;
  for (const auto& [name, f] : fr.items()) {
    const int frac = f.get<int>();
    if (frac < bounds.min_frac || frac > bounds.max_frac)
      throw std::runtime_error("a frac outside [" + std::to_string(bounds.min_frac) + ", " + std::to_string(bounds.max_frac) + "]");
    s.fracs[name] = frac;
  }
  for (const auto& t : j.at("inputs")) s.inputs.push_back(read_tensor(t));
  for (const auto& t : j.at("outputs")) s.outputs.push_back(read_tensor(t));
  if (s.inputs.empty() || s.outputs.empty() || s.inputs.size() > 64 || s.outputs.size() > 64)
    throw std::runtime_error("1 to 64 inputs and outputs");
  const json& p = j.at("parity");
  for (const auto& t : p.at("reference")) s.parity.reference.push_back(read_floats(t));
  if (s.parity.reference.size() != s.outputs.size()) throw std::runtime_error("one reference tensor per output");
  s.parity.max_abs_error = p.at("max_abs_error").get<double>();
  s.parity.bound = p.at("bound").is_null() ? std::numeric_limits<double>::infinity() : p.at("bound").get<double>();
  s.fixed_root = read_digest(j.at("fixed_root"), "fixed_root");
  s.circuit = read_digest(j.at("circuit"), "circuit");
  return s;
}

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::uint32_t get_u32(std::span<const std::uint8_t> b, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(b[at + static_cast<std::size_t>(i)]) << (8 * i);
  return v;
}

/// A compiled model: the lowered program, its circuit and proving key, for one quantization.
template <class E>
struct compiled_model {
  std::shared_ptr<const program> lowered;
  std::unique_ptr<model_circuit<E>> circuit;
  std::shared_ptr<const stark::proving_key<E>> pk;
};

/// The compilation cache: compiled models by (model hash, profile, quantization), the last few.
template <class E>
class circuit_cache {
 public:
  std::shared_ptr<const compiled_model<E>> find(const std::string& key) {
    std::lock_guard lock(mutex_);
    for (const auto& [k, v] : entries_)
      if (k == key) return v;
    return nullptr;
  }
  void put(const std::string& key, std::shared_ptr<const compiled_model<E>> v) {
    std::lock_guard lock(mutex_);
    entries_.emplace_back(key, std::move(v));
    if (entries_.size() > 4) entries_.erase(entries_.begin());
  }
  static circuit_cache& instance() {
    static circuit_cache c;
    return c;
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::shared_ptr<const compiled_model<E>>>> entries_;
};

std::string cache_key(const model_statement& s) {
  std::string k = s.model_hash.to_hex() + "|" + s.profile + "|" + std::to_string(s.activation_bits) + "|" +
                  std::to_string(s.weight_bits);
  for (const auto& [name, f] : s.fracs) k += "|" + name + "=" + std::to_string(f);
  return k;
}

/// Lowers and sets up the circuit of `m` for the run `all` (the statement's quantization).
template <class E>
result<std::shared_ptr<const compiled_model<E>>, model_proof_error_code> compile(const model& m, const int_value_map& all,
                                                                               const quantization_config& config,
                                                                               const stark::stark_params& params) {
  using err = model_proof_error;
  auto p = lower(m, all, config);
  if (!p) return err{model_proof_error_code::bad_input, p.error().message};
  auto c = std::make_shared<compiled_model<E>>();
  c->lowered = std::make_shared<const program>(std::move(p.value()));
  c->circuit = std::make_unique<model_circuit<E>>(c->lowered);
  auto backend = kernels::make_cpu_backend();
  auto pk = stark::setup<E>(c->circuit->tables(), params, *backend, backend->merkle());
  if (!pk) return err{model_proof_error_code::bad_input, pk.error().message};
  c->pk = std::move(pk.value());
  return std::shared_ptr<const compiled_model<E>>(std::move(c));
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// The quantization a proof's integer inference runs with: the stated bit widths, graph inputs as
/// activations.
quantization_config proof_config(const model_statement& s) {
  quantization_config config;
  config.inputs_are_constants = false;
  config.activation_bits = s.activation_bits;
  config.weight_bits = s.weight_bits;
  return config;
}

/// The stated fracs as a calibration.
calibration stated_calibration(const model_statement& s) {
  calibration cal;
  cal.fracs = s.fracs;
  return cal;
}

/// The inputs of `s` as the reals they stand for, by name.
tensor_map dequantized_inputs(const model_statement& s) {
  tensor_map out;
  for (const auto& t : s.inputs) out[t.name] = t.dequantized();
  return out;
}

/// The statement's profile and bit widths from `options`; returns the quantization a proof runs
/// with (options.config with graph inputs as activations: a proof knows the input only by its
/// quantized integers).
quantization_config begin_statement(const prove_model_options& options, model_statement& st) {
  quantization_config config = options.config;
  config.inputs_are_constants = false;
  st.profile = options.profile;
  st.activation_bits = options.config.activation_bits;
  st.weight_bits = options.config.weight_bits;
  return config;
}

/// The quantize phase of a proof under `config` (graph inputs as activations): fills the
/// statement's model hash and fracs (calibrated on options.calibration, else on `inputs`) and runs
/// the integer inference at them, every value into `all`. Returns the run's outputs.
result<int_value_map, model_proof_error_code> quantize(std::span<const std::uint8_t> model_bytes, const model& m,
                                                       const tensor_map& inputs, const prove_model_options& options,
                                                       const quantization_config& config, model_statement& st,
                                                       int_value_map& all) {
  using err = model_proof_error;
  st.model_hash = model_hash(model_bytes);
  auto cal = calibrate(m, options.calibration.empty() ? std::vector<tensor_map>{inputs} : options.calibration);
  if (!cal) return err{model_proof_error_code::bad_input, cal.error().message};
  st.fracs = tensor_fracs(cal.value(), config);
  calibration fixed_cal;
  fixed_cal.fracs = st.fracs;
  auto run = run_integer(m, inputs, fixed_cal, config, &all);
  if (!run) return err{model_proof_error_code::bad_input, run.error().message};
  return std::move(run.value());
}

/// The compiled circuit of `m` under the quantization of `st` (its run `all` under `config`): from
/// the cache, or compiled and cached (failing with `code`). The flag says whether it was cached.
template <class E>
result<std::pair<std::shared_ptr<const compiled_model<E>>, bool>, model_proof_error_code> compiled_circuit(
    const model_statement& st, const model& m, const int_value_map& all, const quantization_config& config,
    const stark::stark_params& params, model_proof_error_code code) {
  const std::string key = cache_key(st);
  if (auto found = circuit_cache<E>::instance().find(key)) return std::pair{found, true};
  auto c = compile<E>(m, all, config, params);
  if (!c) return model_proof_error{code, c.error().message};
  circuit_cache<E>::instance().put(key, c.value());
  return std::pair{c.value(), false};
}

template <class E>
result<prove_model_result, model_proof_error_code> prove_with(std::span<const std::uint8_t> model_bytes, const model& m,
                                                              const tensor_map& inputs,
                                                              const prove_model_options& options,
                                                              const stark::stark_params& params) {
  using err = model_proof_error;
  prove_model_result out;
  const auto phase = [&](const std::string& name) {
    if (options.on_phase) options.on_phase(name);
  };
  model_statement& st = out.file.statement;
  const quantization_config config = begin_statement(options, st);

  phase("quantize");
  auto t0 = std::chrono::steady_clock::now();
  int_value_map all;
  auto run = quantize(model_bytes, m, inputs, options, config, st, all);
  if (!run) return run.error();
  auto reference = run_reference(m, inputs);
  if (!reference) return err{model_proof_error_code::bad_input, reference.error().message};
  out.phases.emplace_back("quantize", seconds_since(t0));

  phase("compile");
  t0 = std::chrono::steady_clock::now();
  auto found = compiled_circuit<E>(st, m, all, config, params, model_proof_error_code::bad_input);
  if (!found) return found.error();
  const auto compiled = found.value().first;
  out.circuit_cached = found.value().second;
  out.phases.emplace_back("compile", seconds_since(t0));
  const program& prog = *compiled->lowered;
  out.multiply_adds = prog.multiply_adds();
  for (const auto& t : compiled->pk->vk.tables) out.rows += std::size_t{1} << t.log_height();
  out.estimated_memory = stark::estimated_prover_bytes(compiled->pk->vk);
  if (options.max_memory_bytes != 0 && out.estimated_memory > options.max_memory_bytes) {
    return err{model_proof_error_code::bad_input,
               "this model needs about " + std::to_string(out.estimated_memory >> 20) + " MiB to prove; the limit is " +
                   std::to_string(options.max_memory_bytes >> 20) + " MiB"};
  }

  phase("witness");
  t0 = std::chrono::steady_clock::now();
  std::vector<std::vector<std::int64_t>> in_q, out_q;
  for (const auto& t : prog.inputs) in_q.push_back(all.at(t.name).t.ints);
  auto values = evaluate(prog, in_q);
  if (!values) return err{model_proof_error_code::bad_input, values.error().message};
  for (const auto& t : prog.inputs) st.inputs.push_back({t.name, t.shape, t.frac, all.at(t.name).t.ints});
  for (const auto& t : prog.outputs) {
    proven_tensor pt{t.name, t.shape, t.frac, {}, t.integer};
    for (address a : t.addresses) pt.q.push_back(values.value()[a]);
    // The program computes the integer inference exactly (lower() checks it on its run; here on this one).
    if (pt.q != run.value().at(t.name).t.ints)
      return err{model_proof_error_code::bad_input, "internal: the circuit's output differs from the integer inference"};
    out_q.push_back(pt.q);
    st.outputs.push_back(std::move(pt));
  }
  st.input_commitment = input_commitment(st.inputs);
  for (std::size_t i = 0; i < st.outputs.size(); ++i) {
    const tensor& ref = reference.value().at(st.outputs[i].name);
    const tensor deq = st.outputs[i].dequantized();
    tensor r = tensor::floats(ref.shape, std::vector<double>(ref.size()));
    for (std::size_t j = 0; j < ref.size(); ++j) {
      r.data[j] = ref.value(j);
      if (!deq.is_integer()) st.parity.max_abs_error = std::max(st.parity.max_abs_error, std::fabs(deq.data[j] - r.data[j]));
    }
    st.parity.reference.push_back(std::move(r));
    if (deq.is_integer()) continue;
    const int_value& iv = run.value().at(st.outputs[i].name);
    st.parity.bound = std::max(st.parity.bound, iv.error.empty() ? std::numeric_limits<double>::infinity() : iv.max_error());
  }
  st.fixed_root = compiled->pk->vk.fixed_root;
  st.circuit = compiled->pk->vk.digest;
  const hash::digest d = statement_digest(st);
  auto witnesses = compiled->circuit->witnesses(values.value(), std::vector<babybear>(d.begin(), d.end()));
  out.phases.emplace_back("witness", seconds_since(t0));

  auto backend = kernels::make_cpu_backend();
  stark::prover_timings timings;
  stark::prove_options po;
  po.on_phase = options.on_phase;
  po.check_constraints = options.check_constraints;
  po.public_lookups = io_lookups(in_q, out_q);
  auto proof = stark::prove<E>(*compiled->pk, witnesses, *backend, backend->merkle(), &timings, po);
  if (!proof) return err{model_proof_error_code::bad_input, "prove: " + proof.error().message};
  for (const auto& ph : timings.phases) out.phases.push_back(ph);
  out.security_bits =
      stark::conjectured_security_bits(compiled->pk->vk.params, compiled->pk->vk.size(po.public_lookups.size()));
  out.file.stark_proof = stark::encode(proof.value());
  out.bytes = encode(out.file);
  return out;
}

template <class E>
result<bool, model_proof_error_code> compile_with(std::span<const std::uint8_t> model_bytes, const model& m,
                                                  const tensor_map& inputs, const prove_model_options& options,
                                                  const stark::stark_params& params) {
  model_statement st;
  const quantization_config config = begin_statement(options, st);
  int_value_map all;
  auto run = quantize(model_bytes, m, inputs, options, config, st, all);
  if (!run) return run.error();
  auto found = compiled_circuit<E>(st, m, all, config, params, model_proof_error_code::bad_input);
  if (!found) return found.error();
  return found.value().second;
}

template <class E>
result<verify_model_result, model_proof_error_code> verify_with(const model_proof_file& f,
                                                                std::span<const std::uint8_t> model_bytes,
                                                                const model* m, const tensor_map* inputs,
                                                                const stark::stark_params& params) {
  using err = model_proof_error;
  const model_statement& st = f.statement;
  verify_model_result out;
  out.statement = st;
  auto p = stark::decode<E>(f.stark_proof);
  if (!p) return err{model_proof_error_code::malformed, "the STARK proof does not decode: " + p.error().message};
  // The circuit: rebuilt from the model under the stated quantization, or from the proof's table
  // names and the stated fixed root.
  stark::verifying_key<E> vk;
  if (m) {
    if (model_hash(model_bytes) != st.model_hash)
      return err{model_proof_error_code::model_mismatch, "the proof is for another model (the model hashes differ)"};
    const quantization_config config = proof_config(st);
    const calibration cal = stated_calibration(st);
    int_value_map all;
    tensor_map stated = dequantized_inputs(st);
    for (const auto& v : m->inputs) {  // at the model's declared floating type
      auto it = stated.find(v.name);
      if (it != stated.end() && !is_integer_type(v.type)) it->second.type = v.type;
    }
    auto run = run_integer(*m, stated, cal, config, &all);
    if (!run) return err{model_proof_error_code::model_mismatch, "the stated input does not run on this model: " + run.error().message};
    auto found = compiled_circuit<E>(st, *m, all, config, params, model_proof_error_code::model_mismatch);
    if (!found) return found.error();
    const auto compiled = found.value().first;
    vk = compiled->pk->vk;
    if (vk.fixed_root != st.fixed_root || vk.digest != st.circuit)
      return err{model_proof_error_code::model_mismatch, "the proof's circuit is not this model's (circuit digests differ)"};
    // The stated tensors are the program's, at the stated quantization, and the outputs are what
    // this verifier's own integer inference gives on the stated input.
    const program& prog = *compiled->lowered;
    const auto same_tensors = [&](const std::vector<proven_tensor>& stated, const std::vector<program_tensor>& ours) {
      if (stated.size() != ours.size()) return false;
      for (std::size_t i = 0; i < ours.size(); ++i) {
        if (stated[i].name != ours[i].name || stated[i].shape != ours[i].shape || stated[i].frac != ours[i].frac ||
            stated[i].integer != ours[i].integer)
          return false;
      }
      return true;
    };
    if (!same_tensors(st.inputs, prog.inputs) || !same_tensors(st.outputs, prog.outputs))
      return err{model_proof_error_code::model_mismatch,
                 "the stated tensors (names, shapes, fracs) are not this model's under the stated quantization"};
    for (const auto& o : st.outputs) {
      if (run.value().at(o.name).t.ints != o.q)
        return err{model_proof_error_code::model_mismatch, "the stated output '" + detail::printable(o.name) +
                                                               "' is not this model's on the stated input"};
    }
    out.model_checked = true;
  } else {
    std::vector<stark::table_instance<E>> tables;
    for (const auto& t : p.value().stmt.tables) {
      auto kind = model_table_by_name<E>(t.air_name);
      if (!kind) return err{model_proof_error_code::invalid, "the proof has a table '" + t.air_name + "' that is not a model table"};
      tables.push_back({kind, t.log_rows, t.instances});
    }
    if (tables.empty() || tables.front().kind->name() != "zkml-io")
      return err{model_proof_error_code::invalid, "the proof's first table is not the model's io table"};
    auto d = stark::describe<E>(std::move(tables), params, st.fixed_root);
    if (!d) return err{model_proof_error_code::invalid, d.error().message};
    // The proof's tables, in its order, must be the stated circuit's: a list of other names over
    // the same fixed columns (the same root) would read them as other tables.
    if (d.value().digest != st.circuit)
      return err{model_proof_error_code::invalid, "the proof's tables are not the stated circuit's (circuit digests differ)"};
    vk = std::move(d.value());
  }
  // The statement: its digest in the io table's public values, its tensors on the io bus.
  const hash::digest digest = statement_digest(st);
  if (p.value().stmt.tables.empty() ||
      p.value().stmt.tables.front().public_values != std::vector<babybear>(digest.begin(), digest.end()))
    return err{model_proof_error_code::invalid, "the proof was made for another statement (its digest differs)"};
  if (input_commitment(st.inputs) != st.input_commitment)
    return err{model_proof_error_code::invalid, "the input commitment is not the stated input's"};
  std::vector<std::vector<std::int64_t>> in_q, out_q;
  for (const auto& t : st.inputs) in_q.push_back(t.q);
  for (const auto& t : st.outputs) out_q.push_back(t.q);
  const auto lookups = io_lookups(in_q, out_q);
  auto bits = stark::verify<E>(vk, p.value(), {}, lookups);
  if (!bits) return err{model_proof_error_code::invalid, bits.error().message};
  out.security_bits = bits.value();

  if (inputs) {
    for (const auto& t : st.inputs) {
      const auto it = inputs->find(t.name);
      if (it == inputs->end() || it->second.shape != t.shape)
        return err{model_proof_error_code::input_mismatch, "the proof is for another input ('" + detail::printable(t.name) + "' differs)"};
      for (std::size_t i = 0; i < t.q.size(); ++i) {
        const double x = it->second.is_integer() ? static_cast<double>(it->second.ints[i]) : it->second.data[i];
        if (!std::isfinite(x) || std::fabs(std::ldexp(x, t.frac)) > 1e15 || fixed::quantize(x, t.frac) != t.q[i])
          return err{model_proof_error_code::input_mismatch, "the proof is for another input ('" + detail::printable(t.name) +
                                                                 "' differs at element " + std::to_string(i) + ")"};
      }
    }
    out.input_checked = true;
  }
  if (m && inputs) {
    auto ref = run_reference(*m, *inputs);
    if (!ref) return err{model_proof_error_code::bad_input, ref.error().message};
    // The bound: this verifier's integer inference on the real input, at the stated quantization.
    const quantization_config config = proof_config(st);
    const calibration cal = stated_calibration(st);
    auto run = run_integer(*m, *inputs, cal, config);
    if (!run) return err{model_proof_error_code::input_mismatch, "the input does not run on the model: " + run.error().message};
    double bound = 0;
    for (const auto& o : st.outputs) {
      if (o.integer) continue;
      const int_value& v = run.value().at(o.name);
      bound = std::max(bound, v.error.empty() ? std::numeric_limits<double>::infinity() : v.max_error());
    }
    const bool same_bound = std::isinf(bound) ? std::isinf(st.parity.bound)
                                              : std::fabs(bound - st.parity.bound) <= 1e-9 * std::max(1.0, bound);
    if (!same_bound)
      return err{model_proof_error_code::parity_mismatch, "the certificate's bound is not the one the quantization states"};
    double max_err = 0;
    for (std::size_t o = 0; o < st.outputs.size(); ++o) {
      const auto it = ref.value().find(st.outputs[o].name);
      const tensor& stated = st.parity.reference[o];
      if (it == ref.value().end() || it->second.size() != stated.size())
        return err{model_proof_error_code::parity_mismatch, "the certificate's reference outputs are not the model's"};
      const tensor deq = st.outputs[o].dequantized();
      for (std::size_t i = 0; i < stated.size(); ++i) {
        const double r = it->second.value(i);
        if (std::fabs(r - stated.data[i]) > 1e-9 * std::max(1.0, std::fabs(r)))
          return err{model_proof_error_code::parity_mismatch,
                     "the certificate's reference output differs from the float reference at element " + std::to_string(i)};
        if (!deq.is_integer()) max_err = std::max(max_err, std::fabs(deq.data[i] - r));
      }
    }
    if (std::fabs(max_err - st.parity.max_abs_error) > 1e-9 * std::max(1.0, max_err))
      return err{model_proof_error_code::parity_mismatch, "the certificate's max error is not the recomputed one"};
    if (!(max_err <= st.parity.bound))
      return err{model_proof_error_code::parity_mismatch, "the proven outputs are further from the reference than the stated bound"};
    out.parity_checked = true;
  }
  return out;
}

}  // namespace

std::string statement_json(const model_statement& s) {
  json j;
  j["model_hash"] = s.model_hash.to_hex();
  j["input_commitment"] = s.input_commitment.to_hex();
  j["profile"] = s.profile;
  j["activation_bits"] = s.activation_bits;
  j["weight_bits"] = s.weight_bits;
  j["fracs"] = s.fracs;
  j["inputs"] = json::array();
  for (const auto& t : s.inputs) j["inputs"].push_back(tensor_json(t));
  j["outputs"] = json::array();
  for (const auto& t : s.outputs) j["outputs"].push_back(tensor_json(t));
  json refs = json::array();
  for (const auto& t : s.parity.reference) refs.push_back(floats_json(t));
  j["parity"] = {{"reference", refs},
                 {"max_abs_error", s.parity.max_abs_error},
                 {"bound", std::isfinite(s.parity.bound) ? json(s.parity.bound) : json(nullptr)}};
  j["fixed_root"] = digest_json(s.fixed_root);
  j["circuit"] = digest_json(s.circuit);
  return j.dump();
}

hash::digest statement_digest(const model_statement& s) {
  const std::string bytes = statement_json(s);
  std::vector<babybear> xs;
  xs.reserve(bytes.size() / 3 + 2);
  xs.push_back(babybear::from_u64(bytes.size()));
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t w = 0;
    for (std::size_t k = 0; k < 3 && i + k < bytes.size(); ++k)
      w |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + k])) << (8 * k);
    xs.push_back(babybear::from_canonical(w));
  }
  return hash::hash_elements(xs);
}

std::vector<std::uint8_t> encode(const model_proof_file& f) {
  const std::string st = statement_json(f.statement);
  std::vector<std::uint8_t> out(magic.begin(), magic.end());
  put_u32(out, format_version);
  put_u32(out, static_cast<std::uint32_t>(st.size()));
  out.insert(out.end(), st.begin(), st.end());
  put_u32(out, static_cast<std::uint32_t>(f.stark_proof.size()));
  out.insert(out.end(), f.stark_proof.begin(), f.stark_proof.end());
  return out;
}

bool is_model_proof(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= magic.size() && std::equal(magic.begin(), magic.end(), bytes.begin());
}

result<model_proof_file, int> decode_model_proof(std::span<const std::uint8_t> b) {
  using err = error<int>;
  if (!is_model_proof(b)) return err{0, "not a model proof (no CIROZKML header)"};
  std::size_t at = magic.size();
  if (b.size() < at + 8) return err{0, "the file ends inside its header"};
  const std::uint32_t version = get_u32(b, at);
  if (version != format_version)
    return err{0, "unsupported model proof version " + std::to_string(version) + " (this build reads version " +
                      std::to_string(format_version) + ")"};
  const std::uint32_t st_len = get_u32(b, at + 4);
  at += 8;
  if (st_len > max_statement_bytes || st_len > b.size() - at) return err{0, "the statement's length is out of bounds"};
  const std::string text(reinterpret_cast<const char*>(b.data() + at), st_len);
  at += st_len;
  if (b.size() - at < 4) return err{0, "the file ends before the STARK proof"};
  const std::uint32_t p_len = get_u32(b, at);
  at += 4;
  if (p_len > max_proof_bytes || p_len != b.size() - at)
    return err{0, "the STARK proof's length does not match the file (truncated or trailing bytes)"};
  model_proof_file f;
  try {
    const json j = json::parse(text);
    f.statement = read_statement(j);
  } catch (const std::exception& e) {
    return err{0, std::string("the statement is malformed: ") + e.what()};
  }
  if (statement_json(f.statement) != text) return err{0, "the statement is not in its canonical encoding"};
  f.stark_proof.assign(b.begin() + static_cast<std::ptrdiff_t>(at), b.end());
  return f;
}

result<prove_model_result, model_proof_error_code> prove_model(std::span<const std::uint8_t> model_bytes,
                                                               const model& m, const tensor_map& inputs,
                                                               const prove_model_options& options) {
  const auto params = stark::profile(options.profile);
  if (!params) return model_proof_error{model_proof_error_code::bad_input, "unknown profile '" + options.profile + "'"};
  if (params->extension_degree == 5) return prove_with<field::babybear5>(model_bytes, m, inputs, options, *params);
  return prove_with<field::babybear4>(model_bytes, m, inputs, options, *params);
}

result<bool, model_proof_error_code> compile_model(std::span<const std::uint8_t> model_bytes, const model& m,
                                                   const tensor_map& inputs, const prove_model_options& options) {
  const auto params = stark::profile(options.profile);
  if (!params) return model_proof_error{model_proof_error_code::bad_input, "unknown profile '" + options.profile + "'"};
  if (params->extension_degree == 5) return compile_with<field::babybear5>(model_bytes, m, inputs, options, *params);
  return compile_with<field::babybear4>(model_bytes, m, inputs, options, *params);
}

result<verify_model_result, model_proof_error_code> verify_model(std::span<const std::uint8_t> proof_bytes,
                                                                 std::span<const std::uint8_t> model_bytes,
                                                                 const model* m, const tensor_map* inputs) {
  auto f = decode_model_proof(proof_bytes);
  if (!f) return model_proof_error{model_proof_error_code::malformed, f.error().message};
  const auto params = stark::profile(f.value().statement.profile);
  if (!params) return model_proof_error{model_proof_error_code::malformed, "unknown profile in the statement"};
  if (params->extension_degree == 5) return verify_with<field::babybear5>(f.value(), model_bytes, m, inputs, *params);
  return verify_with<field::babybear4>(f.value(), model_bytes, m, inputs, *params);
}

}  // namespace ciro::zkml
