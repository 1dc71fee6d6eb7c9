#include "consensus/simulator.hpp"

#include <algorithm>
#include <map>
#include <string_view>

#include "consensus/ledger.hpp"

namespace ciro::consensus {
namespace {

/// SplitMix64 (Steele, Lea and Flood 2014): the same stream on every platform, unlike the
/// standard library's distributions.
class rng {
 public:
  explicit rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform-enough in [0, bound), bound > 0.
  std::uint64_t below(std::uint64_t bound) { return next() % bound; }
  std::uint64_t between(std::uint64_t low, std::uint64_t high) { return low + below(high - low + 1); }
  bool chance(std::uint64_t permille) { return below(1000) < permille; }
  digest bytes32() {
    digest d{};
    for (auto& b : d) b = static_cast<std::uint8_t>(next());
    return d;
  }

 private:
  std::uint64_t state_;
};

/// Steps between re-submissions of undecided requests by the simulated client.
constexpr std::uint64_t resubmit_interval = 50;
/// Old messages a replaying replica keeps.
constexpr std::size_t replay_memory = 256;

struct envelope {
  std::uint32_t to = 0;
  message m;
};

class simulation {
 public:
  simulation(const simulation_config& config, std::uint64_t seed)
      : config_(config),
        seed_(seed),
        random_(seed),
        validators_(simulation_validators(config.replicas)),
        ledger_(validators_),
        checker_(simulation_oracle, byzantine_weight_below_third()),
        cache_(std::make_shared<signature_cache>()) {
    draw_schedule();
    for (std::uint32_t i = 0; i < config_.replicas; ++i) {
      replica_config rc;
      rc.validators = validators_;
      rc.self = i;
      rc.key = simulation_key(i);
      rc.checker = is_byzantine(i) && behaviour_[i] == byzantine_behaviour::invalid_votes
                       ? verdict_checker([](const verdict&) { return true; })
                       : verdict_checker(simulation_oracle);
      rc.checkpoint_interval = config_.checkpoint_interval;
      rc.window = config_.window;
      rc.request_timeout = config_.request_timeout;
      rc.cache = config_.shared_verification ? cache_ : std::make_shared<signature_cache>();
      configs_.push_back(rc);
      replicas_.emplace_back(replica(rc));
    }
    result_.seed = seed;
    result_.heal_step = heal_;
    result_.requests = requests_.size();
  }

  simulation_result run() {
    const bool liveness = liveness_applies();
    for (step_ = 0;; ++step_) {
      submit_requests();
      crash_or_restart();
      deliver();
      for (auto& r : replicas_) {
        if (r) r->tick();
      }
      collect();
      if (!result_.violations.empty()) break;
      if (step_ >= heal_ && all_decided()) break;
      if (step_ >= heal_ + config_.liveness_bound) {
        if (liveness) {
          violation v;
          v.property = "liveness";
          v.step = step_;
          v.detail = "requests still uncommitted " + std::to_string(config_.liveness_bound) +
                     " steps after the network healed";
          result_.violations.push_back(v);
        }
        break;
      }
    }
    for (violation& v : result_.violations) v.seed = seed_;
    result_.steps = step_ + 1;
    result_.batches_committed = checker_.batches_committed();
    for (std::uint32_t i = 0; i < replicas_.size(); ++i) {
      if (is_byzantine(i) || !replicas_[i]) continue;
      result_.view_changes = std::max(result_.view_changes, replicas_[i]->view());
      const drop_counters& d = replicas_[i]->drops();
      drop_counters& t = result_.drops;
      t.unknown_sender += d.unknown_sender;
      t.unsigned_messages += d.unsigned_messages;
      t.forged += d.forged;
      t.replayed += d.replayed;
      t.stale += d.stale;
      t.out_of_window += d.out_of_window;
      t.malformed += d.malformed;
    }
    return result_;
  }

 private:
  [[nodiscard]] bool is_byzantine(std::uint32_t i) const { return i < config_.byzantine; }
  [[nodiscard]] bool byzantine_weight_below_third() const {
    std::uint64_t w = 0;
    for (std::uint32_t i = 0; i < config_.byzantine && i < validators_.size(); ++i) w += validators_.weight(i);
    return !validators_.is_third(w);
  }
  [[nodiscard]] bool colluding() const { return config_.behaviour == byzantine_behaviour::collude; }
  [[nodiscard]] bool liveness_applies() const { return byzantine_weight_below_third() && !colluding(); }

