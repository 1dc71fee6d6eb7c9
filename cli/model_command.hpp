#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ciro::cli {

/// `ciro prove --model M.onnx --input IN -o FILE [--profile fast|secure] [--threads N]
/// [--calibrate IN2 ...] [--bits N] [--json OUT]`: proves the model's inference on IN
/// (zkml::prove_model, calibrated on the --calibrate inputs, else on IN) and prints the outputs,
/// the model hash, the input commitment, the parity certificate, the prover's phases, the proof's
/// size and its security. Exit 2 with one line for usage errors, unreadable or unsupported models
/// and inputs, and models too large for the machine's memory.
int prove_model_command(const std::vector<std::string>& args);

/// `ciro verify FILE [--model M.onnx] [--input IN] [--circuit 0x...] [--json OUT]` for a model proof
/// file `bytes`: exit 0 and one line (model hash, outputs, security, circuit digest) when valid; 1 when the proof is invalid or malformed, or is for another model (--model), input
/// (--input) or circuit (`circuit`: a digest in lower case as circuit_hex writes it, empty for
/// any), or its parity certificate does not hold (model and input); 2 for unreadable models and
/// inputs. --json writes {"model_hash", "input_commitment", "circuit", "outputs", "security_bits",
/// "parity"}.
int verify_model_proof(std::span<const std::uint8_t> bytes, const std::string& model_path,
                       const std::string& input_path, const std::string& json_path, std::uint32_t min_bits,
                       const std::string& circuit = {});

}  // namespace ciro::cli
