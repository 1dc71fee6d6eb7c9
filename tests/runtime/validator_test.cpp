// Validators in the runtime (docs/consensus.md, "In the runtime"): the frames validators exchange,
// the verdicts they derive from real proofs, replicas agreeing over loopback RPC, and nodes that
// publish a result only once its batch commits, with a certificate anyone can check.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "consensus/json_format.hpp"
#include "consensus/ledger.hpp"
#include "runtime/job.hpp"
#include "runtime/job_runner.hpp"
#include "runtime/node.hpp"
#include "runtime/proof_verdicts.hpp"
#include "runtime/replica_host.hpp"
#include "runtime/throughput.hpp"
#include "runtime/validator_frames.hpp"
#include "net/free_port.hpp"
#include "tests/support/seed.hpp"

namespace ciro::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string as_string(const std::vector<std::uint8_t>& b) { return {b.begin(), b.end()}; }
std::span<const std::uint8_t> bytes_of(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

/// The proof of an example AIR job (`ciro prove --air NAME --log-rows K`).
std::string proof_of(const std::string& air, unsigned log_rows) {
  compile_cache compiled;
  std::vector<std::uint8_t> proof;
  const auto job = parse_job(R"({"id": "p", "air": ")" + air + R"(", "log_rows": )" + std::to_string(log_rows) + "}");
  EXPECT_TRUE(job.has_value());
  const job_result r = run_job(job.value(), ".", prices{}, compiled, proof);
  EXPECT_TRUE(r.ok) << r.reason;
  return as_string(proof);
}

/// A model proof of the MLP on its first input set.
std::string model_proof() {
  const fs::path d = fs::path(testing::TempDir()) / ("ciro_validator_model_" + std::to_string(getpid()));
  fs::create_directories(d);
  std::ifstream in(std::string(CIRO_ZKML_MODELS_DIR) + "/mlp.inputs.json");
  std::ofstream(d / "x.json") << nlohmann::json::parse(in)["inputs"][0].dump();
  compile_cache compiled;
  std::vector<std::uint8_t> proof;
  const auto job = parse_job(std::string(R"({"id": "m", "model": ")") + CIRO_ZKML_MODELS_DIR + R"(/mlp.onnx", "input": "x.json"})");
  EXPECT_TRUE(job.has_value());
  const job_result r = run_job(job.value(), d, prices{}, compiled, proof);
  EXPECT_TRUE(r.ok) << r.reason;
  fs::remove_all(d);
  return as_string(proof);
}

std::vector<consensus::key_pair> test_keys(std::size_t n) {
  std::vector<consensus::key_pair> keys;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string name = "ciro test validator " + std::to_string(i);
    keys.push_back(consensus::key_pair_from_seed(consensus::sha256(bytes_of(name))));
  }
  return keys;
}

consensus::validator_set set_of(const std::vector<consensus::key_pair>& keys) {
  std::vector<consensus::validator> vs;
  for (const auto& k : keys) vs.push_back({k.public_key_bytes, 1000, 100, 1000});
  return consensus::validator_set::make(vs).value();
}

std::vector<std::string> loopback_addresses(std::size_t n) {
  std::vector<std::string> a;
  for (const auto port : net::free_loopback_ports(n)) a.push_back("127.0.0.1:" + std::to_string(port));
  return a;
}

TEST(ValidatorFrames, EachKindRoundTripsAndBrokenFramesAreRefused) {
  test::seeded_rng rng;
  consensus::message m;
  m.kind = consensus::message_kind::prepare;
  m.view = 3;
  m.sequence = 9;
  m.sender = 2;
  m.value[0] = 7;
  validator_request req;
  req.verdicts.time_s = 1700000000;
  for (int i = 0; i < 3; ++i) {
    consensus::verdict v;
    v.job_id = "job-" + std::to_string(i);
    for (auto& b : v.proof_digest) b = static_cast<std::uint8_t>(rng.next());
    v.valid = i != 1;
    req.verdicts.verdicts.push_back(v);
  }
  req.proofs = {std::string(1000, 'p'), std::string("q")};
  req.verdicts.evidence = {std::string("an encoded evidence")};
  for (const validator_frame& f : {validator_frame{m}, validator_frame{req}}) {
    const std::string bytes = encode_frame(f);
    const auto back = decode_frame(bytes);
    ASSERT_TRUE(back.has_value());
    EXPECT_TRUE(*back == f);
    // Every truncation, and a byte more, is refused.
    for (std::size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 64) EXPECT_FALSE(decode_frame(bytes.substr(0, cut))) << cut;
    EXPECT_FALSE(decode_frame(bytes + "x"));
  }
  EXPECT_FALSE(decode_frame(std::string("\x03", 1)));  // an unknown tag
  EXPECT_FALSE(decode_frame(""));
  validator_request too_many = req;
  too_many.proofs.resize(5, "r");  // more proofs than the 3 verdicts and the evidence name
  EXPECT_FALSE(decode_frame(encode_frame(too_many)));
}

TEST(ProofVerdicts, AVerdictNamesWhatTheProofProvesAndATamperedProofIsInvalid) {
  const std::string fib = proof_of("fibonacci", 6), fib7 = proof_of("fibonacci", 7), pos = proof_of("poseidon2", 3);
  const consensus::verdict a = verdict_of("a", bytes_of(fib));
  EXPECT_TRUE(a.valid);
  EXPECT_EQ(a.job_id, "a");
  EXPECT_EQ(a.proof_digest, consensus::sha256(bytes_of(fib)));
  EXPECT_EQ(a.input_commitment, consensus::digest{});
  // Deterministic, and each digest tells statements apart.
  EXPECT_EQ(verdict_of("a", bytes_of(fib)), a);
  const consensus::verdict b = verdict_of("a", bytes_of(fib7)), c = verdict_of("a", bytes_of(pos));
  EXPECT_TRUE(b.valid && c.valid);
  EXPECT_NE(a.statement_hash, b.statement_hash);
  EXPECT_NE(a.statement_hash, c.statement_hash);
  EXPECT_NE(a.output_hash, c.output_hash);
  // A flipped byte in the middle: invalid.
  std::string tampered = fib;
  tampered[tampered.size() / 2] ^= 1;
  EXPECT_FALSE(verdict_of("a", bytes_of(tampered)).valid);
  // Not a proof at all: invalid, nothing named but its digest.
  const consensus::verdict junk = verdict_of("a", bytes_of(std::string("junk")));
  EXPECT_FALSE(junk.valid);
  EXPECT_EQ(junk.statement_hash, consensus::digest{});
}

TEST(ProofVerdicts, AModelProofIsNamedByItsModelHashAndInputCommitment) {
  const std::string proof = model_proof();
  const consensus::verdict v = verdict_of("m", bytes_of(proof));
  EXPECT_TRUE(v.valid);
  EXPECT_NE(v.statement_hash, consensus::digest{});
  EXPECT_NE(v.input_commitment, consensus::digest{});
  EXPECT_NE(v.output_hash, consensus::digest{});
}

TEST(ProofVerdicts, TheCheckerAcceptsExactlyTheVerdictItDerives) {
  const std::string fib = proof_of("fibonacci", 6);
  proof_verdicts store;
  const consensus::verdict right = verdict_of("j", bytes_of(fib));
  EXPECT_FALSE(store.check(right));  // not held yet
  EXPECT_EQ(store.add(fib), right.proof_digest);
  EXPECT_TRUE(store.check(right));
  auto flip_valid = right;
  flip_valid.valid = false;
  auto other_output = right;
  other_output.output_hash[0] ^= 1;
  auto other_statement = right;
  other_statement.statement_hash[31] ^= 1;
  for (const auto& wrong : {flip_valid, other_output, other_statement}) EXPECT_FALSE(store.check(wrong));
  auto renamed = right;
  renamed.job_id = "another job of the same batch proof";
  EXPECT_TRUE(store.check(renamed));
  // A bounded store forgets its oldest proofs.
  proof_verdicts small(fib.size() + 10);
  const auto first = small.add(fib);
  small.add(proof_of("fibonacci", 7));
  EXPECT_FALSE(small.holds(first));
}

/// N replica hosts over loopback, each with its own proof store, recording their decisions and
/// applying them to a ledger of its own as the node does (apply_committed).
struct host_cluster {
  explicit host_cluster(std::size_t n, std::size_t running = SIZE_MAX) : keys(test_keys(n)), set(set_of(keys)), addresses(loopback_addresses(n)) {
    decisions.resize(n);
    stores.resize(n);
    hosts.resize(n);
    slashes.resize(n);
    for (std::size_t i = 0; i < n; ++i) ledgers.emplace_back(set);
    for (std::size_t i = 0; i < std::min(n, running); ++i) start(i);
  }
  /// Starts validator i (its state persisted to `state_file` when one is named).
  void start(std::size_t i, const fs::path& state_file = {}) {
    replica_host_config c;
    c.validators = set;
    c.key = keys[i];
    c.addresses = addresses;
    c.tick = 20ms;
    c.state_file = state_file;
    if (!stores[i]) stores[i] = std::make_shared<proof_verdicts>();
    replica_host::callbacks on;
    on.on_decision = [this, i](const consensus::quorum_certificate& cert) {
      std::lock_guard lock(mutex);
      decisions[i].push_back(cert);
      for (const auto& e : apply_committed(ledgers[i], cert, set, *stores[i])) slashes[i].push_back(e);
    };
    auto h = replica_host::start(c, stores[i], on);
    ASSERT_TRUE(h.has_value()) << h.error().message;
    hosts[i] = std::move(h.value());
  }
  /// Waits until every running host decided `n` batches.
  bool wait_decided(std::size_t n, std::chrono::seconds limit = 30s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      bool all = true;
      {
        std::lock_guard lock(mutex);
        for (std::size_t i = 0; i < hosts.size(); ++i) all = all && (!hosts[i] || decisions[i].size() >= n);
      }
      if (all) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  std::vector<consensus::key_pair> keys;
  consensus::validator_set set;
  std::vector<std::string> addresses;
  std::mutex mutex;
  std::vector<std::vector<consensus::quorum_certificate>> decisions;
  std::vector<std::shared_ptr<proof_verdicts>> stores;
  std::vector<consensus::ledger> ledgers;
  std::vector<std::vector<consensus::slash_event>> slashes;
  std::vector<std::unique_ptr<replica_host>> hosts;
};

/// Submits `count` batches one after the other from host 0, the k-th proposed k hours after the
/// first, each decided by every running host before the next.
void submit_hourly(host_cluster& c, std::size_t count) {
  const std::string p = proof_of("fibonacci", 6);
  c.stores[0]->add(p);
  for (std::size_t k = 0; k < count; ++k) {
    consensus::batch b;
    b.time_s = 1700000000 + k * 3600;
    b.verdicts = {verdict_of("hour-" + std::to_string(k), bytes_of(p))};
    c.hosts[0]->submit(b);
    ASSERT_TRUE(c.wait_decided(k + 1)) << "batch " << k;
  }
}

TEST(ReplicaHost, ADecisionAfterAGapNamesTheSequencesTheLedgerSkipped) {
  const auto keys = test_keys(4);
  const consensus::validator_set set = set_of(keys);
  consensus::ledger ledger(set);
  consensus::quorum_certificate cert;
  cert.sequence = 1;  // the first decision of a cluster
  EXPECT_FALSE(skipped_sequences(ledger, cert));
  cert.sequence = 7;  // a first decision after six this ledger never saw
  const auto fresh = skipped_sequences(ledger, cert);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->first, 1u);
  EXPECT_EQ(fresh->second, 6u);
  consensus::batch b;
  b.time_s = 1000;
  ledger.record_committed(5, b, set);
  cert.sequence = 6;
  EXPECT_FALSE(skipped_sequences(ledger, cert));
  cert.sequence = 5;  // a replay after a restart
  EXPECT_FALSE(skipped_sequences(ledger, cert));
  cert.sequence = 21;  // caught up from the checkpoint at 20
  const auto gap = skipped_sequences(ledger, cert);
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->first, 6u);
  EXPECT_EQ(gap->second, 20u);
}

