// ciro ledger FILE --validators SET [--at UNIX_SECONDS] [--json OUT] [--next-set OUT]: what a
// validator's ledger (<spool>/ledger.state, written by `ciro serve --validators`) holds: each
// validator's stake, reputation, uptime and voting weight, and the offences slashed; and the
// validator set of the next epoch, with those weights.

#include <cstdio>
#include <ctime>
#include <exception>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "consensus/digest.hpp"
#include "consensus/json_format.hpp"
#include "consensus/ledger.hpp"

namespace ciro::cli {
namespace {

constexpr const char* ledger_usage =
    "usage: ciro ledger LEDGER.state --validators SET.json [--at UNIX_SECONDS] [--json OUT] [--next-set OUT]";

/// The largest ledger state read: 1,024 validators with their penalties and day buckets, the open
/// sequences and the offences applied stay far below it.
constexpr std::size_t max_ledger_bytes = std::size_t{64} << 20;

const char* offence_name(consensus::offence o) {
  return consensus::penalty_name(static_cast<consensus::penalty_kind>(o));
}

}  // namespace

int ledger_command(const std::vector<std::string>& args) {
  std::string ledger_path, validators_path, json_path, next_set_path;
  std::optional<std::uint64_t> at;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--validators" || args[i] == "--json" || args[i] == "--at" || args[i] == "--next-set") {
      if (i + 1 >= args.size()) return usage_error("ledger: " + args[i] + " needs a value");
      const std::string& v = args[++i];
      if (args[i - 1] == "--validators") {
        validators_path = v;
      } else if (args[i - 1] == "--json") {
        json_path = v;
      } else if (args[i - 1] == "--next-set") {
        next_set_path = v;
      } else {
        std::size_t used = 0;
        try {
          at = std::stoull(v, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != v.size()) return usage_error("ledger: --at takes Unix seconds, not '" + v + "'");
      }
    } else if (args[i] == "--help" || args[i] == "-h") {
      std::puts(ledger_usage);
      return exit_ok;
    } else if (ledger_path.empty() && (args[i].empty() || args[i][0] != '-')) {
      ledger_path = args[i];
    } else {
      return usage_error("ledger: unexpected argument '" + args[i] + "' (" + ledger_usage + ")");
    }
  }
  if (ledger_path.empty() || validators_path.empty()) return usage_error(std::string("ledger: ") + ledger_usage);
  const auto set_text = read_bounded(validators_path, consensus::max_json_bytes);
  if (!set_text) return usage_error("ledger: cannot read " + validators_path + " (or it is over 16 MiB)");
  const auto set = consensus::validators_from_json(*set_text);
  if (!set) return usage_error("ledger: " + validators_path + ": " + set.error().message);
  const auto bytes = read_bounded(ledger_path, max_ledger_bytes);
  if (!bytes) return usage_error("ledger: cannot read " + ledger_path + " (or it is over 64 MiB)");
  const auto l = consensus::ledger::restore(
      {reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size()}, set.value());
  if (!l) return usage_error("ledger: " + ledger_path + " is not a ledger state of the validator set " + validators_path);
  // The next set is read at the ledger's own clock unless --at says otherwise, so every validator's
  // ledger at the same sequence gives the same file.
  const std::uint64_t now =
      at.value_or(!next_set_path.empty() && l->clock() ? *l->clock() : static_cast<std::uint64_t>(std::time(nullptr)));
  const auto weights = l->validators(now);

  nlohmann::json out = {{"at_s", now}, {"validators", nlohmann::json::array()}, {"offences", nlohmann::json::array()}};
  out["last_sequence"] = l->last_sequence() ? nlohmann::json(*l->last_sequence()) : nlohmann::json();
  std::printf("%-9s %-16s %12s %10s %9s %18s %s\n", "validator", "public key", "stake", "reputation", "uptime", "weight", "banned");
  for (std::uint32_t v = 0; v < weights.size(); ++v) {
    const auto& w = weights[v];
    const std::string key = consensus::to_hex(w.key);
    std::printf("%-9u %-16s %12llu %10u %8.1f%% %18llu %s\n", v, key.substr(0, 16).c_str(),
                static_cast<unsigned long long>(w.stake), w.reputation, w.uptime_permille / 10.0,
                static_cast<unsigned long long>(w.weight()), l->banned(v) ? "yes" : "no");
    out["validators"].push_back({{"validator", v},
                                 {"public_key", key},
                                 {"stake", w.stake},
                                 {"reputation", w.reputation},
                                 {"uptime_permille", w.uptime_permille},
                                 {"weight", w.weight()},
                                 {"banned", l->banned(v)}});
  }
  for (const auto& o : l->offences()) {
    std::printf("slashed: %s, validator %u, view %llu, sequence %llu\n", offence_name(o.kind), o.offender,
                static_cast<unsigned long long>(o.view), static_cast<unsigned long long>(o.sequence));
    out["offences"].push_back({{"offence", offence_name(o.kind)}, {"validator", o.offender}, {"view", o.view}, {"sequence", o.sequence}});
  }
  std::printf("last sequence %s, weights at %llu\n",
              l->last_sequence() ? std::to_string(*l->last_sequence()).c_str() : "none",
              static_cast<unsigned long long>(now));
  if (!next_set_path.empty()) {
    auto next = consensus::validator_set::make(weights);
    if (!next) {
      std::printf("no next validator set: %s\n", next.error().message.c_str());
      return exit_failed;
    }
    std::ofstream f(next_set_path);
    f << consensus::validators_to_json(next.value());
    if (!f) return usage_error("ledger: cannot write " + next_set_path);
    std::printf("next validator set %s written to %s\n", consensus::to_hex(next.value().digest()).c_str(), next_set_path.c_str());
  }
  if (!json_path.empty()) {
    std::ofstream f(json_path);
    f << out.dump(1) << "\n";
    if (!f) return usage_error("ledger: cannot write " + json_path);
  }
  return exit_ok;
}

}  // namespace ciro::cli
