// ciro verify-certificate CERT|RESULT --validators SET [--proof PROOF]: checks a quorum certificate
// offline, alone or as a validated job's result carries it (with its proof).

#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "consensus/digest.hpp"
#include "consensus/json_format.hpp"

namespace ciro::cli {
namespace {

constexpr const char* verify_certificate_usage =
    "usage: ciro verify-certificate CERT.json|RESULT.json --validators SET.json [--proof PROOF]";

}  // namespace

int verify_certificate_command(const std::vector<std::string>& args) {
  std::string certificate_path, validators_path, proof_path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--validators") {
      if (i + 1 >= args.size()) return usage_error("verify-certificate: --validators needs a file");
      validators_path = args[++i];
    } else if (args[i] == "--proof") {
      if (i + 1 >= args.size()) return usage_error("verify-certificate: --proof needs a file");
      proof_path = args[++i];
    } else if (args[i] == "--help" || args[i] == "-h") {
      std::puts(verify_certificate_usage);
      return exit_ok;
    } else if (certificate_path.empty() && (args[i].empty() || args[i][0] != '-')) {
      certificate_path = args[i];
    } else {
      return usage_error("verify-certificate: unexpected argument '" + args[i] + "' (" + verify_certificate_usage +
                         ")");
    }
  }
  if (certificate_path.empty() || validators_path.empty()) {
    return usage_error(std::string("verify-certificate: ") + verify_certificate_usage);
  }
  const auto set_text = read_bounded(validators_path, consensus::max_json_bytes);
  if (!set_text) return usage_error("verify-certificate: cannot read " + validators_path + " (or it is over 16 MiB)");
  const auto cert_text = read_bounded(certificate_path, consensus::max_json_bytes);
  if (!cert_text) return usage_error("verify-certificate: cannot read " + certificate_path + " (or it is over 16 MiB)");
  // A job's result file (`ciro serve` with validators) carries its certificate under "certificate".
  std::string cert_json = *cert_text, job_id;
  if (const auto j = nlohmann::json::parse(*cert_text, nullptr, false); j.is_object() && j.contains("certificate")) {
    if (!j["certificate"].is_object() || !j.contains("id") || !j["id"].is_string()) {
      return usage_error("verify-certificate: " + certificate_path + ": a result's \"certificate\" is an object beside its \"id\"");
    }
    cert_json = j["certificate"].dump();
    job_id = j["id"].get<std::string>();
  }
  std::optional<consensus::digest> proof_digest;
  if (!proof_path.empty()) {
    std::ifstream in(proof_path, std::ios::binary);
    if (!in) return usage_error("verify-certificate: cannot read " + proof_path);
    const std::string proof(std::istreambuf_iterator<char>(in), {});
    proof_digest = consensus::sha256({reinterpret_cast<const std::uint8_t*>(proof.data()), proof.size()});
  }
  const auto set = consensus::validators_from_json(*set_text);
  if (!set) return usage_error("verify-certificate: " + validators_path + ": " + set.error().message);
  const auto file = consensus::certificate_from_json(cert_json);
  if (!file) return usage_error("verify-certificate: " + certificate_path + ": " + file.error().message);
  const consensus::quorum_certificate& cert = file.value().certificate;
  if (file.value().validator_set != set.value().digest()) {
    std::printf("invalid: the certificate names validator set %s, not this one (%s)\n",
                consensus::to_hex(file.value().validator_set).substr(0, 16).c_str(),
                consensus::to_hex(set.value().digest()).substr(0, 16).c_str());
    return exit_failed;
  }
  const auto checked = consensus::check_certificate(cert, set.value());
  if (!checked) {
    std::printf("invalid: %s\n", checked.error().message.c_str());
    return exit_failed;
  }
  // The job's verdict (a result file's id), and the proof it names (--proof).
  if (!job_id.empty() || proof_digest) {
    const consensus::verdict* found = nullptr;
    for (const consensus::verdict& v : cert.committed.verdicts) {
      if ((job_id.empty() || v.job_id == job_id) && (!proof_digest || v.proof_digest == *proof_digest)) found = &v;
    }
    if (found == nullptr) {
      std::printf("invalid: the certificate holds no verdict%s%s%s%s\n", job_id.empty() ? "" : " on job ", job_id.c_str(),
                  proof_digest ? " naming the proof " : "", proof_digest ? proof_path.c_str() : "");
      return exit_failed;
    }
    if (!found->valid) {
      std::printf("invalid: the validators found the proof of job %s invalid\n", found->job_id.c_str());
      return exit_failed;
    }
    std::printf("job %s: proof %s agreed valid\n", found->job_id.c_str(), consensus::to_hex(found->proof_digest).substr(0, 16).c_str());
  }
  std::size_t valid = 0;
  for (const consensus::verdict& v : cert.committed.verdicts) valid += v.valid ? 1 : 0;
  std::printf(
      "valid: sequence %llu, view %llu, batch %s (%zu verdicts, %zu valid), %zu signers holding %llu of %llu weight\n",
      static_cast<unsigned long long>(cert.sequence), static_cast<unsigned long long>(cert.view),
      consensus::to_hex(consensus::batch_digest(cert.committed)).substr(0, 16).c_str(), cert.committed.verdicts.size(),
      valid, cert.commits.size(), static_cast<unsigned long long>(checked.value()),
      static_cast<unsigned long long>(set.value().total_weight()));
  return exit_ok;
}

}  // namespace ciro::cli
