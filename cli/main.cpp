#include <mimalloc.h>

#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "cli/command.hpp"

namespace {

constexpr const char* usage_text =
    "usage: ciro <command> [options]\n"
    "\n"
    "commands:\n"
    "  bench [--filter REGEX] [--json FILE] [--quick] [--repetitions N] [--threads N] [--list]\n"
    "        run the named benchmark workloads and print a table (JSON with --json)\n"
    "  bench --compare A.json B.json ... [--html OUT]\n"
    "        runs of several machines side by side, ratios to the first (an HTML chart with --html)\n"
    "  devices [--json FILE]\n"
    "        the CPU and each CUDA device (name, compute capability, memory, driver, self-test)\n"
    "  hash poseidon2-babybear V1 ... V16|V24\n"
    "  hash starknet-poseidon X Y | starknet-poseidon-single X | starknet-poseidon-many [X ...]\n"
    "        hash values (decimal or 0x-hex) with Poseidon2-BabyBear or Starknet's Poseidon\n"
    "  prove --air fibonacci|poseidon2|range-check|permutation --log-rows K [--instances N]\n"
    "        [--profile fast|secure] [--threads N] -o FILE\n"
    "        prove a statement of 2^K rows (N instances in one proof); prints timings by phase,\n"
    "        proof size and security\n"
    "  verify [--min-security BITS] [--public V1,V2,...] [--air NAME --log-rows K [--instances N]\n"
    "        [--batch-first I]] FILE\n"
    "        check a proof: exit 0 if valid, 1 if not (or if its public values or statement differ);\n"
    "        --batch-first: a job's statement inside a batch proof, from the batch's instance I\n"
    "  verify FILE [--model M.onnx] [--input IN] [--circuit 0x...] [--json OUT]\n"
    "        check a model proof; --circuit: only if it is of the circuit with this digest\n"
    "  run --model M.onnx --input IN [--json OUT] [--calibrate IN2 ...] [--bits N] [--trace]\n"
    "        the integer inference of an ONNX model (the computation a proof attests) beside the\n"
    "        float reference: outputs, max error, its bound, arg-max agreement (IN: .json, .pb, .npy)\n"
    "  serve [--listen ADDR] [--metrics ADDR] [--spool DIR] [--config FILE] [--workers N] [--once] ...\n"
    "  submit [--server ADDR] (--air NAME --log-rows K | --model M.onnx --input IN) [-o PROOF]\n"
    "  status [--server ADDR] ID [-o PROOF]\n"
    "  cancel [--server ADDR] ID\n"
    "        a proving node: job files DIR/in/<id>.json proven into DIR/out/ (or DIR/failed/);\n"
    "        SIGTERM drains it (docs/runtime.md)\n"
    "  simulate [--replicas N] [--byzantine F] [--schedules S] [--seed X] [--behaviour B] [--no-faults]\n"
    "           [--certificate-out FILE --validators-out FILE]\n"
    "        the pBFT consensus simulator: commits, view changes, slashes, violations with their seed\n"
    "  verify-certificate CERT|RESULT --validators SET [--proof PROOF]\n"
    "        check a quorum certificate offline (alone, or the one a validated job's result carries,\n"
    "        with its proof): exit 0 if valid, 1 if not (docs/consensus.md)\n"
    "  validator-key new FILE | public FILE\n"
    "        a validator's Ed25519 signing key: make one (prints its public key), or print its public key\n"
    "  ledger SPOOL/ledger.state --validators SET [--at UNIX_SECONDS] [--json OUT] [--next-set OUT]\n"
    "        a validator's ledger: stake, reputation, uptime and weight of each validator, the slashes;\n"
    "        --next-set writes the next epoch's validator set with those weights\n"
    "  help  print this message\n";

}  // namespace

int main(int argc, char** argv) {
  // mimalloc (linked first: it is this binary's malloc) returns freed pages to the OS 25 ms after
  // they empty by default; a prover reuses buffers of the same sizes proof after proof, so that made
  // a busy farm node fault its pages in again for every proof (perf: page faults and madvise, the
  // largest cost after proving itself; the aggregated farm benchmark went from about 228 to about
  // 290 jobs/s with 10 s). Freed pages are kept for 10 s; the environment variable
  // MIMALLOC_DECOMMIT_DELAY still overrides it.
  if (std::getenv("MIMALLOC_DECOMMIT_DELAY") == nullptr && std::getenv("MIMALLOC_RESET_DELAY") == nullptr) {
    mi_option_set(mi_option_decommit_delay, 10000);
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(usage_text, stderr);
    return ciro::cli::exit_usage;
  }
  const std::string command = args.front();
  args.erase(args.begin());
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(usage_text, stdout);
    return ciro::cli::exit_ok;
  }
  try {
    if (command == "bench") return ciro::cli::bench_command(args);
    if (command == "hash") return ciro::cli::hash_command(args);
    if (command == "prove") return ciro::cli::prove_command(args);
    if (command == "verify") return ciro::cli::verify_command(args);
    if (command == "run") return ciro::cli::run_command(args);
    if (command == "serve") return ciro::cli::serve_command(args);
    if (command == "submit") return ciro::cli::submit_command(args);
    if (command == "status") return ciro::cli::status_command(args, false);
    if (command == "cancel") return ciro::cli::status_command(args, true);
    if (command == "simulate") return ciro::cli::simulate_command(args);
    if (command == "verify-certificate") return ciro::cli::verify_certificate_command(args);
    if (command == "validator-key") return ciro::cli::validator_key_command(args);
    if (command == "ledger") return ciro::cli::ledger_command(args);
    if (command == "devices") return ciro::cli::devices_command(args);
  } catch (const std::bad_alloc&) {
    return ciro::cli::usage_error(command + ": out of memory");
  }
  return ciro::cli::usage_error("unknown command '" + command + "' (try 'ciro help')");
}
