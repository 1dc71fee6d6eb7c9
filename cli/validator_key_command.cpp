// ciro validator-key new FILE | public FILE: a validator's Ed25519 signing key.

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "consensus/digest.hpp"
#include "consensus/ed25519.hpp"
#include "consensus/sodium.hpp"

namespace ciro::cli {
namespace {

constexpr const char* validator_key_usage = "usage: ciro validator-key new FILE | ciro validator-key public FILE";

}  // namespace

int validator_key_command(const std::vector<std::string>& args) {
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::puts(validator_key_usage);
    return exit_ok;
  }
  if (args.size() != 2 || (args[0] != "new" && args[0] != "public")) {
    return usage_error(std::string("validator-key: ") + validator_key_usage);
  }
  const std::string& path = args[1];
  consensus::secret_seed seed{};
  if (args[0] == "new") {
    consensus::ensure_sodium();
    randombytes_buf(seed.data(), seed.size());
    // Created, never overwritten, readable by its owner only.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return usage_error("validator-key: cannot create " + path + " (it exists, or the directory is not writable)");
    const std::string text = consensus::to_hex(seed) + "\n";
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!written) return usage_error("validator-key: cannot write " + path);
  } else {
    std::ifstream f(path);
    std::string line;
    if (!f || !std::getline(f, line)) return usage_error("validator-key: cannot read " + path);
    const auto parsed = consensus::from_hex<32>(line);
    if (!parsed) return usage_error("validator-key: " + path + " does not hold a key (64 hex characters)");
    seed = *parsed;
  }
  std::printf("public key: %s\n", consensus::to_hex(consensus::key_pair_from_seed(seed).public_key_bytes).c_str());
  return exit_ok;
}

}  // namespace ciro::cli
