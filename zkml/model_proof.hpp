#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "field/felt252.hpp"
#include "hash/sponge.hpp"
#include "stark/params.hpp"
#include "stark/prover.hpp"
#include "zkml/model.hpp"
#include "zkml/quantization.hpp"
#include "zkml/tensor.hpp"

/// Proofs of model inference (docs/zkml.md, "Proving"): `ciro prove --model` and `ciro verify` on
/// a model proof file.
///
/// A proof states: the model (its hash), the quantization (every tensor's frac and the bit widths),
/// the input (public, with its commitment) and the outputs (integers at their fracs), and carries a
/// parity certificate (the float reference's outputs, the largest difference of the proven outputs
/// from them, and the bound the quantization promises). The STARK proof covers the circuit of the
/// lowered model (zkml/model_circuit.hpp): its verifying key commits to the weights and the wiring,
/// the io bus ties the circuit's inputs and outputs to the stated ones, and the io table's public
/// values are the digest of the whole statement, so no part of it can change without the proof
/// failing.
namespace ciro::zkml {

/// A public tensor of the statement: integers q at frac f (the reals q 2^-f).
struct proven_tensor {
  std::string name;
  shape_t shape;
  int frac = 0;
  std::vector<std::int64_t> q;
  /// An integer tensor (a classifier's labels, frac 0): q as they are, outside the parity
  /// certificate's error and bound.
  bool integer = false;
  /// The reals q 2^-f as a FLOAT tensor (an INT64 tensor of q when integer).
  [[nodiscard]] tensor dequantized() const;
  friend bool operator==(const proven_tensor&, const proven_tensor&) = default;
};

/// The float reference against the proven outputs.
struct parity_certificate {
  /// The float reference's outputs (program output order), as float64 values.
  std::vector<tensor> reference;
  /// max |dequantized proven output - reference| over every output element.
  double max_abs_error = 0;
  /// The largest error bound the quantization promises for an output element (docs/zkml.md, §4;
  /// infinite where the scheme gives none).
  double bound = 0;
};

/// What a model proof states.
struct model_statement {
  field::felt252 model_hash;        ///< model_hash() of the model file
  field::felt252 input_commitment;  ///< input_commitment() of the inputs
  std::string profile;              ///< "fast" or "secure"
  int activation_bits = 16, weight_bits = 16;
  /// The quantization: the frac of every floating tensor of the graph.
  std::map<std::string, int> fracs;
  std::vector<proven_tensor> inputs, outputs;
  parity_certificate parity;
  /// The circuit's commitment to its fixed columns (the verifying key's fixed root).
  hash::digest fixed_root{};
  /// The circuit itself: the verifying key's digest (the parameters, every table's name, height
  /// and shape in order, and fixed_root). The fixed root alone does not say where one table's
  /// columns end and the next begin; this digest does, so it is what a verifier without the model
  /// pins (circuit_hex prints it).
  hash::digest circuit{};
};

/// A circuit digest as "0x" and 64 hex digits (each element's 8, in order).
[[nodiscard]] std::string circuit_hex(const hash::digest& d);

/// A model proof file: the statement and the STARK proof (stark::encode's bytes).
struct model_proof_file {
  model_statement statement;
  std::vector<std::uint8_t> stark_proof;
};

/// The model hash: the felt252 commitment (hash/commit.hpp, commit_bytes: Starknet's Poseidon) of
/// the model file's bytes, so a Starknet contract can name the model.
field::felt252 model_hash(std::span<const std::uint8_t> model_bytes);
/// The input commitment: commit_felts over, per input in order, its frac + 2^32, its rank, its
/// dimensions and its integers (each as v + 2^63, a felt), after their count.
field::felt252 input_commitment(const std::vector<proven_tensor>& inputs);

/// The digest the io table's public values carry: Poseidon2 hash_elements of the statement's
/// canonical bytes (statement_bytes), 3 bytes per element.
hash::digest statement_digest(const model_statement& s);
/// The canonical encoding of a statement (the file's statement section): JSON with sorted keys.
std::string statement_json(const model_statement& s);

/// The file: "CIROZKML", version 1 (u32 little-endian), the statement's length (u32) and bytes, the
/// STARK proof's length (u32) and bytes.
std::vector<std::uint8_t> encode(const model_proof_file& f);
/// True when `bytes` start like a model proof file.
bool is_model_proof(std::span<const std::uint8_t> bytes);
/// Decodes a model proof file, bounding every length (a statement up to 64 MiB, tensors up to
/// 2^24 elements, ranks up to 8). Fails with a one-line reason.
result<model_proof_file, int> decode_model_proof(std::span<const std::uint8_t> bytes);

/// How `prove_model` proves.
struct prove_model_options {
  std::string profile = "fast";
  quantization_config config{};
  /// Inputs to calibrate on; empty: the input being proven.
  std::vector<tensor_map> calibration;
  /// Phase names as they start (progress on stderr).
  std::function<void(const std::string&)> on_phase;
  /// Refuse a circuit whose prover would need more memory than this (0: no limit).
  std::uint64_t max_memory_bytes = 0;
  /// Run the STARK prover's debug check of every constraint and bus first (stark::prove_options).
  /// Off by default: the witness is the lowered program's evaluation, which lower() checks against
  /// the integer inference, and the tests verify every proof they make.
  bool check_constraints = false;
};

/// What a proof run reports.
struct prove_model_result {
  model_proof_file file;
  std::vector<std::uint8_t> bytes;  ///< encode(file)
  std::uint32_t security_bits = 0;
  /// Seconds of each phase: "quantize" (calibration and the integer inference), "compile" (the
  /// lowering and the circuit's keys; 0 when cached), "witness", then the STARK prover's phases.
  std::vector<std::pair<std::string, double>> phases;
  bool circuit_cached = false;
  std::size_t multiply_adds = 0, rows = 0;
  std::uint64_t estimated_memory = 0;
};

/// Why a model proof was refused or rejected.
enum class model_proof_error_code : std::uint8_t {
  bad_input,    ///< unusable model or input, unsupported op, too large (CLI exit 2)
  malformed,    ///< the proof file does not decode (exit 1)
  invalid,      ///< the proof does not verify (exit 1)
  model_mismatch,  ///< the proof is for another model or circuit (exit 1)
  input_mismatch,  ///< the proof is for another input (exit 1)
  parity_mismatch, ///< the parity certificate does not hold (exit 1)
};
using model_proof_error = error<model_proof_error_code>;

/// Proves the inference of `m` (read from `model_bytes`) on `inputs`. Circuits are cached by the
/// model hash and the quantization (in this process), so a second input of the same model skips
/// compilation.
result<prove_model_result, model_proof_error_code> prove_model(std::span<const std::uint8_t> model_bytes,
                                                               const model& m, const tensor_map& inputs,
                                                               const prove_model_options& options = {});

/// The compile step of prove_model alone: quantizes `inputs` as prove_model would and compiles the
/// model's circuit for that quantization (lowering, fixed columns, keys) into the process's cache,
/// where the prove_model of the same model, options and quantization finds it. Returns whether it
/// was cached already; fails like prove_model on a model or input it cannot prove.
result<bool, model_proof_error_code> compile_model(std::span<const std::uint8_t> model_bytes, const model& m,
                                                   const tensor_map& inputs, const prove_model_options& options = {});

/// What verification established.
struct verify_model_result {
  model_statement statement;
  std::uint32_t security_bits = 0;
  bool model_checked = false, input_checked = false, parity_checked = false;
};

/// Verifies a model proof file. With the model (`model_bytes` and `m`), also that the model hash
/// is the model's and that the proof's circuit is the model's under the stated quantization (the
/// lowering is rebuilt on the stated input); with `inputs`, that the stated input is these inputs
/// quantized at the stated fracs; with both, recomputes the float reference and checks the parity
/// certificate.
result<verify_model_result, model_proof_error_code> verify_model(std::span<const std::uint8_t> proof_bytes,
                                                                 std::span<const std::uint8_t> model_bytes = {},
                                                                 const model* m = nullptr,
                                                                 const tensor_map* inputs = nullptr);

}  // namespace ciro::zkml