  void draw_schedule() {
    const std::size_t requests = config_.requests != 0 ? config_.requests : random_.between(2, 5);
    const std::size_t verdicts = config_.verdicts_per_batch != 0 ? config_.verdicts_per_batch : random_.between(1, 4);
    max_delay_ = config_.max_delay != 0 ? config_.max_delay : random_.between(1, 4);
    for (std::size_t r = 0; r < requests; ++r) {
      const std::uint64_t at = config_.random_delays ? random_.below(100) : 0;
      batch b;
      b.time_s = at;
      for (std::size_t k = 0; k < verdicts; ++k) {
        verdict v;
        v.job_id = "job-" + std::to_string(seed_) + "-" + std::to_string(r) + "-" + std::to_string(k);
        v.statement_hash = random_.bytes32();
        v.input_commitment = random_.bytes32();
        v.output_hash = random_.bytes32();
        v.proof_digest = random_.bytes32();
        v.valid = simulation_oracle_verifies(v.proof_digest);
        b.verdicts.push_back(std::move(v));
      }
      request_digests_.push_back(batch_digest(b));
      requests_.push_back({at, std::move(b)});
    }
    for (std::uint32_t i = 0; i < config_.byzantine && i < config_.replicas; ++i) {
      behaviour_[i] = config_.behaviour ? *config_.behaviour : static_cast<byzantine_behaviour>(random_.below(5));
    }
    if (colluding()) {
      for (std::uint32_t i = static_cast<std::uint32_t>(config_.byzantine); i < config_.replicas; ++i) {
        (random_.below(2) == 0 ? side_a_ : side_b_).push_back(i);
      }
      if (side_a_.empty() && !side_b_.empty()) side_a_.push_back(side_b_.back()), side_b_.pop_back();
      if (side_b_.empty() && side_a_.size() > 1) side_b_.push_back(side_a_.back()), side_a_.pop_back();
    }
    if (!config_.faults || !config_.random_delays) return;
    loss_permille_ = random_.below(150);
    duplicate_permille_ = random_.below(100);
    loss_end_ = random_.between(50, 300);
    heal_ = loss_end_;
    if (random_.chance(500)) {
      partition_start_ = random_.between(10, 150);
      partition_end_ = partition_start_ + random_.between(20, 200);
      partition_side_.resize(config_.replicas);
      for (auto& s : partition_side_) s = static_cast<int>(random_.below(2));
      heal_ = std::max(heal_, partition_end_);
    }
    if (random_.chance(500) && config_.byzantine < config_.replicas) {
      crashed_ = static_cast<std::uint32_t>(random_.between(config_.byzantine, config_.replicas - 1));
      crash_at_ = random_.between(5, 200);
      restart_at_ = crash_at_ + random_.between(20, 200);
      heal_ = std::max(heal_, restart_at_);
    }
  }

  static bool simulation_oracle_verifies(const digest& proof) { return proof[0] % 4 != 0; }

  void submit_requests() {
    for (std::size_t k = 0; k < requests_.size(); ++k) {
      const auto& [at, b] = requests_[k];
      const bool due =
          at == step_ || (step_ > at && step_ % resubmit_interval == 0 && !checker_.decided(request_digests_[k]));
      if (!due) continue;
      for (auto& r : replicas_) {
        if (r) (void)r->submit(b);
      }
    }
  }

  void crash_or_restart() {
    if (!crashed_) return;
    if (step_ == crash_at_) {
      persisted_ = replicas_[*crashed_]->persist();
      replicas_[*crashed_].reset();
    } else if (step_ == restart_at_) {
      auto restored = replica::restore(configs_[*crashed_], persisted_);
      CIRO_CHECK(restored.has_value());
      replicas_[*crashed_].emplace(std::move(restored).value());
    }
  }

  void deliver() {
    auto [first, last] = in_flight_.equal_range(step_);
    std::vector<envelope> due;
    for (auto it = first; it != last; ++it) due.push_back(std::move(it->second));
    in_flight_.erase(first, last);
    for (const envelope& e : due) {
      if (!replicas_[e.to]) continue;
      ++result_.messages;
      replicas_[e.to]->receive(e.m);
      if (is_byzantine(e.to) && behaviour_[e.to] == byzantine_behaviour::replay) {
        if (seen_[e.to].size() < replay_memory)
          seen_[e.to].push_back(e.m);
        else
          seen_[e.to][random_.below(replay_memory)] = e.m;
      }
    }
  }

  [[nodiscard]] bool faulty_network() const { return config_.faults && step_ < heal_; }

  void route(std::uint32_t from, std::uint32_t to, const message& m) {
    if (from == to) return;
    if (!config_.random_delays) {
      in_flight_.emplace(step_ + 1, envelope{to, m});
      return;
    }
    if (faulty_network()) {
      if (step_ >= partition_start_ && step_ < partition_end_ && partition_side_[from] != partition_side_[to]) return;
      if (step_ < loss_end_ && random_.chance(loss_permille_)) return;
    }
    in_flight_.emplace(step_ + random_.between(1, max_delay_), envelope{to, m});
    if (random_.chance(duplicate_permille_))
      in_flight_.emplace(step_ + random_.between(1, max_delay_), envelope{to, m});
  }

