#include "runtime/replica_host.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>

#include "runtime/spool.hpp"

namespace ciro::runtime {

namespace {

using err = error<int>;

/// Messages held at most until the proofs they name arrive: beyond it the oldest are dropped
/// (their senders retransmit them).
constexpr std::size_t max_parked = 4096;

/// Every pre-prepare `m` holds, itself or nested (a view change's prepared proofs, a new view's
/// proposals).
void pre_prepares_of(const consensus::message& m, std::vector<const consensus::message*>& out) {
  if (m.kind == consensus::message_kind::pre_prepare) out.push_back(&m);
  for (const auto& n : m.nested) pre_prepares_of(n, out);
}

/// The proof an invalid-compute evidence names (its pre-prepare's verdict at verdict_index).
std::optional<consensus::digest> proof_named_by(const consensus::evidence& e) {
  if (e.kind != consensus::offence::invalid_compute) return std::nullopt;
  for (const auto& m : e.messages) {
    if (m.kind == consensus::message_kind::pre_prepare && e.verdict_index < m.payload.verdicts.size()) {
      return m.payload.verdicts[e.verdict_index].proof_digest;
    }
  }
  return std::nullopt;
}

/// Every proof `b` names: its verdicts', and those of the invalid-compute evidence it carries.
std::vector<consensus::digest> proofs_named_by(const consensus::batch& b) {
  std::vector<consensus::digest> out;
  for (const auto& v : b.verdicts) out.push_back(v.proof_digest);
  for (const auto& bytes : b.evidence) {
    const auto e = consensus::decode_evidence({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
    if (!e) continue;
    if (const auto d = proof_named_by(*e)) out.push_back(*d);
  }
  return out;
}

}  // namespace

std::uint64_t unix_seconds() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

std::vector<consensus::slash_event> apply_committed(consensus::ledger& ledger, const consensus::quorum_certificate& cert,
                                                    const consensus::validator_set& validators, proof_verdicts& proofs) {
  if (const auto last = ledger.last_sequence(); last && cert.sequence <= *last) return {};  // replayed after a restart
  std::vector<consensus::slash_event> slashes = ledger.record_committed(cert.sequence, cert.committed, validators);
  std::vector<consensus::evidence> evidence;
  for (const auto& bytes : cert.committed.evidence) {
    auto e = consensus::decode_evidence({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
    if (e) evidence.push_back(std::move(*e));
  }
  if (evidence.empty()) return slashes;
  const auto checker = [&proofs](const consensus::verdict& v) { return !proofs.holds(v.proof_digest) || proofs.check(v); };
  for (auto& e : ledger.apply(evidence, validators, checker, cert.committed.time_s)) slashes.push_back(e);
  return slashes;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> skipped_sequences(const consensus::ledger& ledger,
                                                                           const consensus::quorum_certificate& cert) {
  // Sequences start at 1: a ledger that recorded none expects 1.
  const std::uint64_t expected = ledger.last_sequence() ? *ledger.last_sequence() + 1 : 1;
  if (cert.sequence <= expected) return std::nullopt;
  return std::pair{expected, cert.sequence - 1};
}

result<std::unique_ptr<replica_host>, int> replica_host::start(replica_host_config config,
                                                               std::shared_ptr<proof_verdicts> proofs, callbacks on) {
  std::unique_ptr<replica_host> h(new replica_host());
  const auto& set = config.validators;
  std::optional<std::uint32_t> self;
  for (std::uint32_t i = 0; i < set.size(); ++i) {
    if (set[i].key == config.key.public_key_bytes) self = i;
  }
  if (!self) return err{0, "this validator's public key is not in the validator set"};
  if (config.addresses.size() != set.size()) {
    return err{0, "the validator set has " + std::to_string(set.size()) + " validators but " +
                      std::to_string(config.addresses.size()) + " addresses were given"};
  }
  consensus::replica_config rc;
  rc.validators = set;
  rc.self = *self;
  rc.key = config.key;
  rc.checker = [p = proofs.get()](const consensus::verdict& v) { return p->check(v); };
  rc.checkpoint_interval = config.checkpoint_interval;
  rc.window = config.window;
  rc.request_timeout = config.request_timeout_ticks;
  rc.retransmit_interval = config.retransmit_ticks;
  if (!config.state_file.empty() && std::filesystem::exists(config.state_file)) {
    std::ifstream f(config.state_file, std::ios::binary);
    const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(f), {}};
    auto restored = consensus::replica::restore(rc, bytes);
    if (!restored) {
      return err{0, "the replica state " + config.state_file.string() + " does not restore: " + restored.error().message};
    }
    h->replica_ = std::make_unique<consensus::replica>(std::move(restored).value());
  } else {
    h->replica_ = std::make_unique<consensus::replica>(rc);
  }
  h->self_ = *self;
  h->proofs_ = std::move(proofs);
  h->on_ = std::move(on);
  net::peer_network_config nc;
  nc.listen = config.addresses[*self];
  for (std::uint32_t i = 0; i < set.size(); ++i) {
    if (i != *self) nc.peers.push_back(config.addresses[i]);
  }
  auto network = net::peer_network::start(nc, [host = h.get()](std::vector<std::string> frames) {
    std::lock_guard lock(host->mutex_);
    for (auto& f : frames) host->inbox_frames_.push_back(std::move(f));
    host->wake_.notify_one();
  });
  if (!network) return network.error();
  h->network_ = std::move(network.value());
  h->listen_address_ = h->network_->listen_address();
  h->config_ = std::move(config);
  h->thread_ = std::thread([host = h.get()] { host->run(); });
  return h;
}

void replica_host::submit(consensus::batch verdicts) {
  std::lock_guard lock(mutex_);
  inbox_submits_.push_back(std::move(verdicts));
  wake_.notify_one();
}

replica_host_stats replica_host::stats() const {
  std::lock_guard lock(mutex_);
  replica_host_stats s = stats_;
  s.network = network_->stats();
  return s;
}

replica_host::~replica_host() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  network_.reset();  // its receiver (which fills the inbox) stops before the host goes
}

void replica_host::run() {
  auto next_tick = std::chrono::steady_clock::now() + config_.tick;
  for (;;) {
    std::vector<std::string> frames;
    std::vector<consensus::batch> submits;
    bool tick = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, next_tick, [&] { return stopping_ || !inbox_frames_.empty() || !inbox_submits_.empty(); });
      if (stopping_) return;
      frames.swap(inbox_frames_);
      submits.swap(inbox_submits_);
    }
    if (std::chrono::steady_clock::now() >= next_tick) {
      tick = true;
      next_tick += config_.tick;
      if (next_tick < std::chrono::steady_clock::now()) next_tick = std::chrono::steady_clock::now() + config_.tick;
    }
    step(std::move(frames), std::move(submits), tick);
  }
}

bool replica_host::proofs_held(const consensus::message& m) const {
  std::vector<const consensus::message*> pps;
  pre_prepares_of(m, pps);
  for (const auto* pp : pps) {
    for (const auto& d : proofs_named_by(pp->payload)) {
      if (!proofs_->holds(d)) return false;
    }
  }
  return true;
}

bool replica_host::from_the_future(const consensus::batch& b) const {
  return b.time_s > unix_seconds() + max_clock_skew_s;
}

void replica_host::receive(consensus::message m) {
  // A batch dated ahead of this validator's clock would move every ledger's clock forward (and
  // with it downtime and recovery): its pre-prepare gets no vote here.
  if (m.kind == consensus::message_kind::pre_prepare && from_the_future(m.payload)) {
    std::lock_guard lock(mutex_);
    ++stats_.future_batches;
    return;
  }
  // A replica refuses a pre-prepare whose verdicts it cannot check, and reports its primary: so a
  // message naming a proof that has not arrived yet waits for it (the request carrying it may be
  // on another connection) instead of reaching the replica.
  if (!proofs_held(m)) {
    parked_.push_back(std::move(m));
    if (parked_.size() > max_parked) parked_.pop_front();
    std::lock_guard lock(mutex_);
    ++stats_.parked;
    return;
  }
  replica_->receive(m);
}

void replica_host::record_decision(const consensus::quorum_certificate& cert, const consensus::digest& value) {
  decided_batch& d = decided_[cert.sequence];
  d.value = value;
  d.record.sequence = cert.sequence;
  d.record.view = cert.view;
  d.record.commits = cert.commits;
  while (decided_.size() > consensus::participation_window) decided_.erase(decided_.begin());
}

void replica_host::record_late_commit(const consensus::message& m) {
  const auto it = decided_.find(m.sequence);
  if (it == decided_.end() || it->second.value != m.value || it->second.record.view != m.view ||
      m.sender >= config_.validators.size()) {
    return;
  }
  auto& commits = it->second.record.commits;
  for (const auto& c : commits) {
    if (c.sender == m.sender) return;
  }
  if (consensus::verify(config_.validators[m.sender].key, consensus::signing_bytes(m), m.sig)) {
    commits.push_back({m.sender, m.sig});
  }
}

void replica_host::propose(consensus::batch b) {
  // The newest sequences first; the ledger takes records in increasing sequence order, each with
  // its senders in increasing order.
  for (auto it = decided_.rbegin(); it != decided_.rend() && b.participation.size() < consensus::max_batch_participation; ++it) {
    decided_batch& d = it->second;
    if (d.carried == d.record.commits.size()) continue;
    consensus::participation_record r{d.record.sequence, d.record.view, {}};
    r.commits.assign(d.record.commits.begin() + static_cast<std::ptrdiff_t>(d.carried), d.record.commits.end());
    std::sort(r.commits.begin(), r.commits.end(), [](const auto& x, const auto& y) { return x.sender < y.sender; });
    d.carried = d.record.commits.size();
    b.participation.push_back(std::move(r));
  }
  std::reverse(b.participation.begin(), b.participation.end());
  validator_request req;
  std::set<consensus::digest> named;
  for (const auto& d : proofs_named_by(b)) {
    if (named.insert(d).second && proofs_->holds(d)) req.proofs.push_back(proofs_->proof(d));
  }
  req.verdicts = b;
  own_request own;
  own.verdicts = std::move(b);
  own.frame = encode_frame(req);
  own.sent_at = ticks_;
  network_->broadcast(own.frame);
  (void)replica_->submit(own.verdicts);
  own_.emplace(consensus::batch_digest(own.verdicts), std::move(own));
}

void replica_host::step(std::vector<std::string> frames, std::vector<consensus::batch> submits, bool tick) {
  std::uint64_t undecodable = 0, future = 0, submitted = submits.size();
  for (auto& b : submits) propose(std::move(b));
  bool proofs_arrived = false;
  std::vector<consensus::message> commits;  // recorded once this step's decisions are (a certificate holds a quorum only)
  for (auto& f : frames) {
    auto frame = decode_frame(f);
    if (!frame) {
      ++undecodable;
      continue;
    }
    if (auto* m = std::get_if<consensus::message>(&*frame)) {
      if (m->kind == consensus::message_kind::commit) commits.push_back(*m);
      receive(std::move(*m));
    } else {
      auto& r = std::get<validator_request>(*frame);
      if (from_the_future(r.verdicts)) {
        ++future;
        continue;
      }
      for (auto& p : r.proofs) proofs_->add(std::move(p));
      proofs_arrived = true;
      (void)replica_->submit(r.verdicts);  // refused when a verdict does not check
    }
  }
  if (proofs_arrived && !parked_.empty()) {
    std::deque<consensus::message> waiting;
    waiting.swap(parked_);
    for (auto& m : waiting) receive(std::move(m));
  }
  if (tick) {
    ++ticks_;
    replica_->tick();
    for (auto& [id, own] : own_) {
      if (ticks_ - own.sent_at >= config_.resubmit_ticks) {
        own.sent_at = ticks_;
        network_->broadcast(own.frame);
        (void)replica_->submit(own.verdicts);
      }
    }
  }
  // The step's output; evidence found is proposed in a batch of its own (carrying the proof it
  // names), whose own output is handled in the same step.
  std::uint64_t decided = 0, found = 0;
  for (int round = 0; round < 2; ++round) {
    auto out = replica_->take_output();
    // Decisions first: what the node records of them (its ledger) is on disk before the replica's
    // state says they were executed, so a crash in between replays them (which the ledger ignores)
    // rather than losing them.
    for (const auto& cert : out.decisions) {
      const consensus::digest value = consensus::batch_digest(cert.committed);
      record_decision(cert, value);
      own_.erase(value);
      if (on_.on_decision) on_.on_decision(cert);
    }
    if (!out.broadcast.empty() || !out.decisions.empty()) persist();
    for (const auto& m : out.broadcast) network_->broadcast(encode_frame(m));
    decided += out.decisions.size();
    found += out.found.size();
    for (const auto& e : out.found) {
      consensus::batch b;
      b.time_s = unix_seconds();
      const auto bytes = consensus::encode(e);
      b.evidence.emplace_back(bytes.begin(), bytes.end());
      propose(std::move(b));
    }
    if (out.found.empty()) break;
  }
  for (const auto& m : commits) record_late_commit(m);
  std::lock_guard lock(mutex_);
  stats_.submitted += submitted;
  stats_.decided += decided;
  stats_.evidence += found;
  stats_.undecodable += undecodable;
  stats_.future_batches += future;
  stats_.view = replica_->view();
  stats_.drops = replica_->drops();
}

void replica_host::persist() {
  if (config_.state_file.empty()) return;
  const auto bytes = replica_->persist();
  (void)write_file_atomically(config_.state_file,
                              std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace ciro::runtime
