#include "consensus/ledger.hpp"

#include <algorithm>
#include <map>

#include "consensus/encoding.hpp"

namespace ciro::consensus {

slash_rule slashing_rule(penalty_kind kind) {
  slash_rule r;
  switch (kind) {
    case penalty_kind::double_signing:
      r.stake_percent = 30, r.reputation_points = 50, r.recovery_days = 90;
      break;
    case penalty_kind::downtime:
      r.stake_percent = 5, r.reputation_points = 10, r.recovery_days = 30;
      break;
    case penalty_kind::invalid_compute:
      r.stake_percent = 50, r.reputation_points = 75, r.recovery_days = 180;
      break;
    case penalty_kind::coordinated_attack:
      r.stake_percent = 100, r.reputation_points = 100, r.permanent_ban = true;
      break;
  }
  return r;
}

const char* penalty_name(penalty_kind kind) {
  switch (kind) {
    case penalty_kind::double_signing:
      return "double_signing";
    case penalty_kind::downtime:
      return "downtime";
    case penalty_kind::invalid_compute:
      return "invalid_compute";
    case penalty_kind::coordinated_attack:
      return "coordinated_attack";
  }
  return "unknown";
}

std::string alert_json(const slash_event& e) {
  std::string s = std::string(R"({"alert": "slash", "offence": ")") + penalty_name(e.kind) + R"(", "validator": )";
  s += std::to_string(e.validator);
  s += std::string(R"(, "view": )") + std::to_string(e.view);
  s += std::string(R"(, "sequence": )") + std::to_string(e.sequence);
  s += std::string(R"(, "time_s": )") + std::to_string(e.time_s);
  s += std::string(R"(, "stake_before": )") + std::to_string(e.stake_before);
  s += std::string(R"(, "stake_slashed": )") + std::to_string(e.stake_slashed);
  s += std::string(R"(, "reputation_points": )") + std::to_string(e.reputation_points);
  s += std::string(R"(, "banned": )") + (e.banned ? "true" : "false") + "}";
  return s;
}

std::optional<checked_offence> claimed_offence(const evidence& e) {
  checked_offence o;
  o.kind = e.kind;
  o.offender = e.offender;
  if (e.kind == offence::downtime) {
    if (e.certificates.empty()) return std::nullopt;
    o.sequence = e.certificates.front().sequence;
  } else {
    if (e.messages.empty()) return std::nullopt;
    o.view = e.messages.front().view;
    o.sequence = e.messages.front().sequence;
  }
  return o;
}

ledger::ledger(const validator_set& initial) {
  for (const validator& v : initial.validators()) {
    account a;
    a.key = v.key;
    a.stake = v.stake;
    a.base_reputation = v.reputation;
    accounts_.push_back(a);
  }
}

slash_event ledger::slash(std::uint32_t v, penalty_kind kind, const checked_offence& o, std::uint64_t now_s) {
  account& a = accounts_[v];
  const slash_rule rule = slashing_rule(kind);
  slash_event e;
  e.kind = kind;
  e.validator = v;
  e.view = o.view;
  e.sequence = o.sequence;
  e.time_s = now_s;
  e.stake_before = a.stake;
  e.stake_slashed = rule.stake_percent == 100 ? a.stake : a.stake * rule.stake_percent / 100;
  e.reputation_points = rule.reputation_points;
  a.stake -= e.stake_slashed;
  if (rule.permanent_ban) {
    a.banned = true;
  } else {
    a.penalties.push_back({rule.reputation_points, now_s, rule.recovery_days * seconds_per_day});
  }
  e.banned = a.banned;
  return e;
}

std::vector<slash_event> ledger::apply(std::span<const evidence> batch, const validator_set& current,
                                       const verdict_checker& checker, std::uint64_t now_s) {
  std::set<checked_offence> fresh;
  std::set<digest> seen;
  for (const evidence& e : batch) {
    // The same evidence twice, or evidence of an offence already applied, changes nothing: it
    // is skipped before its signatures are checked.
    if (!seen.insert(sha256(encode(e))).second) continue;
    if (const auto claimed = claimed_offence(e); claimed && applied_.count(*claimed) != 0) continue;
    const auto checked = check_evidence(e, current, checker);
    if (!checked || checked.value().offender >= accounts_.size()) {
      ++rejected_;
      continue;
    }
    if (applied_.count(checked.value()) == 0) fresh.insert(checked.value());
  }
  // Incidents: the offending view and sequence of double signing and invalid compute.
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::set<std::uint32_t>> incidents;
  for (const checked_offence& o : fresh) {
    if (o.kind != offence::downtime) incidents[{o.view, o.sequence}].insert(o.offender);
  }
  std::vector<slash_event> events;
  std::set<std::uint32_t> coordinated;
  for (const auto& [incident, offenders] : incidents) {
    if (offenders.size() <= current.fault_tolerance()) continue;
    for (const std::uint32_t v : offenders) {
      if (accounts_[v].banned || !coordinated.insert(v).second) continue;
      checked_offence o;
      o.offender = v;
      o.view = incident.first;
      o.sequence = incident.second;
      events.push_back(slash(v, penalty_kind::coordinated_attack, o, now_s));
    }
  }
  for (const checked_offence& o : fresh) {
    applied_.insert(o);
    if (coordinated.count(o.offender) != 0 || accounts_[o.offender].banned) continue;
    events.push_back(slash(o.offender, static_cast<penalty_kind>(o.kind), o, now_s));
  }
  return events;
}

void ledger::record_participation(const quorum_certificate& cert) {
  const std::uint64_t day = cert.committed.time_s / seconds_per_day;
  std::vector<bool> signers(accounts_.size(), false);
  for (const commit_signature& c : cert.commits) {
    if (c.sender < signers.size()) signers[c.sender] = true;
  }
  for (std::size_t v = 0; v < accounts_.size(); ++v) {
    day_bucket& b = accounts_[v].days[day % uptime_window_days];
    if (b.day != day) b = day_bucket{day, 0, 0};
    ++b.total;
    if (signers[v]) ++b.signed_count;
  }
}

std::uint32_t ledger::reputation(std::uint32_t v, std::uint64_t now_s) const {
  const account& a = accounts_[v];
  if (a.banned) return 0;
  std::uint64_t owed = 0;
  for (const penalty& p : a.penalties) {
    const std::uint64_t end = p.start_s + p.recovery_s;
    if (now_s >= end) continue;
    const std::uint64_t left = end - std::max(now_s, p.start_s);
    owed += (std::uint64_t{p.points} * left + p.recovery_s - 1) / p.recovery_s;
  }
  return owed >= a.base_reputation ? 0 : static_cast<std::uint32_t>(a.base_reputation - owed);
}

std::uint32_t ledger::uptime_permille(std::uint32_t v, std::uint64_t now_s) const {
  const std::uint64_t today = now_s / seconds_per_day;
  std::uint64_t signed_count = 0, total = 0;
  for (const day_bucket& b : accounts_[v].days) {
    if (b.total == 0 || b.day > today || today - b.day >= uptime_window_days) continue;
    signed_count += b.signed_count;
    total += b.total;
  }
  return total == 0 ? 1000 : static_cast<std::uint32_t>(1000 * signed_count / total);
}

std::vector<validator> ledger::validators(std::uint64_t now_s) const {
  std::vector<validator> out;
  for (std::uint32_t v = 0; v < accounts_.size(); ++v) {
    validator x;
    x.key = accounts_[v].key;
    x.stake = accounts_[v].stake;
    x.reputation = reputation(v, now_s);
    x.uptime_permille = uptime_permille(v, now_s);
    out.push_back(x);
  }
  return out;
}

digest ledger::state_digest() const {
  byte_writer w;
  for (const account& a : accounts_) {
    w.bytes(a.key);
    w.u64(a.stake);
    w.u32(a.base_reputation);
    w.u8(a.banned ? 1 : 0);
    w.u32(static_cast<std::uint32_t>(a.penalties.size()));
    for (const penalty& p : a.penalties) {
      w.u32(p.points);
      w.u64(p.start_s);
      w.u64(p.recovery_s);
    }
    for (const day_bucket& b : a.days) {
      w.u64(b.day);
      w.u32(b.signed_count);
      w.u32(b.total);
    }
  }
  w.u64(applied_.size());
  for (const checked_offence& o : applied_) {
    w.u8(static_cast<std::uint8_t>(o.kind));
    w.u32(o.offender);
    w.u64(o.view);
    w.u64(o.sequence);
  }
  return sha256(w.data());
}

}  // namespace ciro::consensus
