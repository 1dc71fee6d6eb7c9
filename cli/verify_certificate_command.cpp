// ciro verify-certificate CERT --validators SET: checks a quorum certificate offline.

#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "consensus/json_format.hpp"

namespace ciro::cli {
namespace {

constexpr const char* verify_certificate_usage = "usage: ciro verify-certificate CERT.json --validators SET.json";

/// The file's bytes, or nothing when it cannot be read or is larger than the parsers take.
std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > consensus::max_json_bytes) return std::nullopt;
  }
  if (in.bad()) return std::nullopt;
  return text;
}

}  // namespace

int verify_certificate_command(const std::vector<std::string>& args) {
  std::string certificate_path, validators_path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--validators") {
      if (i + 1 >= args.size()) return usage_error("verify-certificate: --validators needs a file");
      validators_path = args[++i];
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
  const auto set_text = read_file(validators_path);
  if (!set_text) return usage_error("verify-certificate: cannot read " + validators_path + " (or it is over 16 MiB)");
  const auto cert_text = read_file(certificate_path);
  if (!cert_text) return usage_error("verify-certificate: cannot read " + certificate_path + " (or it is over 16 MiB)");
  const auto set = consensus::validators_from_json(*set_text);
  if (!set) return usage_error("verify-certificate: " + validators_path + ": " + set.error().message);
  const auto file = consensus::certificate_from_json(*cert_text);
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
