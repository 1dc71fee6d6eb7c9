// The durable state of a replica: persist() and restore() (the format is in docs/consensus.md).

#include <string_view>

#include "consensus/replica.hpp"

namespace ciro::consensus {
namespace {

constexpr std::string_view magic = "ciro.replica.v1";
/// Bound on every list of the persisted state.
constexpr std::uint32_t max_persisted_items = 1 << 20;

void put_messages(byte_writer& w, const std::vector<message>& ms) {
  w.u32(static_cast<std::uint32_t>(ms.size()));
  for (const message& m : ms) encode(w, m);
}

template <class Map>
std::vector<message> values_of(const Map& by_sender) {
  std::vector<message> out;
  for (const auto& [sender, m] : by_sender) out.push_back(m);
  return out;
}

std::optional<std::vector<message>> get_messages(byte_reader& r) {
  const auto n = r.count(max_persisted_items);
  if (!n) return std::nullopt;
  std::vector<message> out;
  for (std::uint32_t i = 0; i < *n; ++i) {
    auto m = decode_message(r);
    if (!m) return std::nullopt;
    out.push_back(std::move(*m));
  }
  return out;
}

}  // namespace

std::vector<std::uint8_t> replica::persist() const {
  byte_writer w;
  w.raw(std::span(reinterpret_cast<const std::uint8_t*>(magic.data()), magic.size()));
  w.u32(config_.self);
  w.bytes(config_.validators.digest());
  for (const std::uint64_t v :
       {now_, view_, target_view_, view_change_deadline_, view_change_timeout_, h_, last_executed_, next_sequence_}) {
    w.u64(v);
  }
  w.u8(view_changing_ ? 1 : 0);
  w.bytes(stable_state_);
  w.bytes(state_);
  put_messages(w, stable_proof_);
  w.u32(static_cast<std::uint32_t>(log_.size()));
  for (const auto& [n, entry] : log_) {
    w.u64(n);
    w.u8(entry.pre_prepare ? 1 : 0);
    if (entry.pre_prepare) encode(w, *entry.pre_prepare);
    put_messages(w, values_of(entry.prepares));
    put_messages(w, values_of(entry.commits));
    put_messages(w, entry.prepared_proof);
    w.u8(entry.certificate ? 1 : 0);
    if (entry.certificate) encode(w, *entry.certificate);
  }
  std::vector<message> all;
  for (const auto& [n, at] : checkpoints_) {
    for (const auto& [sender, m] : at) all.push_back(m);
  }
  put_messages(w, all);
  all.clear();
  for (const auto& [v, at] : view_changes_) {
    for (const auto& [sender, m] : at) all.push_back(m);
  }
  put_messages(w, all);
  w.u8(last_new_view_ ? 1 : 0);
  if (last_new_view_) encode(w, *last_new_view_);
  w.u32(static_cast<std::uint32_t>(pending_.size()));
  for (const pending_request& p : pending_) {
    encode(w, p.request);
    w.u64(p.since);
  }
  w.u32(static_cast<std::uint32_t>(executed_order_.size()));
  for (const digest& d : executed_order_) w.bytes(d);
  w.u32(static_cast<std::uint32_t>(proposed_.size()));
  for (const digest& d : proposed_) w.bytes(d);
  w.u32(static_cast<std::uint32_t>(refused_.size()));
  for (const auto& [d, r] : refused_) {
    encode(w, r.first);
    w.u32(r.second);
  }
  w.u32(static_cast<std::uint32_t>(reported_.size()));
  for (const checked_offence& o : reported_) {
    w.u8(static_cast<std::uint8_t>(o.kind));
    w.u32(o.offender);
    w.u64(o.view);
    w.u64(o.sequence);
  }
  for (const std::uint64_t v : {drops_.unknown_sender, drops_.unsigned_messages, drops_.forged, drops_.replayed,
                                drops_.stale, drops_.out_of_window, drops_.malformed}) {
    w.u64(v);
  }
  return w.take();
}

result<replica, restore_error_code> replica::restore(replica_config config, std::span<const std::uint8_t> state) {
  using code = restore_error_code;
  const auto malformed = [](const char* what) {
    return error<code>{code::malformed, std::string("persisted replica state: ") + what};
  };
  byte_reader r(state);
  for (const char c : magic) {
    const auto b = r.u8();
    if (!b || *b != static_cast<std::uint8_t>(c)) return malformed("not a ciro.replica.v1 state");
  }
  const auto self = r.u32();
  const auto set_digest = r.bytes<32>();
  if (!self || !set_digest) return malformed("truncated header");
  if (*self != config.self || *set_digest != config.validators.digest()) {
    return error<code>{code::wrong_replica, "persisted replica state: another replica's or validator set's"};
  }
  replica x(std::move(config));
  std::uint64_t* words[] = {
      &x.now_, &x.view_,          &x.target_view_,  &x.view_change_deadline_, &x.view_change_timeout_,
      &x.h_,   &x.last_executed_, &x.next_sequence_};
  for (std::uint64_t* word : words) {
    const auto v = r.u64();
    if (!v) return malformed("truncated header");
    *word = *v;
  }
  const auto changing = r.u8();
  const auto stable_state = r.bytes<32>(), state_digest = r.bytes<32>();
  auto stable_proof = get_messages(r);
  if (!changing || *changing > 1 || !stable_state || !state_digest || !stable_proof) return malformed("bad header");
  x.view_changing_ = *changing == 1;
  x.stable_state_ = *stable_state;
  x.state_ = *state_digest;
  x.stable_proof_ = std::move(*stable_proof);
  const auto entries = r.count(max_persisted_items);
  if (!entries) return malformed("bad log");
  for (std::uint32_t i = 0; i < *entries; ++i) {
    const auto n = r.u64();
    if (!n) return malformed("bad log entry");
    log_entry entry;
    const auto has_pp = r.u8();
    if (!has_pp || *has_pp > 1) return malformed("bad log entry");
    if (*has_pp == 1) {
      auto pp = decode_message(r);
      if (!pp) return malformed("bad pre-prepare");
      entry.pre_prepare = std::move(*pp);
    }
    auto prepares = get_messages(r), commits = get_messages(r), proof = get_messages(r);
    const auto has_cert = r.u8();
    if (!prepares || !commits || !proof || !has_cert || *has_cert > 1) return malformed("bad log entry");
    for (message& m : *prepares) entry.prepares.emplace(m.sender, std::move(m));
    for (message& m : *commits) entry.commits.emplace(m.sender, std::move(m));
    entry.prepared_proof = std::move(*proof);
    if (*has_cert == 1) {
      auto cert = decode_certificate(r);
      if (!cert) return malformed("bad certificate");
      entry.certificate = std::move(*cert);
    }
    x.log_.emplace(*n, std::move(entry));
  }
  auto checkpoints = get_messages(r);
  auto view_changes = get_messages(r);
  if (!checkpoints || !view_changes) return malformed("bad checkpoints or view changes");
  for (message& m : *checkpoints) x.checkpoints_[m.sequence].emplace(m.sender, std::move(m));
  for (message& m : *view_changes) x.view_changes_[m.view].emplace(m.sender, std::move(m));
  const auto has_nv = r.u8();
  if (!has_nv || *has_nv > 1) return malformed("bad new view");
  if (*has_nv == 1) {
    auto nv = decode_message(r);
    if (!nv) return malformed("bad new view");
    x.last_new_view_ = std::move(*nv);
  }
  const auto pending = r.count(max_persisted_items);
  if (!pending) return malformed("bad pending requests");
  for (std::uint32_t i = 0; i < *pending; ++i) {
    auto request = decode_batch(r);
    const auto since = r.u64();
    if (!request || !since) return malformed("bad pending request");
    pending_request p;
    p.id = batch_digest(*request);
    p.request = std::move(*request);
    p.since = *since;
    x.pending_.push_back(std::move(p));
  }
  const auto executed = r.count(max_persisted_items);
  if (!executed) return malformed("bad executed requests");
  for (std::uint32_t i = 0; i < *executed; ++i) {
    const auto d = r.bytes<32>();
    if (!d) return malformed("bad executed request");
    x.executed_order_.push_back(*d);
    x.executed_.insert(*d);
  }
  const auto proposed = r.count(max_persisted_items);
  if (!proposed) return malformed("bad proposals");
  for (std::uint32_t i = 0; i < *proposed; ++i) {
    const auto d = r.bytes<32>();
    if (!d) return malformed("bad proposal");
    x.proposed_.insert(*d);
  }
  const auto refused = r.count(max_persisted_items);
  if (!refused) return malformed("bad refusals");
  for (std::uint32_t i = 0; i < *refused; ++i) {
    auto pp = decode_message(r);
    const auto index = r.u32();
    if (!pp || !index) return malformed("bad refusal");
    const digest d = pp->value;
    x.refused_.emplace(d, std::pair(std::move(*pp), *index));
  }
  const auto reported = r.count(max_persisted_items);
  if (!reported) return malformed("bad reports");
  for (std::uint32_t i = 0; i < *reported; ++i) {
    const auto kind = r.u8();
    const auto offender = r.u32();
    const auto view = r.u64(), sequence = r.u64();
    if (!kind || *kind < 1 || *kind > 3 || !offender || !view || !sequence) return malformed("bad report");
    x.reported_.insert(checked_offence{static_cast<offence>(*kind), *offender, *view, *sequence});
  }
  std::uint64_t* counters[] = {
      &x.drops_.unknown_sender, &x.drops_.unsigned_messages, &x.drops_.forged,   &x.drops_.replayed,
      &x.drops_.stale,          &x.drops_.out_of_window,     &x.drops_.malformed};
  for (std::uint64_t* c : counters) {
    const auto v = r.u64();
    if (!v) return malformed("truncated counters");
    *c = *v;
  }
  if (!r.at_end()) return malformed("trailing bytes");
  return x;
}

}  // namespace ciro::consensus
