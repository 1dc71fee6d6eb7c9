#include "consensus/replica.hpp"

#include <algorithm>

namespace ciro::consensus {
namespace {

/// Recently executed request digests remembered (a re-submitted one is then ignored).
constexpr std::size_t executed_memory = 4096;
/// Checkpoints further than this many windows above the stable one are not kept.
constexpr std::uint64_t checkpoint_horizon_windows = 16;
/// View changes for views further than this above the current one are dropped (a faulty sender
/// cannot fill memory with view changes for ever later views).
constexpr std::uint64_t view_change_horizon = 64;
/// The view-change timeout doubles on every failed attempt, up to this multiple.
constexpr std::uint64_t max_view_change_backoff = 64;

bool all_zero(const signature& s) {
  return std::all_of(s.begin(), s.end(), [](std::uint8_t b) { return b == 0; });
}

/// s_n = SHA-256(s_{n-1} || n || d_n): the state after executing batch d_n at sequence n.
digest chain(const digest& previous, std::uint64_t n, const digest& value) {
  byte_writer w;
  w.bytes(previous);
  w.u64(n);
  w.bytes(value);
  return sha256(w.data());
}

}  // namespace

replica::replica(replica_config config) : config_(std::move(config)) {
  CIRO_CHECK(config_.self < config_.validators.size());
  CIRO_CHECK(static_cast<bool>(config_.checker));
  CIRO_CHECK(config_.checkpoint_interval > 0 && config_.window >= config_.checkpoint_interval &&
             config_.window % config_.checkpoint_interval == 0);
  CIRO_CHECK(config_.request_timeout > 0 && config_.retransmit_interval > 0);
  if (!config_.cache) config_.cache = std::make_shared<signature_cache>();
  view_change_timeout_ = config_.request_timeout;
}

replica_output replica::take_output() {
  replica_output out = std::move(out_);
  out_ = replica_output{};
  return out;
}

void replica::send(message m) {
  m.sender = config_.self;
  sign_message(m, config_.key);
  out_.broadcast.push_back(std::move(m));
}

void replica::report(evidence e, const checked_offence& key) {
  if (reported_.insert(key).second) out_.found.push_back(std::move(e));
}

bool replica::signature_ok(const message& m) {
  if (all_zero(m.sig)) {
    ++drops_.unsigned_messages;
    return false;
  }
  if (!config_.cache->signed_by_sender(m, config_.validators)) {
    ++drops_.forged;
    return false;
  }
  return true;
}

void replica::receive(const message& m) {
  if (m.sender >= config_.validators.size()) {
    ++drops_.unknown_sender;
    return;
  }
  if (m.sender == config_.self) {
    ++drops_.replayed;
    return;
  }
  switch (m.kind) {
    case message_kind::pre_prepare:
      return on_pre_prepare(m);
    case message_kind::prepare:
    case message_kind::commit:
      return on_vote(m);
    case message_kind::checkpoint:
      return on_checkpoint(m);
    case message_kind::view_change:
      return on_view_change(m);
    case message_kind::new_view:
      return on_new_view(m);
  }
  ++drops_.malformed;
}

bool replica::view_and_window_ok(const message& m) {
  if (m.view < view_ || (m.view == view_ && view_changing_) || m.sequence <= h_) {
    ++drops_.stale;
    return false;
  }
  if (m.view > view_ || m.sequence > h_ + config_.window) {
    ++drops_.out_of_window;
    return false;
  }
  return true;
}

void replica::on_pre_prepare(const message& m) {
  if (!view_and_window_ok(m)) return;
  if (m.sender != config_.validators.primary(m.view) || !m.nested.empty()) {
    ++drops_.malformed;
    return;
  }
  auto it = log_.find(m.sequence);
  if (it != log_.end() && it->second.pre_prepare && *it->second.pre_prepare == m) {
    ++drops_.replayed;
    return;
  }
  if (refused_.count(m.value) != 0 && refused_.at(m.value).first == m) {
    ++drops_.replayed;
    return;
  }
  if (!signature_ok(m)) return;
  if (batch_digest(m.payload) != m.value) {
    ++drops_.malformed;
    return;
  }
  if (it != log_.end() && it->second.pre_prepare) {
    evidence e;
    e.kind = offence::double_signing;
    e.offender = m.sender;
    e.messages = {*it->second.pre_prepare, m};
    report(std::move(e), checked_offence{offence::double_signing, m.sender, m.view, m.sequence});
    start_view_change(view_ + 1);
    return;
  }
  accept_pre_prepare(m);
}

void replica::accept_pre_prepare(const message& pp) {
  const auto& verdicts = pp.payload.verdicts;
  for (std::uint32_t i = 0; i < verdicts.size(); ++i) {
    if (config_.checker(verdicts[i])) continue;
    ++drops_.malformed;
    refused_.emplace(pp.value, std::pair(pp, i));
    evidence e;
    e.kind = offence::invalid_compute;
    e.offender = pp.sender;
    e.messages = {pp};
    e.verdict_index = i;
    report(std::move(e), checked_offence{offence::invalid_compute, pp.sender, pp.view, pp.sequence});
    if (pp.view == view_) start_view_change(view_ + 1);
    return;
  }
  log_entry& entry = log_[pp.sequence];
  entry.pre_prepare = pp;
  if (config_.self != pp.sender) {
    message prepare;
    prepare.kind = message_kind::prepare;
    prepare.view = pp.view;
    prepare.sequence = pp.sequence;
    prepare.value = pp.value;
    send(prepare);
    entry.prepares[config_.self] = out_.broadcast.back();
  }
  evaluate(pp.sequence);
}

void replica::on_vote(const message& m) {
  if (!view_and_window_ok(m)) return;
  if (!m.nested.empty() || !m.payload.verdicts.empty() ||
      (m.kind == message_kind::prepare && m.sender == config_.validators.primary(m.view))) {
    ++drops_.malformed;
    return;
  }
  auto it = log_.find(m.sequence);
  if (it != log_.end()) {
    auto& votes = m.kind == message_kind::prepare ? it->second.prepares : it->second.commits;
    const auto v = votes.find(m.sender);
    if (v != votes.end() && v->second == m) {
      ++drops_.replayed;
      return;
    }
  }
  if (!signature_ok(m)) return;
  if (const auto r = refused_.find(m.value); r != refused_.end()) {
    evidence e;
    e.kind = offence::invalid_compute;
    e.offender = m.sender;
    e.messages = {m, r->second.first};
    e.verdict_index = r->second.second;
    report(std::move(e), checked_offence{offence::invalid_compute, m.sender, m.view, m.sequence});
    return;
  }
  log_entry& entry = log_[m.sequence];
  auto& votes = m.kind == message_kind::prepare ? entry.prepares : entry.commits;
  const auto v = votes.find(m.sender);
  if (v != votes.end()) {
    evidence e;
    e.kind = offence::double_signing;
    e.offender = m.sender;
    e.messages = {v->second, m};
    report(std::move(e), checked_offence{offence::double_signing, m.sender, m.view, m.sequence});
    return;
  }
  votes.emplace(m.sender, m);
  evaluate(m.sequence);
}

void replica::evaluate(std::uint64_t n) {
  log_entry& entry = log_[n];
  if (!entry.pre_prepare) return;
  const message& pp = *entry.pre_prepare;
  const validator_set& set = config_.validators;
  std::uint64_t prepared_weight = set.weight(pp.sender);
  for (const auto& [sender, p] : entry.prepares) {
    if (p.value == pp.value && sender != pp.sender) prepared_weight += set.weight(sender);
  }
  if (!set.is_quorum(prepared_weight)) return;
  if (entry.prepared_proof.empty() || entry.prepared_proof.front().view < pp.view) {
    entry.prepared_proof = {pp};
    for (const auto& [sender, p] : entry.prepares) {
      if (p.value == pp.value && sender != pp.sender) entry.prepared_proof.push_back(p);
    }
  }
  if (entry.commits.count(config_.self) == 0) {
    message commit;
    commit.kind = message_kind::commit;
    commit.view = pp.view;
    commit.sequence = n;
    commit.value = pp.value;
    send(commit);
    entry.commits[config_.self] = out_.broadcast.back();
  }
  if (entry.certificate) return;
  std::uint64_t commit_weight = 0;
  for (const auto& [sender, c] : entry.commits) {
    if (c.value == pp.value) commit_weight += set.weight(sender);
  }
  if (!set.is_quorum(commit_weight)) return;
  quorum_certificate cert;
  cert.view = pp.view;
  cert.sequence = n;
  cert.committed = pp.payload;
  for (const auto& [sender, c] : entry.commits) {
    if (c.value == pp.value) cert.commits.push_back({sender, c.sig});
  }
  entry.certificate = std::move(cert);
  execute();
}

void replica::execute() {
  for (;;) {
    const auto it = log_.find(last_executed_ + 1);
    if (it == log_.end() || !it->second.certificate) return;
    quorum_certificate& cert = *it->second.certificate;
    const digest id = batch_digest(cert.committed);
    // Commits that arrived after the quorum formed (while the batch waited for an earlier one to
    // execute) join its certificate.
    cert.commits.clear();
    for (const auto& [sender, c] : it->second.commits) {
      if (c.view == cert.view && c.value == id) cert.commits.push_back({sender, c.sig});
    }
    last_executed_ = it->first;
    state_ = chain(state_, last_executed_, id);
    out_.decisions.push_back(cert);
    std::erase_if(pending_, [&](const pending_request& p) { return p.id == id; });
    if (executed_.insert(id).second) {
      executed_order_.push_back(id);
      if (executed_order_.size() > executed_memory) {
        executed_.erase(executed_order_.front());
        executed_order_.pop_front();
      }
    }
    if (last_executed_ % config_.checkpoint_interval == 0) {
      message cp;
      cp.kind = message_kind::checkpoint;
      cp.sequence = last_executed_;
      cp.value = state_;
      send(cp);
      add_checkpoint(out_.broadcast.back());
    }
  }
}

void replica::on_checkpoint(const message& m) {
  if (m.view != 0 || m.sequence % config_.checkpoint_interval != 0 || !m.nested.empty() ||
      !m.payload.verdicts.empty()) {
    ++drops_.malformed;
    return;
  }
  if (m.sequence <= h_) {
    ++drops_.stale;
    return;
  }
  if (m.sequence > h_ + checkpoint_horizon_windows * config_.window) {
    ++drops_.out_of_window;
    return;
  }
  const auto at = checkpoints_.find(m.sequence);
  const message* known = nullptr;
  if (at != checkpoints_.end()) {
    const auto s = at->second.find(m.sender);
    if (s != at->second.end()) known = &s->second;
  }
  if (known && *known == m) {
    ++drops_.replayed;
    return;
  }
  if (!signature_ok(m)) return;
  if (known) {
    evidence e;
    e.kind = offence::double_signing;
    e.offender = m.sender;
    e.messages = {*known, m};
    report(std::move(e), checked_offence{offence::double_signing, m.sender, 0, m.sequence});
    return;
  }
  add_checkpoint(m);
}

void replica::add_checkpoint(const message& m) {
  auto& at = checkpoints_[m.sequence];
  at.emplace(m.sender, m);
  std::uint64_t weight = 0;
  std::vector<message> proof;
  for (const auto& [sender, c] : at) {
    if (c.value != m.value) continue;
    weight += config_.validators.weight(sender);
    proof.push_back(c);
  }
  if (config_.validators.is_quorum(weight)) make_stable(m.sequence, m.value, std::move(proof));
}

void replica::make_stable(std::uint64_t n, const digest& state, std::vector<message> proof) {
  if (n <= h_) return;
  h_ = n;
  stable_state_ = state;
  stable_proof_ = std::move(proof);
  log_.erase(log_.begin(), log_.upper_bound(n));
  checkpoints_.erase(checkpoints_.begin(), checkpoints_.lower_bound(n));
  std::erase_if(refused_, [&](const auto& r) { return r.second.first.sequence <= n; });
  if (last_executed_ < n) {
    // State transfer: the quorum vouches for the state at n. The requests this replica still
    // holds may be among the batches it skipped, so they are dropped (a client re-submits what
    // it has not seen decided).
    last_executed_ = n;
    state_ = state;
    pending_.clear();
  }
  next_sequence_ = std::max(next_sequence_, n + 1);
  execute();
  propose();
}

bool replica::submit(const batch& request) {
  const digest id = batch_digest(request);
  if (executed_.count(id) != 0) return false;
  for (const pending_request& p : pending_) {
    if (p.id == id) return false;
  }
  for (const verdict& v : request.verdicts) {
    if (!config_.checker(v)) return false;
  }
  pending_request p;
  p.request = request;
  p.id = id;
  p.since = now_;
  pending_.push_back(std::move(p));
  propose();
  return true;
}

void replica::propose() {
  if (view_changing_ || config_.validators.primary(view_) != config_.self) return;
  std::vector<pending_request> unproposed;  // a copy: accepting a proposal may execute and erase
  for (const pending_request& p : pending_) {
    if (proposed_.count(p.id) == 0) unproposed.push_back(p);
  }
  for (const pending_request& p : unproposed) {
    if (next_sequence_ > h_ + config_.window) return;
    message pp;
    pp.kind = message_kind::pre_prepare;
    pp.view = view_;
    pp.sequence = next_sequence_++;
    pp.value = p.id;
    pp.payload = p.request;
    send(pp);
    proposed_.insert(p.id);
    const message sent = out_.broadcast.back();
    accept_pre_prepare(sent);
  }
}

void replica::tick() {
  ++now_;
  if (!view_changing_) {
    for (const pending_request& p : pending_) {
      if (now_ - p.since >= config_.request_timeout) {
        start_view_change(view_ + 1);
        break;
      }
    }
  } else if (now_ >= view_change_deadline_) {
    start_view_change(target_view_ + 1);
  }
  if (now_ % config_.retransmit_interval == 0) retransmit();
}

void replica::retransmit() {
  const std::uint32_t self = config_.self;
  if (view_changing_) {
    const auto vcs = view_changes_.find(target_view_);
    if (vcs != view_changes_.end() && vcs->second.count(self) != 0) out_.broadcast.push_back(vcs->second.at(self));
  } else {
    if (last_new_view_ && last_new_view_->view == view_ && last_new_view_->sender == self) {
      out_.broadcast.push_back(*last_new_view_);
    }
    for (const auto& [n, entry] : log_) {
      if (entry.pre_prepare && entry.pre_prepare->sender == self) out_.broadcast.push_back(*entry.pre_prepare);
      if (const auto p = entry.prepares.find(self); p != entry.prepares.end()) out_.broadcast.push_back(p->second);
      if (const auto c = entry.commits.find(self); c != entry.commits.end()) out_.broadcast.push_back(c->second);
    }
  }
  for (const message& c : stable_proof_) {
    if (c.sender == self) out_.broadcast.push_back(c);
  }
  for (const auto& [n, at] : checkpoints_) {
    if (const auto c = at.find(self); c != at.end()) out_.broadcast.push_back(c->second);
  }
}

void replica::start_view_change(std::uint64_t target) {
  if (target <= (view_changing_ ? target_view_ : view_)) return;
  if (view_changing_) {
    view_change_timeout_ = std::min(view_change_timeout_ * 2, config_.request_timeout * max_view_change_backoff);
  }
  view_changing_ = true;
  target_view_ = target;
  view_change_deadline_ = now_ + view_change_timeout_;
  message vc;
  vc.kind = message_kind::view_change;
  vc.view = target;
  vc.sequence = h_;
  vc.value = stable_state_;
  vc.nested = stable_proof_;
  for (const auto& [n, entry] : log_) {
    vc.nested.insert(vc.nested.end(), entry.prepared_proof.begin(), entry.prepared_proof.end());
  }
  send(vc);
  view_changes_[target][config_.self] = out_.broadcast.back();
  try_new_view(target);
}

bool replica::valid_view_change(const message& vc) {
  const validator_set& set = config_.validators;
  std::size_t i = 0;
  std::uint64_t weight = 0;
  std::set<std::uint32_t> senders;
  for (; i < vc.nested.size() && vc.nested[i].kind == message_kind::checkpoint; ++i) {
    const message& c = vc.nested[i];
    if (c.sequence != vc.sequence || c.value != vc.value || c.view != 0 || c.sender >= set.size() ||
        !senders.insert(c.sender).second || !config_.cache->signed_by_sender(c, set)) {
      return false;
    }
    weight += set.weight(c.sender);
  }
  if (vc.sequence == 0 ? (i != 0 || vc.value != digest{}) : !set.is_quorum(weight)) return false;
  std::uint64_t last = vc.sequence;
  while (i < vc.nested.size()) {
    const message& pp = vc.nested[i++];
    if (pp.kind != message_kind::pre_prepare || pp.view >= vc.view || pp.sequence <= last ||
        pp.sequence > vc.sequence + config_.window || pp.sender != set.primary(pp.view) ||
        batch_digest(pp.payload) != pp.value || !config_.cache->signed_by_sender(pp, set)) {
      return false;
    }
    std::uint64_t prepared = set.weight(pp.sender);
    std::set<std::uint32_t> voters{pp.sender};
    for (; i < vc.nested.size() && vc.nested[i].kind == message_kind::prepare; ++i) {
      const message& p = vc.nested[i];
      if (p.view != pp.view || p.sequence != pp.sequence || p.value != pp.value || p.sender >= set.size() ||
          !voters.insert(p.sender).second || !config_.cache->signed_by_sender(p, set)) {
        return false;
      }
      prepared += set.weight(p.sender);
    }
    if (!set.is_quorum(prepared)) return false;
    last = pp.sequence;
  }
  return true;
}

void replica::on_view_change(const message& m) {
  const std::uint64_t current = view_changing_ ? target_view_ : view_;
  if (m.view < current || (m.view == view_ && !view_changing_) || m.sequence % config_.checkpoint_interval != 0) {
    ++drops_.stale;
    return;
  }
  if (m.view > current + view_change_horizon) {
    ++drops_.out_of_window;
    return;
  }
  if (const auto at = view_changes_.find(m.view); at != view_changes_.end() && at->second.count(m.sender) != 0) {
    ++drops_.replayed;
    return;
  }
  if (!signature_ok(m)) return;
  if (!valid_view_change(m)) {
    ++drops_.malformed;
    return;
  }
  view_changes_[m.view].emplace(m.sender, m);
  // Join the smallest later view once a third of the weight asks for later views.
  std::set<std::uint32_t> asking;
  std::uint64_t smallest = 0;
  for (auto it = view_changes_.upper_bound(current); it != view_changes_.end(); ++it) {
    if (smallest == 0) smallest = it->first;
    for (const auto& [sender, vc] : it->second) asking.insert(sender);
  }
  std::uint64_t weight = 0;
  for (const std::uint32_t s : asking) weight += config_.validators.weight(s);
  if (smallest != 0 && config_.validators.is_third(weight)) start_view_change(smallest);
  if (view_changing_) try_new_view(target_view_);
}

std::vector<message> replica::proposals_for(std::uint64_t target, const std::vector<message>& view_changes) const {
  std::uint64_t low = 0, high = 0;
  for (const message& vc : view_changes) low = std::max(low, vc.sequence);
  std::map<std::uint64_t, const message*> chosen;  // the pre-prepare of the highest view per sequence
  for (const message& vc : view_changes) {
    for (const message& pp : vc.nested) {
      if (pp.kind != message_kind::pre_prepare || pp.sequence <= low) continue;
      high = std::max(high, pp.sequence);
      const message*& best = chosen[pp.sequence];
      if (best == nullptr || pp.view > best->view) best = &pp;
    }
  }
  std::vector<message> proposals;
  for (std::uint64_t n = low + 1; n <= high; ++n) {
    message pp;
    pp.kind = message_kind::pre_prepare;
    pp.view = target;
    pp.sequence = n;
    pp.sender = config_.validators.primary(target);
    if (const auto it = chosen.find(n); it != chosen.end()) pp.payload = it->second->payload;
    pp.value = batch_digest(pp.payload);  // an empty batch (a null request) fills a gap
    proposals.push_back(std::move(pp));
  }
  return proposals;
}

void replica::try_new_view(std::uint64_t target) {
  if (!view_changing_ || target != target_view_ || config_.validators.primary(target) != config_.self) return;
  const auto at = view_changes_.find(target);
  if (at == view_changes_.end()) return;
  std::uint64_t weight = 0;
  std::vector<message> vcs;
  for (const auto& [sender, vc] : at->second) {
    weight += config_.validators.weight(sender);
    vcs.push_back(vc);
  }
  if (!config_.validators.is_quorum(weight)) return;
  message nv;
  nv.kind = message_kind::new_view;
  nv.view = target;
  nv.nested = vcs;
  for (message pp : proposals_for(target, vcs)) {
    pp.sender = config_.self;
    sign_message(pp, config_.key);
    nv.nested.push_back(std::move(pp));
  }
  send(nv);
  const message sent = out_.broadcast.back();  // enter_view sends more: no reference into out_
  enter_view(sent);
}

bool replica::valid_new_view(const message& nv) {
  const validator_set& set = config_.validators;
  std::vector<message> vcs;
  std::set<std::uint32_t> senders;
  std::uint64_t weight = 0;
  std::size_t i = 0;
  for (; i < nv.nested.size() && nv.nested[i].kind == message_kind::view_change; ++i) {
    const message& vc = nv.nested[i];
    if (vc.view != nv.view || vc.sender >= set.size() || !senders.insert(vc.sender).second ||
        !config_.cache->signed_by_sender(vc, set) || !valid_view_change(vc)) {
      return false;
    }
    weight += set.weight(vc.sender);
    vcs.push_back(vc);
  }
  if (!set.is_quorum(weight)) return false;
  const std::vector<message> expected = proposals_for(nv.view, vcs);
  if (nv.nested.size() - i != expected.size()) return false;
  for (std::size_t k = 0; k < expected.size(); ++k) {
    const message& pp = nv.nested[i + k];
    if (pp.kind != message_kind::pre_prepare || pp.view != nv.view || pp.sequence != expected[k].sequence ||
        pp.value != expected[k].value || pp.payload != expected[k].payload || pp.sender != nv.sender ||
        !config_.cache->signed_by_sender(pp, set)) {
      return false;
    }
  }
  return true;
}

void replica::on_new_view(const message& m) {
  if (last_new_view_ && *last_new_view_ == m) {
    ++drops_.replayed;
    return;
  }
  if (m.view < view_ || (m.view == view_ && !view_changing_) || (view_changing_ && m.view < target_view_)) {
    ++drops_.stale;
    return;
  }
  if (m.sender != config_.validators.primary(m.view)) {
    ++drops_.malformed;
    return;
  }
  if (!signature_ok(m)) return;
  if (!valid_new_view(m)) {
    ++drops_.malformed;
    return;
  }
  enter_view(m);
}

void replica::enter_view(const message& nv) {
  view_ = nv.view;
  target_view_ = nv.view;
  view_changing_ = false;
  view_change_timeout_ = config_.request_timeout;
  last_new_view_ = nv;
  std::vector<message> proposals;
  const message* stable = nullptr;
  for (const message& m : nv.nested) {
    if (m.kind == message_kind::view_change && (stable == nullptr || m.sequence > stable->sequence)) stable = &m;
    if (m.kind == message_kind::pre_prepare) proposals.push_back(m);
  }
  if (stable != nullptr && stable->sequence > h_) {
    std::vector<message> proof;
    for (const message& c : stable->nested) {
      if (c.kind == message_kind::checkpoint) proof.push_back(c);
    }
    const std::uint64_t n = stable->sequence;
    const digest state = stable->value;
    make_stable(n, state, std::move(proof));
  }
  for (auto& [n, entry] : log_) {
    entry.pre_prepare.reset();
    entry.prepares.clear();
    entry.commits.clear();
  }
  view_changes_.erase(view_changes_.begin(), view_changes_.upper_bound(view_));
  for (pending_request& p : pending_) p.since = now_;
  proposed_.clear();
  std::uint64_t high = h_;
  for (const message& pp : proposals) {
    high = std::max(high, pp.sequence);
    proposed_.insert(pp.value);
    if (pp.sequence > h_) accept_pre_prepare(pp);
  }
  next_sequence_ = high + 1;
  propose();
}

}  // namespace ciro::consensus
