// ciro simulate: the consensus simulator (consensus/simulator.hpp) over many seeded schedules;
// optionally writes one committed batch's certificate and the validator set, for
// `ciro verify-certificate`.

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "consensus/json_format.hpp"
#include "consensus/simulator.hpp"

namespace ciro::cli {
namespace {

constexpr const char* simulate_usage =
    "usage: ciro simulate [--replicas N] [--byzantine F] [--schedules S] [--seed X]\n"
    "                     [--behaviour silent|equivocate|invalid_votes|forge|replay|collude] [--no-faults]\n"
    "                     [--certificate-out FILE --validators-out FILE]";

/// A decimal number of at most `max`.
std::optional<std::uint64_t> number_of(const std::string& s, std::uint64_t max) {
  if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const std::uint64_t v = std::stoull(s);
  return v > max ? std::nullopt : std::optional(v);
}

std::optional<consensus::byzantine_behaviour> behaviour_of(const std::string& s) {
  using consensus::byzantine_behaviour;
  for (const auto b : {byzantine_behaviour::silent, byzantine_behaviour::equivocate, byzantine_behaviour::invalid_votes,
                       byzantine_behaviour::forge, byzantine_behaviour::replay, byzantine_behaviour::collude}) {
    if (s == consensus::behaviour_name(b)) return b;
  }
  return std::nullopt;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out.flush());
}

}  // namespace

int simulate_command(const std::vector<std::string>& args) {
  consensus::simulation_config config;
  std::uint64_t schedules = 100, seed = 1;
  std::string certificate_out, validators_out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--no-faults") {
      config.faults = false;
      continue;
    }
    if (a == "--help" || a == "-h") {
      std::puts(simulate_usage);
      return exit_ok;
    }
    if (i + 1 >= args.size()) return usage_error("simulate: " + a + " needs a value (try 'ciro simulate --help')");
    const std::string& v = args[++i];
    if (a == "--replicas") {
      const auto n = number_of(v, 64);
      if (!n || *n < 4) return usage_error("simulate: --replicas takes 4 to 64, not '" + v + "'");
      config.replicas = *n;
    } else if (a == "--byzantine") {
      const auto n = number_of(v, 64);
      if (!n) return usage_error("simulate: --byzantine takes a count, not '" + v + "'");
      config.byzantine = *n;
    } else if (a == "--schedules") {
      const auto n = number_of(v, 10'000'000);
      if (!n || *n == 0) return usage_error("simulate: --schedules takes 1 to 10000000, not '" + v + "'");
      schedules = *n;
    } else if (a == "--seed") {
      const auto n = number_of(v, UINT64_MAX / 2);
      if (!n) return usage_error("simulate: --seed takes a decimal number, not '" + v + "'");
      seed = *n;
    } else if (a == "--behaviour") {
      const auto b = behaviour_of(v);
      if (!b) return usage_error("simulate: unknown --behaviour '" + v + "'");
      config.behaviour = *b;
    } else if (a == "--certificate-out") {
      certificate_out = v;
    } else if (a == "--validators-out") {
      validators_out = v;
    } else {
      return usage_error("simulate: unknown option '" + a + "'");
    }
  }
  if (config.byzantine >= config.replicas) return usage_error("simulate: --byzantine must be below --replicas");
  if (certificate_out.empty() != validators_out.empty()) {
    return usage_error("simulate: --certificate-out and --validators-out go together");
  }
  const consensus::validator_set set = consensus::simulation_validators(config.replicas);
  const consensus::simulation_summary s = consensus::simulate_many(config, seed, schedules);
  std::printf("schedules: %zu (seeds %llu .. %llu), %zu replicas, %zu Byzantine (%s), f = %zu%s\n", s.schedules,
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed + schedules - 1),
              config.replicas, config.byzantine,
              config.behaviour ? consensus::behaviour_name(*config.behaviour) : "mixed", set.fault_tolerance(),
              config.byzantine > set.fault_tolerance() ? ": more than f, liveness and validity not checked" : "");
  std::printf("commits: %zu, view changes: %llu, slashes: %zu, messages delivered: %llu\n", s.batches_committed,
              static_cast<unsigned long long>(s.view_changes), s.slashes, static_cast<unsigned long long>(s.messages));
  const consensus::drop_counters& d = s.drops;
  std::printf(
      "dropped: %llu forged, %llu unsigned, %llu replayed, %llu stale, %llu out of window, %llu malformed, %llu "
      "unknown sender\n",
      static_cast<unsigned long long>(d.forged), static_cast<unsigned long long>(d.unsigned_messages),
      static_cast<unsigned long long>(d.replayed), static_cast<unsigned long long>(d.stale),
      static_cast<unsigned long long>(d.out_of_window), static_cast<unsigned long long>(d.malformed),
      static_cast<unsigned long long>(d.unknown_sender));
  std::printf("violations: %zu\n", s.violations.size());
  for (const consensus::violation& v : s.violations) {
    std::printf(
        "violation: %s at seed %llu, step %llu, sequence %llu: %s (replay: ciro simulate --replicas %zu --byzantine "
        "%zu%s%s%s --schedules 1 --seed %llu)\n",
        v.property.c_str(), static_cast<unsigned long long>(v.seed), static_cast<unsigned long long>(v.step),
        static_cast<unsigned long long>(v.sequence), v.detail.c_str(), config.replicas, config.byzantine,
        config.behaviour ? " --behaviour " : "", config.behaviour ? consensus::behaviour_name(*config.behaviour) : "",
        config.faults ? "" : " --no-faults", static_cast<unsigned long long>(v.seed));
  }
  if (!certificate_out.empty()) {
    if (!s.first_certificate)
      return usage_error("simulate: no batch was committed, so there is no certificate to write");
    if (!write_file(certificate_out, consensus::certificate_to_json(*s.first_certificate, set)) ||
        !write_file(validators_out, consensus::validators_to_json(set))) {
      return usage_error("simulate: cannot write " + certificate_out + " or " + validators_out);
    }
    std::printf("certificate of sequence %llu written to %s, validator set to %s\n",
                static_cast<unsigned long long>(s.first_certificate->sequence), certificate_out.c_str(),
                validators_out.c_str());
  }
  return s.violations.empty() ? exit_ok : exit_failed;
}

}  // namespace ciro::cli