  void broadcast(std::uint32_t from, const message& m) {
    for (std::uint32_t to = 0; to < replicas_.size(); ++to) route(from, to, m);
  }

  message resigned(message m, std::uint32_t signer) {
    m.sender = signer;
    if (m.kind == message_kind::pre_prepare) m.value = batch_digest(m.payload);
    sign_message(m, configs_[signer].key);
    return m;
  }

  void collect() {
    std::vector<evidence> found;
    for (std::uint32_t i = 0; i < replicas_.size(); ++i) {
      if (!replicas_[i]) continue;
      replica_output out = replicas_[i]->take_output();
      if (is_byzantine(i)) {
        misbehave(i, out);
        continue;
      }
      for (const quorum_certificate& cert : out.decisions) {
        if (!result_.first_certificate && !cert.committed.verdicts.empty()) result_.first_certificate = cert;
        if (auto v = checker_.record(i, cert, step_)) result_.violations.push_back(*v);
      }
      for (const message& m : out.broadcast) broadcast(i, m);
      for (evidence& e : out.found) found.push_back(std::move(e));
    }
    if (found.empty()) return;
    for (const slash_event& e : ledger_.apply(found, validators_, simulation_oracle, step_)) {
      ++result_.slashes;
      if (is_byzantine(e.validator)) continue;
      violation v;
      v.property = "slashing";
      v.step = step_;
      v.sequence = e.sequence;
      v.detail =
          std::string("honest validator ") + std::to_string(e.validator) + " slashed for " + penalty_name(e.kind);
      result_.violations.push_back(v);
    }
  }

  void misbehave(std::uint32_t i, const replica_output& out) {
    const std::uint32_t n = static_cast<std::uint32_t>(replicas_.size());
    switch (behaviour_[i]) {
      case byzantine_behaviour::silent:
        return;
      case byzantine_behaviour::equivocate:
        for (const message& m : out.broadcast) {
          if (m.kind != message_kind::pre_prepare && m.kind != message_kind::prepare &&
              m.kind != message_kind::commit) {
            broadcast(i, m);
            continue;
          }
          auto [known, fresh] = conflicting_.try_emplace(m.sig);
          if (fresh) {
            message other = m;
            if (m.kind == message_kind::pre_prepare) {
              ++other.payload.time_s;
            } else {
              other.value = sha256(m.value);
            }
            known->second = resigned(other, i);
          }
          const message& other = known->second;
          for (std::uint32_t to = 0; to < n; ++to) route(i, to, random_.below(2) == 0 ? m : other);
          const std::uint32_t both = static_cast<std::uint32_t>(random_.below(n));
          route(i, both, m);
          route(i, both, other);
        }
        return;
      case byzantine_behaviour::invalid_votes:
        for (const message& m : out.broadcast) {
          if (m.kind != message_kind::pre_prepare) {
            broadcast(i, m);
            continue;
          }
          message bad = m;
          verdict v;
          v.job_id = "unproven-" + std::to_string(m.sequence);
          v.proof_digest = random_.bytes32();
          v.proof_digest[0] = 0;  // a proof that does not verify, claimed valid
          v.valid = true;
          bad.payload.verdicts.push_back(v);
          broadcast(i, resigned(bad, i));
        }
        return;
      case byzantine_behaviour::forge:
        for (const message& m : out.broadcast) {
          broadcast(i, m);
          message fake = m;
          fake.sender = static_cast<std::uint32_t>(random_.below(n));
          if (random_.below(2) == 0) {
            fake.sig = signature{};
          } else {
            for (auto& b : fake.sig) b = static_cast<std::uint8_t>(random_.next());
          }
          broadcast(i, fake);
        }
        return;
      case byzantine_behaviour::replay:
        for (const message& m : out.broadcast) broadcast(i, m);
        for (int k = 0; k < 2 && !seen_[i].empty(); ++k) {
          route(i, static_cast<std::uint32_t>(random_.below(n)), seen_[i][random_.below(seen_[i].size())]);
        }
        return;
      case byzantine_behaviour::collude:
        for (const message& m : out.broadcast) {
          if (m.kind == message_kind::pre_prepare) split(m);
        }
        return;
    }
  }