TEST(ReplicaHost, AValidatorDownSixHoursIsSlashedAlikeOnEveryLedger) {
  host_cluster c(4, 3);  // validator 3 never comes up
  submit_hourly(c, consensus::participation_window + 8);
  std::this_thread::sleep_for(200ms);
  std::lock_guard lock(c.mutex);
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_EQ(c.slashes[i].size(), 1u) << "validator " << i;
    EXPECT_EQ(c.slashes[i][0].kind, consensus::penalty_kind::downtime);
    EXPECT_EQ(c.slashes[i][0].validator, 3u);
    EXPECT_EQ(c.ledgers[i].stake(3), 950u);
    EXPECT_EQ(c.ledgers[i].stake(i), 1000u);
    EXPECT_EQ(c.ledgers[i].state_digest(), c.ledgers[0].state_digest()) << "validator " << i;
  }
  EXPECT_EQ(consensus::alert_json(c.slashes[0][0]).find(R"("offence": "downtime")") != std::string::npos, true);
}

TEST(ReplicaHost, ABatchDatedAheadOfTheValidatorsClocksIsNeverCommitted) {
  host_cluster c(4);
  const std::string p = proof_of("fibonacci", 6);
  c.stores[1]->add(p);
  consensus::batch ahead;
  ahead.time_s = unix_seconds() + 2 * max_clock_skew_s;
  ahead.verdicts = {verdict_of("ahead", bytes_of(p))};
  c.hosts[1]->submit(ahead);  // sent to every validator: none takes it, nor the primary's pre-prepare
  consensus::batch now;
  now.time_s = unix_seconds();
  now.verdicts = {verdict_of("now", bytes_of(p))};
  c.hosts[1]->submit(now);
  ASSERT_TRUE(c.wait_decided(1));
  std::this_thread::sleep_for(1s);
  std::lock_guard lock(c.mutex);
  std::uint64_t dropped = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    for (const auto& cert : c.decisions[i]) EXPECT_EQ(cert.committed.verdicts, now.verdicts) << "validator " << i;
    dropped += c.hosts[i]->stats().future_batches;
  }
  EXPECT_GE(dropped, 3u);
}

