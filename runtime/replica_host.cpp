#include "runtime/replica_host.hpp"

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

}  // namespace

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
    for (const auto& v : pp->payload.verdicts) {
      if (!proofs_->holds(v.proof_digest)) return false;
    }
  }
  return true;
}

void replica_host::receive(consensus::message m) {
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

void replica_host::step(std::vector<std::string> frames, std::vector<consensus::batch> submits, bool tick) {
  std::uint64_t undecodable = 0, submitted = 0, received_evidence = 0;
  for (auto& b : submits) {
    validator_request req;
    std::set<consensus::digest> named;
    for (const auto& v : b.verdicts) {
      if (named.insert(v.proof_digest).second) req.proofs.push_back(proofs_->proof(v.proof_digest));
    }
    req.verdicts = b;
    own_request own;
    own.verdicts = std::move(b);
    own.frame = encode_frame(req);
    own.sent_at = ticks_;
    network_->broadcast(own.frame);
    (void)replica_->submit(own.verdicts);
    own_.emplace(consensus::batch_digest(own.verdicts), std::move(own));
    ++submitted;
  }
  bool proofs_arrived = false;
  for (auto& f : frames) {
    auto frame = decode_frame(f);
    if (!frame) {
      ++undecodable;
      continue;
    }
    if (auto* m = std::get_if<consensus::message>(&*frame)) {
      receive(std::move(*m));
    } else if (auto* r = std::get_if<validator_request>(&*frame)) {
      for (auto& p : r->proofs) proofs_->add(std::move(p));
      proofs_arrived = true;
      (void)replica_->submit(r->verdicts);  // refused when a verdict does not check
    } else {
      const auto& e = std::get<consensus::evidence>(*frame);
      if (!evidence_seen_.insert(consensus::sha256(consensus::encode(e))).second) continue;
      ++received_evidence;
      if (on_.on_evidence) on_.on_evidence(e);
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
  auto out = replica_->take_output();
  if (!out.broadcast.empty() || !out.decisions.empty()) persist();
  for (const auto& m : out.broadcast) network_->broadcast(encode_frame(m));
  for (const auto& cert : out.decisions) {
    own_.erase(consensus::batch_digest(cert.committed));
    if (on_.on_decision) on_.on_decision(cert);
  }
  std::uint64_t found = 0;
  for (const auto& e : out.found) {
    if (!evidence_seen_.insert(consensus::sha256(consensus::encode(e))).second) continue;
    ++found;
    network_->broadcast(encode_frame(e));
    if (on_.on_evidence) on_.on_evidence(e);
  }
  std::lock_guard lock(mutex_);
  stats_.submitted += submitted;
  stats_.decided += out.decisions.size();
  stats_.evidence += found + received_evidence;
  stats_.undecodable += undecodable;
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
