#pragma once

#include <chrono>
#include <cstdio>

#include <optional>
#include <string>
#include <vector>

namespace ciro::cli {

/// Exit codes of the `ciro` command: 0 success, 1 a proof that does not verify (or a failed
/// check), 2 a usage error or unreadable input.
enum exit_code : int { exit_ok = 0, exit_failed = 1, exit_usage = 2 };

/// Prints `ciro: <message>` on one line to stderr and returns exit_usage.
int usage_error(const std::string& message);

/// The bytes of the file `path`, or nothing when it cannot be read or is larger than `max_bytes`
/// (read no further than that).
std::optional<std::string> read_bounded(const std::string& path, std::size_t max_bytes);

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


/// `ciro bench [--filter REGEX] [--json FILE] [--quick] [--repetitions N] [--threads N] [--list]`;
/// `ciro bench --compare A.json B.json ... [--html OUT]` puts runs side by side (bench/compare.hpp).
int bench_command(const std::vector<std::string>& args);

/// `ciro hash poseidon2-babybear V1..V16|V1..V24` and `ciro hash starknet-poseidon[-single|-many] ...`:
/// prints the permuted state (canonical decimals) or the felt252 hash (0x-hex).
int hash_command(const std::vector<std::string>& args);

/// `ciro prove --air NAME --log-rows K [--instances N] [--profile fast|secure] [--threads N] -o FILE`.
int prove_command(const std::vector<std::string>& args);

/// `ciro verify [--min-security BITS] [--public V1,V2,...] [--air NAME --log-rows K [--instances N]]
/// FILE`: exit 0 and one line when valid (naming the tables and showing the public values), 1
/// when the proof is invalid, malformed or truncated, its public values differ from --public, or
/// its statement is not the one --air/--log-rows/--instances name; 2 for usage errors and
/// unreadable files.
int verify_command(const std::vector<std::string>& args);

/// `ciro run --model M.onnx --input IN [--json OUT] [--calibrate IN2 ...] [--bits N]`: the integer
/// inference (zkml::run_integer, N-bit activations, default 16) calibrated on IN (and the
/// --calibrate inputs), each output printed beside the float reference with its max absolute error,
/// the bound the scheme states and whether the arg-max agrees; --json writes them. Exit 2 with one
/// line for usage errors, unreadable or invalid models and inputs, and inferences refused.
int run_command(const std::vector<std::string>& args);

/// `ciro serve [--config FILE] [--listen ADDR|none] [--metrics ADDR|none] [--spool DIR] [--token-file FILE]
/// [--workers N] [--threads N] [--queue N] [--price-core-hour X] [--once]`: a proving node with its
/// RPC sidecar and metrics endpoint (docs/runtime.md, docs/rpc.md); SIGTERM and SIGINT drain it.
int serve_command(const std::vector<std::string>& args);

/// `ciro submit [--server ADDR] [--token-file FILE] [--timeout-s N] [--id ID] (--air NAME --log-rows K
/// [--instances N] | --model M.onnx --input IN) [--profile P] [--deadline-ms T] [--priority P]
/// [-o PROOF] [--json OUT]`: sends a job to a node and waits for its result. Exit 0 when proven, 1
/// when the job failed, 2 for usage errors, an unreachable node, or one busy until the timeout.
int submit_command(const std::vector<std::string>& args);

/// `ciro status [--server ADDR] ID [-o PROOF]` (exit 1 when the node knows no such job) and
/// `ciro cancel [--server ADDR] ID` (exit 0 when cancelled, 1 when it was not: running or done).
int status_command(const std::vector<std::string>& args, bool cancel);

/// `ciro simulate [--replicas N] [--byzantine F] [--schedules S] [--seed X] [--behaviour B] [--no-faults]
/// [--certificate-out FILE --validators-out FILE]`: runs the consensus simulator over schedules
/// seed .. seed + S - 1 and prints schedules run, commits, view changes, slashes, drops and every
/// violation with the seed that replays it; optionally writes the first committed batch's
/// certificate and the validator set. Exit 0 without violations, 1 with some, 2 for usage errors.
int simulate_command(const std::vector<std::string>& args);

/// `ciro verify-certificate CERT|RESULT --validators SET [--proof PROOF]`: checks a quorum
/// certificate offline against a validator set (docs/consensus.md); given a job's result file, the
/// certificate it carries, which must hold a "valid" verdict on that job; with --proof, a verdict
/// naming that proof (its SHA-256). Exit 0 valid, 1 when it does not verify (one line saying why),
/// 2 for usage errors and unreadable or malformed files.
int verify_certificate_command(const std::vector<std::string>& args);

/// `ciro devices [--json FILE]`: the CPU (the reference prover) and every CUDA device (name,
/// compute capability, SMs, memory, clocks, driver) with a self-test against the CPU
/// (kernels/cuda/cuda_self_test.hpp); with none, one line saying why. Exit 0 either way: a machine
/// without a GPU proves on its CPU.
int devices_command(const std::vector<std::string>& args);

/// `ciro validator-key new FILE`: writes a fresh Ed25519 secret (RFC 8032 seed, 64 hex characters,
/// mode 0600, never over an existing file) and prints its public key; `ciro validator-key public
/// FILE` prints the public key of a key file. Exit 2 for usage errors and unreadable files.
int validator_key_command(const std::vector<std::string>& args);

/// `ciro ledger LEDGER.state --validators SET [--at UNIX_SECONDS] [--json OUT] [--next-set OUT]`:
/// each validator's stake, reputation, uptime and voting weight at that time (default now; with
/// --next-set, the ledger's clock), banned or not, and the offences slashed, from a validator's
/// ledger state (docs/consensus.md); --next-set writes the validator set of the next epoch with
/// those weights (exit 1 when they make no valid set). Exit 2 with one line for usage errors,
/// unreadable files and a state that is not a ledger of that set's validators.
int ledger_command(const std::vector<std::string>& args);

}  // namespace ciro::cli