TEST(ReplicaHost, EveryLiveValidatorIsRecordedEvenWhenItsCommitsComeAfterTheQuorum) {
  host_cluster c(4);
  submit_hourly(c, consensus::participation_window + 12);
  std::this_thread::sleep_for(200ms);
  std::lock_guard lock(c.mutex);
  const std::uint64_t now = c.decisions[0].back().committed.time_s;
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(c.slashes[i].empty()) << "validator " << i;
    EXPECT_EQ(c.ledgers[i].state_digest(), c.ledgers[0].state_digest()) << "validator " << i;
    // Each certificate holds a quorum (3 of 4); the carried records hold every commit received.
    for (std::uint32_t v = 0; v < 4; ++v) EXPECT_EQ(c.ledgers[i].uptime_permille(v, now), 1000u) << v;
  }
}

TEST(ReplicaHost, FourValidatorsAgreeOnBatchesOfRealProofsOverLoopbackRpc) {
  host_cluster c(4);
  const std::string p1 = proof_of("fibonacci", 6), p2 = proof_of("poseidon2", 3);
  // Validator 2 (a backup) and validator 0 (the primary) each submit a batch of their own proofs.
  consensus::batch b1, b2;
  c.stores[2]->add(p1);
  b1.verdicts = {verdict_of("j1", bytes_of(p1)), verdict_of("j2", bytes_of(p1))};
  c.stores[0]->add(p2);
  b2.verdicts = {verdict_of("j3", bytes_of(p2))};
  c.hosts[2]->submit(b1);
  c.hosts[0]->submit(b2);
  ASSERT_TRUE(c.wait_decided(2));
  std::lock_guard lock(c.mutex);
  for (std::size_t i = 0; i < 4; ++i) {
    ASSERT_EQ(c.decisions[i].size(), 2u) << "validator " << i;
    // The same batches at the same sequence numbers (each certificate holds the commits its
    // validator collected: a quorum, not necessarily the same signers).
    for (std::size_t k = 0; k < 2; ++k) {
      EXPECT_EQ(c.decisions[i][k].sequence, c.decisions[0][k].sequence);
      EXPECT_TRUE(c.decisions[i][k].committed == c.decisions[0][k].committed) << "validator " << i << " decided otherwise";
    }
    for (const auto& cert : c.decisions[i]) EXPECT_TRUE(consensus::check_certificate(cert, c.set).has_value());
    // Every validator got the proofs with the request and verified them itself.
    EXPECT_TRUE(c.stores[i]->holds(b1.verdicts[0].proof_digest));
  }
  std::vector<consensus::batch> committed;
  for (const auto& cert : c.decisions[0]) committed.push_back(cert.committed);
  EXPECT_NE(std::find(committed.begin(), committed.end(), b1), committed.end());
  EXPECT_NE(std::find(committed.begin(), committed.end(), b2), committed.end());
}

