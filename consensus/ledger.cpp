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
  if (e.messages.empty()) return std::nullopt;
  o.view = e.messages.front().view;
  o.sequence = e.messages.front().sequence;
  return o;
}

ledger::ledger(const validator_set& initial) : set_digest_(initial.digest()) {
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
    if (!seen.insert(sha256(consensus::encode(e))).second) continue;
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
    incidents[{o.view, o.sequence}].insert(o.offender);
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

std::vector<slash_event> ledger::record_committed(std::uint64_t sequence, const batch& committed,
                                                 const validator_set& current) {
  if (last_sequence_ && sequence <= *last_sequence_) return {};
  last_sequence_ = sequence;
  // Batch times never go back here: a batch proposed with an older time counts at the latest one.
  const std::uint64_t time_s = std::max(committed.time_s, open_.empty() ? std::uint64_t{0} : open_.back().time_s);
  std::optional<std::uint64_t> previous_record;
  for (const participation_record& r : committed.participation) {
    // One record a sequence, in increasing order, and senders increasing within it: a record can
    // cost at most one signature check per validator.
    if (previous_record && r.sequence <= *previous_record) continue;
    previous_record = r.sequence;
    bool ordered = true;
    for (std::size_t k = 0; k < r.commits.size(); ++k) {
      ordered = ordered && r.commits[k].sender < accounts_.size() && (k == 0 || r.commits[k - 1].sender < r.commits[k].sender);
    }
    if (!ordered) continue;
    // The open sequences are consecutive committed sequences, oldest first.
    if (open_.empty() || r.sequence < open_.front().sequence || r.sequence - open_.front().sequence >= open_.size()) continue;
    const auto open = open_.begin() + static_cast<std::ptrdiff_t>(r.sequence - open_.front().sequence);
    if (open->sequence != r.sequence) continue;
    for (const commit_signature& c : r.commits) {
      if (open->signers[c.sender]) continue;
      const message m = commit_message(r.view, r.sequence, open->value, c);
      if (verify(accounts_[c.sender].key, signing_bytes(m), c.sig)) open->signers[c.sender] = true;
    }
  }
  open_.push_back({sequence, time_s, batch_digest(committed), std::vector<bool>(accounts_.size(), false)});
  std::vector<slash_event> events;
  while (open_.size() > participation_window) {
    finalize(open_.front(), current, events);
    open_.pop_front();
  }
  return events;
}

void ledger::finalize(const open_sequence& s, const validator_set& current, std::vector<slash_event>& events) {
  std::uint64_t weight = 0;
  for (std::size_t v = 0; v < accounts_.size() && v < current.size(); ++v) {
    if (s.signers[v]) weight += current.weight(v);
  }
  if (!current.is_quorum(weight)) return;  // its commits were not carried: it counts for nobody
  const std::uint64_t day = s.time_s / seconds_per_day;
  for (std::size_t v = 0; v < accounts_.size(); ++v) {
    account& a = accounts_[v];
    day_bucket& b = a.days[day % uptime_window_days];
    if (b.day != day) b = day_bucket{day, 0, 0};
    ++b.total;
    if (s.signers[v]) {
      ++b.signed_count;
      a.absent_since_s.reset();
      continue;
    }
    if (!a.absent_since_s) {
      a.absent_since_s = s.time_s;
      a.absent_first_sequence = s.sequence;
    }
    if (s.time_s - *a.absent_since_s < downtime_threshold_s) continue;  // times never go back (record_committed)
    const checked_offence o{offence::downtime, static_cast<std::uint32_t>(v), 0, a.absent_first_sequence};
    a.absent_since_s.reset();
    if (a.banned || !applied_.insert(o).second) continue;
    events.push_back(slash(static_cast<std::uint32_t>(v), penalty_kind::downtime, o, s.time_s));
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

digest ledger::state_digest() const { return sha256(encode()); }

std::vector<std::uint8_t> ledger::encode() const {
  byte_writer w;
  w.bytes(set_digest_);
  w.u32(static_cast<std::uint32_t>(accounts_.size()));
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
    w.u8(a.absent_since_s ? 1 : 0);
    w.u64(a.absent_since_s.value_or(0));
    w.u64(a.absent_first_sequence);
  }
  w.u8(last_sequence_ ? 1 : 0);
  w.u64(last_sequence_.value_or(0));
  w.u32(static_cast<std::uint32_t>(open_.size()));
  for (const open_sequence& o : open_) {
    w.u64(o.sequence);
    w.u64(o.time_s);
    w.bytes(o.value);
    for (const bool b : o.signers) w.u8(b ? 1 : 0);
  }
  w.u32(static_cast<std::uint32_t>(applied_.size()));
  for (const checked_offence& o : applied_) {
    w.u8(static_cast<std::uint8_t>(o.kind));
    w.u32(o.offender);
    w.u64(o.view);
    w.u64(o.sequence);
  }
  return w.take();
}

std::optional<ledger> ledger::restore(std::span<const std::uint8_t> bytes, const validator_set& set) {
  byte_reader r(bytes);
  ledger l(set);
  const auto epoch_set = r.bytes<32>();
  const auto n = r.count(static_cast<std::uint32_t>(max_validators));
  if (!epoch_set || !n || *n != l.accounts_.size()) return std::nullopt;
  /// A flag byte: 0 or 1.
  const auto flag = [&r]() -> std::optional<bool> {
    const auto b = r.u8();
    if (!b || *b > 1) return std::nullopt;
    return *b == 1;
  };
  for (account& a : l.accounts_) {
    const auto key = r.bytes<32>();
    const auto stake = r.u64();
    const auto base = r.u32();
    const auto banned = flag();
    const auto penalties = r.count(1u << 20);
    if (!key || *key != a.key || !stake || !base || !banned || !penalties) return std::nullopt;
    a.stake = *stake;
    a.base_reputation = *base;
    a.banned = *banned;
    for (std::uint32_t i = 0; i < *penalties; ++i) {
      const auto points = r.u32();
      const auto start = r.u64(), recovery = r.u64();
      if (!points || !start || !recovery || *recovery == 0) return std::nullopt;
      a.penalties.push_back({*points, *start, *recovery});
    }
    for (day_bucket& b : a.days) {
      const auto day = r.u64();
      const auto signed_count = r.u32(), total = r.u32();
      if (!day || !signed_count || !total) return std::nullopt;
      b = {*day, *signed_count, *total};
    }
    const auto absent = flag();
    const auto since = r.u64(), first = r.u64();
    if (!absent || !since || !first) return std::nullopt;
    if (*absent) a.absent_since_s = *since;
    a.absent_first_sequence = *first;
  }
  const auto has_last = flag();
  const auto last = r.u64();
  const auto open = r.count(static_cast<std::uint32_t>(participation_window));
  if (!has_last || !last || !open) return std::nullopt;
  if (*has_last) l.last_sequence_ = *last;
  for (std::uint32_t i = 0; i < *open; ++i) {
    open_sequence o;
    const auto sequence = r.u64(), time = r.u64();
    const auto value = r.bytes<32>();
    if (!sequence || !time || !value) return std::nullopt;
    o.sequence = *sequence;
    o.time_s = *time;
    o.value = *value;
    for (std::size_t v = 0; v < l.accounts_.size(); ++v) {
      const auto b = flag();
      if (!b) return std::nullopt;
      o.signers.push_back(*b);
    }
    l.open_.push_back(std::move(o));
  }
  const auto applied = r.count(1u << 24);
  if (!applied) return std::nullopt;
  for (std::uint32_t i = 0; i < *applied; ++i) {
    const auto kind = r.u8();
    const auto offender = r.u32();
    const auto view = r.u64(), sequence = r.u64();
    if (!kind || *kind < 1 || *kind > 3 || !offender || *offender >= l.accounts_.size() || !view || !sequence)
      return std::nullopt;
    l.applied_.insert({static_cast<offence>(*kind), *offender, *view, *sequence});
  }
  if (!r.at_end()) return std::nullopt;
  if (*epoch_set != l.set_digest_) {
    // A new epoch: the validators (same keys) with the weights the ledger gave them, sequences
    // numbered afresh by their new replicas. The accounts go on; the sequences start again.
    l.last_sequence_.reset();
    l.open_.clear();
  }
  return l;
}

}  // namespace ciro::consensus