  /// The coordinated attack: the colluding primary's pre-prepare goes to one side of the honest
  /// replicas and a conflicting one to the other; every colluder prepares and commits each
  /// batch towards the side that holds it.
  void split(const message& pp) {
    message other = pp;
    ++other.payload.time_s;
    other = resigned(other, pp.sender);
    const std::pair<const message*, const std::vector<std::uint32_t>*> sides[] = {{&pp, &side_a_}, {&other, &side_b_}};
    for (const auto& [proposal, side] : sides) {
      for (const std::uint32_t to : *side) route(pp.sender, to, *proposal);
      for (std::uint32_t c = 0; c < config_.byzantine; ++c) {
        for (const message_kind kind : {message_kind::prepare, message_kind::commit}) {
          if (kind == message_kind::prepare && c == pp.sender) continue;
          message vote;
          vote.kind = kind;
          vote.view = pp.view;
          vote.sequence = pp.sequence;
          vote.value = proposal->value;
          vote = resigned(vote, c);
          for (const std::uint32_t to : *side) route(c, to, vote);
        }
      }
    }
  }

  [[nodiscard]] bool all_decided() const {
    return std::all_of(request_digests_.begin(), request_digests_.end(),
                       [&](const digest& d) { return checker_.decided(d); });
  }

  simulation_config config_;
  std::uint64_t seed_;
  rng random_;
  validator_set validators_;
  ledger ledger_;
  decision_checker checker_;
  std::shared_ptr<signature_cache> cache_;
  std::vector<replica_config> configs_;
  std::vector<std::optional<replica>> replicas_;
  std::map<std::uint32_t, byzantine_behaviour> behaviour_;
  std::map<std::uint32_t, std::vector<message>> seen_;
  std::map<signature, message> conflicting_;               ///< an equivocator's second version of each message
  std::vector<std::pair<std::uint64_t, batch>> requests_;  ///< submission step, batch
  std::vector<digest> request_digests_;
  std::vector<std::uint32_t> side_a_, side_b_;
  std::multimap<std::uint64_t, envelope> in_flight_;
  std::uint64_t step_ = 0, max_delay_ = 1, heal_ = 0;
  std::uint64_t loss_permille_ = 0, duplicate_permille_ = 0, loss_end_ = 0;
  std::uint64_t partition_start_ = 0, partition_end_ = 0;
  std::vector<int> partition_side_;
  std::optional<std::uint32_t> crashed_;
  std::uint64_t crash_at_ = 0, restart_at_ = 0;
  std::vector<std::uint8_t> persisted_;
  simulation_result result_;
};

}  // namespace

const char* behaviour_name(byzantine_behaviour b) {
  switch (b) {
    case byzantine_behaviour::silent:
      return "silent";
    case byzantine_behaviour::equivocate:
      return "equivocate";
    case byzantine_behaviour::invalid_votes:
      return "invalid_votes";
    case byzantine_behaviour::forge:
      return "forge";
    case byzantine_behaviour::replay:
      return "replay";
    case byzantine_behaviour::collude:
      return "collude";
  }
  return "unknown";
}

key_pair simulation_key(std::size_t replica) {
  byte_writer w;
  constexpr std::string_view domain = "ciro.simulator.validator";
  w.raw(std::span(reinterpret_cast<const std::uint8_t*>(domain.data()), domain.size()));
  w.u64(replica);
  return key_pair_from_seed(sha256(w.data()));
}

validator_set simulation_validators(std::size_t replicas) {
  std::vector<validator> vs;
  for (std::size_t i = 0; i < replicas; ++i) {
    validator v;
    v.key = simulation_key(i).public_key_bytes;
    v.stake = 1000;
    vs.push_back(v);
  }
  auto set = validator_set::make(std::move(vs));
  CIRO_CHECK(set.has_value());
  return std::move(set).value();
}

bool simulation_oracle(const verdict& v) { return (v.proof_digest[0] % 4 != 0) == v.valid; }

simulation_result simulate(const simulation_config& config, std::uint64_t seed) {
  return simulation(config, seed).run();
}

simulation_summary simulate_many(const simulation_config& config, std::uint64_t seed, std::size_t schedules) {
  simulation_summary s;
  for (std::size_t k = 0; k < schedules; ++k) {
    simulation_result r = simulate(config, seed + k);
    ++s.schedules;
    s.batches_committed += r.batches_committed;
    s.view_changes += r.view_changes;
    s.slashes += r.slashes;
    s.messages += r.messages;
    s.drops.unknown_sender += r.drops.unknown_sender;
    s.drops.unsigned_messages += r.drops.unsigned_messages;
    s.drops.forged += r.drops.forged;
    s.drops.replayed += r.drops.replayed;
    s.drops.stale += r.drops.stale;
    s.drops.out_of_window += r.drops.out_of_window;
    s.drops.malformed += r.drops.malformed;
    if (!s.first_certificate && r.first_certificate) s.first_certificate = r.first_certificate;
    for (violation& v : r.violations) s.violations.push_back(std::move(v));
  }
  return s;
}

}  // namespace ciro::consensus