TEST(ReplicaHost, AVerdictThatLiesAboutItsProofIsNeverCommitted) {
  host_cluster c(4);
  std::string proof = proof_of("fibonacci", 6);
  proof[proof.size() / 2] ^= 1;  // an invalid proof
  consensus::verdict lie = verdict_of("bad", bytes_of(proof));
  ASSERT_FALSE(lie.valid);
  lie.valid = true;  // claimed valid
  c.stores[1]->add(proof);
  consensus::batch b;
  b.verdicts = {lie};
  c.hosts[1]->submit(b);  // its own checker refuses it; it is still sent to the others, who refuse it too
  const std::string good = proof_of("fibonacci", 7);
  c.stores[3]->add(good);
  consensus::batch ok;
  ok.verdicts = {verdict_of("good", bytes_of(good))};
  c.hosts[3]->submit(ok);
  ASSERT_TRUE(c.wait_decided(1));
  std::this_thread::sleep_for(500ms);
  std::lock_guard lock(c.mutex);
  for (std::size_t i = 0; i < 4; ++i) {
    ASSERT_EQ(c.decisions[i].size(), 1u);
    EXPECT_EQ(c.decisions[i][0].committed, ok);
  }
}

TEST(ReplicaHost, NothingCommitsWithoutAQuorumAndAllCommitsOnceItIsThere) {
  host_cluster c(4, 2);  // validators 0 and 1 only: half the weight
  const std::string p = proof_of("fibonacci", 6);
  c.stores[0]->add(p);
  consensus::batch b;
  b.verdicts = {verdict_of("j", bytes_of(p))};
  c.hosts[0]->submit(b);
  std::this_thread::sleep_for(1s);
  {
    std::lock_guard lock(c.mutex);
    EXPECT_TRUE(c.decisions[0].empty());
  }
  c.start(2);  // a quorum (3 of 4): the request is sent again and commits
  ASSERT_TRUE(c.wait_decided(1));
  std::lock_guard lock(c.mutex);
  EXPECT_EQ(c.decisions[2][0].committed, b);
}

TEST(ReplicaHost, ARestartedValidatorRejoinsFromItsStateFile) {
  const fs::path dir = fs::path(testing::TempDir()) / ("ciro_replica_state_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  host_cluster c(4, 0);
  const auto start_persisted = [&](std::size_t i) { c.start(i, dir / ("replica" + std::to_string(i) + ".state")); };
  for (std::size_t i = 0; i < 4; ++i) start_persisted(i);
  const std::string p = proof_of("fibonacci", 6);
  c.stores[0]->add(p);
  consensus::batch b1;
  b1.verdicts = {verdict_of("first", bytes_of(p))};
  c.hosts[0]->submit(b1);
  ASSERT_TRUE(c.wait_decided(1));
  // Validator 3 stops; its state file holds what it executed. It comes back with it.
  c.hosts[3].reset();
  ASSERT_TRUE(fs::exists(dir / "replica3.state"));
  start_persisted(3);
  consensus::batch b2;
  b2.verdicts = {verdict_of("second", bytes_of(p))};
  c.hosts[0]->submit(b2);
  ASSERT_TRUE(c.wait_decided(2));
  {
    std::lock_guard lock(c.mutex);
    EXPECT_EQ(c.decisions[3].back().committed.verdicts, b2.verdicts);
    EXPECT_EQ(c.decisions[3].back().sequence, 2u);  // not sequence 1 again: it resumed
  }
  // A state file that is not one does not start.
  c.hosts[2].reset();
  std::ofstream(dir / "replica2.state", std::ios::trunc) << "garbage";
  replica_host_config cfg;
  cfg.validators = c.set;
  cfg.key = c.keys[2];
  cfg.addresses = c.addresses;
  cfg.state_file = dir / "replica2.state";
  auto refused = replica_host::start(cfg, std::make_shared<proof_verdicts>(), {});
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("does not restore"), std::string::npos) << refused.error().message;
  c.hosts.clear();
  fs::remove_all(dir);
}

TEST(ReplicaHost, APrimaryVotingValidOnABadProofIsSlashedAlikeOnEveryLedger) {
  // Validator 0, the primary of view 0, is Byzantine: played here by hand over the transport.
  const auto keys = test_keys(4);
  const auto set = set_of(keys);
  const auto addresses = loopback_addresses(4);
  std::string bad = proof_of("fibonacci", 6);
  bad[bad.size() / 2] ^= 1;
  consensus::verdict lie = verdict_of("lie", bytes_of(bad));
  ASSERT_FALSE(lie.valid);
  lie.valid = true;
  consensus::batch b;
  b.time_s = 1;
  b.verdicts = {lie};
  // Validators 1 to 3 are honest; each applies every committed batch to its own ledger as the
  // node does (apply_committed).
  struct honest {
    std::shared_ptr<proof_verdicts> store = std::make_shared<proof_verdicts>();
    std::optional<consensus::ledger> ledger;
    std::size_t decided = 0, slashes = 0;
    std::unique_ptr<replica_host> host;
  };
  std::mutex mutex;
  std::vector<honest> validators(4);
  for (std::size_t i = 1; i < 4; ++i) {
    validators[i].ledger.emplace(set);
    replica_host_config c;
    c.validators = set;
    c.key = keys[i];
    c.addresses = addresses;
    c.tick = 20ms;
    replica_host::callbacks on;
    on.on_decision = [&, i](const consensus::quorum_certificate& cert) {
      std::lock_guard lock(mutex);
      validators[i].slashes += apply_committed(*validators[i].ledger, cert, set, *validators[i].store).size();
      ++validators[i].decided;
    };
    auto h = replica_host::start(c, validators[i].store, on);
    ASSERT_TRUE(h.has_value()) << h.error().message;
    validators[i].host = std::move(h.value());
  }
  std::vector<std::string> others(addresses.begin() + 1, addresses.end());
  auto byzantine = net::peer_network::start({addresses[0], others}, [](std::vector<std::string>) {});
  ASSERT_TRUE(byzantine.has_value());
  validator_request request;
  request.verdicts = b;
  request.proofs = {bad};
  byzantine.value()->broadcast(encode_frame(request));
  consensus::message pp;
  pp.kind = consensus::message_kind::pre_prepare;
  pp.view = 0;
  pp.sequence = 1;
  pp.sender = 0;
  pp.payload = b;
  pp.value = consensus::batch_digest(b);
  consensus::sign_message(pp, keys[0]);
  byzantine.value()->broadcast(encode_frame(pp));
  // The backups refuse it, find the evidence, change view away from validator 0 and commit the
  // evidence in a batch; every ledger slashes validator 0 once (50 %), and the ledgers agree.
  const auto until = std::chrono::steady_clock::now() + 60s;
  const auto settled = [&] {
    std::lock_guard lock(mutex);
    for (std::size_t i = 1; i < 4; ++i) {
      if (validators[i].slashes == 0 || validators[i].decided != validators[1].decided) return false;
    }
    return true;
  };
  while (!settled() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(500ms);  // the other copies of the evidence batch (repeats are skipped)
  ASSERT_TRUE(settled()) << "the evidence was not committed";
  std::lock_guard lock(mutex);
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(validators[i].slashes, 1u) << "validator " << i;
    EXPECT_EQ(validators[i].ledger->stake(0), 500u) << "validator " << i;
    EXPECT_EQ(validators[i].ledger->stake(i), 1000u) << "an honest validator was slashed";
    EXPECT_EQ(validators[i].ledger->state_digest(), validators[1].ledger->state_digest()) << "validator " << i;
    EXPECT_GE(validators[i].host->stats().view, 1u);
  }
  EXPECT_GE(validators[1].host->stats().evidence + validators[2].host->stats().evidence + validators[3].host->stats().evidence, 1u);
}

TEST(ReplicaHost, AKeyOutsideTheSetOrAddressesNotOnePerValidatorAreRefused) {
  const auto keys = test_keys(5);
  const auto set = set_of({keys[0], keys[1], keys[2], keys[3]});
  replica_host_config c;
  c.validators = set;
  c.key = keys[4];
  c.addresses = loopback_addresses(4);
  auto outsider = replica_host::start(c, std::make_shared<proof_verdicts>(), {});
  ASSERT_FALSE(outsider.has_value());
  EXPECT_NE(outsider.error().message.find("not in the validator set"), std::string::npos);
  c.key = keys[0];
  c.addresses.pop_back();
  auto short_list = replica_host::start(c, std::make_shared<proof_verdicts>(), {});
  ASSERT_FALSE(short_list.has_value());
  EXPECT_NE(short_list.error().message.find("4 validators but 3 addresses"), std::string::npos) << short_list.error().message;
}

/// A node with validators on its own spool, running until stopped.
struct validator_node {
  validator_node(const std::string& name, validator_config v) {
    dir = fs::path(testing::TempDir()) / ("ciro_validator_node_" + name + "_" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "in");
    std::ofstream(dir / "throughput.json") << throughput_model().to_json().dump();
    config.spool = dir;
    config.poll = 20ms;
    config.workers = 1;
    config.validator = std::move(v);
    thread = std::thread([this] { summary.emplace(run_node(config, stop)); });
  }
  ~validator_node() {
    stop = true;
    thread.join();
    fs::remove_all(dir);
  }
  void submit(const std::string& id) {
    std::ofstream(dir / "in" / ("." + id + ".tmp")) << R"({"id": ")" << id << R"(", "air": "fibonacci", "log_rows": 6})";
    fs::rename(dir / "in" / ("." + id + ".tmp"), dir / "in" / (id + ".json"));
  }
  /// out/ID.json once it exists (up to `limit`), else null.
  nlohmann::json result(const std::string& id, std::chrono::milliseconds limit = 60s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!fs::exists(dir / "out" / (id + ".json")) && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
    std::ifstream f(dir / "out" / (id + ".json"));
    return f ? nlohmann::json::parse(f, nullptr, false) : nlohmann::json();
  }
  fs::path dir;
  node_config config;
  std::atomic<bool> stop{false};
  std::optional<ciro::result<node_summary, int>> summary;
  std::thread thread;
};

TEST(ValidatorNode, AResultIsPublishedOnlyOnceItsBatchCommitsWithACertificateThatChecks) {
  const auto keys = test_keys(4);
  const auto set = set_of(keys);
  const auto addresses = loopback_addresses(4);
  const auto config_of = [&](std::size_t i) {
    validator_config v;
    v.validators = set;
    v.key = keys[i];
    v.addresses = addresses;
    v.max_verdicts = 4;
    v.window = 30ms;
    v.tick = 20ms;
    v.drain_timeout = 2s;
    return v;
  };
  std::vector<std::unique_ptr<validator_node>> nodes;
  nodes.push_back(std::make_unique<validator_node>("0", config_of(0)));
  nodes.push_back(std::make_unique<validator_node>("1", config_of(1)));
  // Two of four validators: no quorum, so a proven job's result waits.
  nodes[1]->submit("early");
  EXPECT_TRUE(nodes[1]->result("early", 3s).is_null()) << "published without a quorum";
  nodes.push_back(std::make_unique<validator_node>("2", config_of(2)));
  nodes.push_back(std::make_unique<validator_node>("3", config_of(3)));
  for (int i = 0; i < 6; ++i) nodes[static_cast<std::size_t>(i % 4)]->submit("j" + std::to_string(i));
  std::vector<std::pair<std::size_t, std::string>> jobs = {{1, "early"}};
  for (int i = 0; i < 6; ++i) jobs.emplace_back(i % 4, "j" + std::to_string(i));
  for (const auto& [n, id] : jobs) {
    const auto r = nodes[n]->result(id);
    ASSERT_FALSE(r.is_null()) << id << " has no result on node " << n;
    ASSERT_EQ(r.value("status", ""), "done") << r.dump();
    ASSERT_TRUE(r.contains("certificate")) << r.dump();
    const auto file = consensus::certificate_from_json(r["certificate"].dump());
    ASSERT_TRUE(file.has_value()) << file.error().message;
    EXPECT_EQ(file.value().validator_set, set.digest());
    EXPECT_TRUE(consensus::check_certificate(file.value().certificate, set).has_value());
    // The certificate holds this job's verdict on the proof beside the result.
    std::ifstream pf(nodes[n]->dir / "out" / (id + ".proof"), std::ios::binary);
    const std::string proof{std::istreambuf_iterator<char>(pf), {}};
    bool named = false;
    for (const auto& v : file.value().certificate.committed.verdicts) {
      named = named || (v.job_id == id && v.valid && v.proof_digest == consensus::sha256(bytes_of(proof)));
    }
    EXPECT_TRUE(named) << id;
  }
  // Each node keeps its ledger in its spool, for its next start.
  for (const auto& n : nodes) {
    std::ifstream lf(n->dir / "ledger.state", std::ios::binary);
    const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(lf), {}};
    EXPECT_TRUE(consensus::ledger::restore(bytes, set).has_value()) << n->dir;
  }
  nodes.clear();
}

TEST(ValidatorNode, ALedgerStateThatIsNotOfItsSetIsRefusedAtStart) {
  const auto keys = test_keys(4);
  const fs::path dir = fs::path(testing::TempDir()) / ("ciro_validator_ledger_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "in");
  std::ofstream(dir / "throughput.json") << throughput_model().to_json().dump();
  std::ofstream(dir / "ledger.state") << "not a ledger";
  node_config config;
  config.spool = dir;
  config.workers = 1;
  validator_config v;
  v.validators = set_of(keys);
  v.key = keys[0];
  v.addresses = loopback_addresses(4);
  config.validator = v;
  std::atomic<bool> stop{true};
  const auto summary = run_node(config, stop);
  ASSERT_FALSE(summary.has_value());
  EXPECT_NE(summary.error().message.find("ledger.state"), std::string::npos) << summary.error().message;
  fs::remove_all(dir);
}

TEST(ValidatorNode, AStoppingNodeLeavesUncommittedResultsInWorkToBeProvenAgain) {
  const auto keys = test_keys(4);
  validator_config v;
  v.validators = set_of(keys);
  v.key = keys[0];
  v.addresses = loopback_addresses(4);
  v.drain_timeout = 500ms;
  fs::path dir;
  {
    validator_node alone("alone", v);  // the others never come: nothing commits
    dir = alone.dir;
    alone.submit("held");
    std::this_thread::sleep_for(1500ms);
    EXPECT_FALSE(fs::exists(dir / "out" / "held.json"));
    alone.stop = true;
    alone.thread.join();
    alone.thread = std::thread([] {});
    EXPECT_TRUE(fs::exists(dir / "work" / "held.json")) << "the job is lost";
    EXPECT_FALSE(fs::exists(dir / "work" / "held.attempts")) << "its proof finished: waiting for a quorum is not a crash";
  }
}

}  // namespace
}  // namespace ciro::runtime
