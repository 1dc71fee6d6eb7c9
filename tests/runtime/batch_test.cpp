// Batches of jobs proven as one proof: the batch's text, which jobs may share one, and a batch's
// proof checked job by job (each job's statement in the batch's proof alone), with the negative
// cases: another place in the batch, more instances than the job has, a tampered proof.

#include "runtime/batch.hpp"

#include <gtest/gtest.h>

#include "runtime/job_runner.hpp"
#include "stark/examples.hpp"
#include "stark/proof_check.hpp"
#include "field/extension.hpp"

namespace ciro::runtime {
namespace {

std::string air_job(const std::string& id, const std::string& air, unsigned log_rows, unsigned instances,
                    const std::string& profile = "fast") {
  return R"({"id": ")" + id + R"(", "air": ")" + air + R"(", "log_rows": )" + std::to_string(log_rows) +
         R"(, "instances": )" + std::to_string(instances) + R"(, "profile": ")" + profile + R"("})";
}

job_batch batch_of(const std::string& id, const std::vector<std::string>& texts) {
  job_batch b;
  b.id = id;
  b.texts = texts;
  for (const auto& t : texts) b.jobs.push_back(parse_job(t).value());
  return b;
}

TEST(Batch, TextRoundTripsAndOnlyJobsOfOneKeyShareABatch) {
  const job_batch b = batch_of("batch-a-1", {air_job("a", "fibonacci", 6, 1), air_job("b", "fibonacci", 6, 3)});
  const auto back = parse_batch(batch_text(b));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, "batch-a-1");
  EXPECT_EQ(back->texts, b.texts);
  ASSERT_EQ(back->jobs.size(), 2u);
  EXPECT_EQ(back->jobs[1].instances, 3u);
  EXPECT_EQ(first_instances(*back), (std::vector<unsigned>{0, 1, 4}));

  EXPECT_TRUE(batchable(parse_job(air_job("p", "poseidon2", 4, 1)).value()));
  EXPECT_FALSE(batchable(parse_job(air_job("r", "range-check", 8, 1)).value()));
  EXPECT_FALSE(batchable(parse_job(R"({"id": "m", "model": "m.onnx", "input": "x.json"})").value()));
  EXPECT_NE(batch_key(parse_job(air_job("a", "fibonacci", 6, 1)).value()), batch_key(parse_job(air_job("b", "fibonacci", 7, 1)).value()));
  EXPECT_NE(batch_key(parse_job(air_job("a", "fibonacci", 6, 1)).value()),
            batch_key(parse_job(air_job("b", "fibonacci", 6, 1, "secure")).value()));

  const nlohmann::json mixed = {{"batch", "x"}, {"jobs", {air_job("a", "fibonacci", 6, 1), air_job("b", "fibonacci", 7, 1)}}};
  const nlohmann::json unbatchable = {{"batch", "x"}, {"jobs", {air_job("a", "range-check", 8, 1)}}};
  const nlohmann::json extra = {{"batch", "x"}, {"jobs", {air_job("a", "fibonacci", 6, 1)}}, {"more", 1}};
  const nlohmann::json empty = {{"batch", "x"}, {"jobs", nlohmann::json::array()}};
  const nlohmann::json broken = {{"batch", "x"}, {"jobs", {R"({"id": "a"})"}}};
  for (const std::string& text : {air_job("a", "fibonacci", 6, 1), mixed.dump(), unbatchable.dump(), extra.dump(), empty.dump(),
                                  broken.dump(), std::string("not json"), std::string("[]")}) {
    EXPECT_FALSE(parse_batch(text)) << text;
  }
}

/// Proves `b` and checks every job of it in the batch's proof, and what must not check.
void prove_and_check_each_job(const job_batch& b) {
  compile_cache compiled;
  std::vector<std::uint8_t> proof;
  const batch_outcome out = run_batch(b, prices{1.0}, compiled, proof);
  ASSERT_TRUE(out.whole.ok) << out.whole.reason;
  ASSERT_EQ(out.jobs.size(), b.jobs.size());
  const std::vector<unsigned> first = first_instances(b);
  double cpu_shares = 0;
  for (std::size_t k = 0; k < b.jobs.size(); ++k) {
    const job_spec& job = b.jobs[k];
    const job_result& r = out.jobs[k];
    ASSERT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.id, job.id);
    EXPECT_EQ(r.details["batch"]["id"], b.id);
    EXPECT_EQ(r.details["batch"]["index"], k);
    EXPECT_EQ(r.details["batch"]["first_instance"], first[k]);
    EXPECT_EQ(r.details["batch"]["instances"], first.back());
    EXPECT_EQ(r.details["instances"], job.instances);
    EXPECT_EQ(r.cost.wall_s, out.whole.cost.wall_s);
    cpu_shares += r.cost.cpu_s;
    const stark::expected_statement mine{job.air, job.log_rows, job.instances, first[k]};
    const auto c = stark::check_proof_file(proof, 100, std::nullopt, mine);
    EXPECT_EQ(c.outcome, stark::proof_check::valid) << job.id << ": " << c.message;
    // The public values are those of the job proven alone.
    auto alone = stark::make_example<field::babybear4>(job.air, job.log_rows, job.instances, true).value();
    std::vector<field::babybear> publics;
    for (const auto& w : alone.witnesses) publics.insert(publics.end(), w.public_values.begin(), w.public_values.end());
    EXPECT_EQ(stark::check_proof_file(proof, 100, publics, mine).outcome, stark::proof_check::valid) << job.id;
    publics[0] += field::babybear::one();
    EXPECT_EQ(stark::check_proof_file(proof, 100, publics, mine).outcome, stark::proof_check::invalid) << job.id;
    // One instance more than the job has reaches into the next job's (or past the batch).
    const auto more = stark::check_proof_file(proof, 100, std::nullopt,
                                              stark::expected_statement{job.air, job.log_rows, job.instances + 1, first[k]});
    EXPECT_EQ(more.outcome, stark::proof_check::invalid) << job.id << ": " << more.message;
    // Another height is another statement.
    const auto taller = stark::check_proof_file(proof, 100, std::nullopt,
                                                stark::expected_statement{job.air, job.log_rows + 1, job.instances, first[k]});
    EXPECT_EQ(taller.outcome, stark::proof_check::invalid) << job.id << ": " << taller.message;
  }
  EXPECT_NEAR(cpu_shares, out.whole.cost.cpu_s, 1e-9);
  // A job one place off: its first instance is another job's (fibonacci starts differ).
  const job_spec& last = b.jobs.back();
  const auto off = stark::check_proof_file(proof, 100, std::nullopt,
                                           stark::expected_statement{last.air, last.log_rows, last.instances, first[b.jobs.size() - 1] - 1});
  EXPECT_EQ(off.outcome, stark::proof_check::invalid) << off.message;
  // A tampered byte anywhere in the proof body.
  for (const std::size_t at : {proof.size() / 3, proof.size() / 2, proof.size() - 5}) {
    auto bad = proof;
    bad[at] ^= 0x10;
    const auto c = stark::check_proof_file(bad, 100, std::nullopt, stark::expected_statement{b.jobs[0].air, b.jobs[0].log_rows, b.jobs[0].instances, 0u});
    EXPECT_EQ(c.outcome, stark::proof_check::invalid) << "byte " << at << ": " << c.message;
  }
}

TEST(Batch, EachJobOfAFibonacciBatchChecksInTheBatchProofAlone) {
  prove_and_check_each_job(batch_of("batch-f-1", {air_job("f0", "fibonacci", 6, 1), air_job("f1", "fibonacci", 6, 3),
                                                  air_job("f2", "fibonacci", 6, 2), air_job("f3", "fibonacci", 6, 2)}));
}

TEST(Batch, EachJobOfAPoseidon2BatchChecksInTheBatchProofAlone) {
  prove_and_check_each_job(batch_of("batch-p-1", {air_job("p0", "poseidon2", 4, 2), air_job("p1", "poseidon2", 4, 1),
                                                  air_job("p2", "poseidon2", 4, 2)}));
}

TEST(Batch, AStatementThatCannotBeBatchedIsAUsageErrorNotAVerdict) {
  compile_cache compiled;
  std::vector<std::uint8_t> proof;
  const auto out = run_batch(batch_of("batch-f-2", {air_job("a", "fibonacci", 5, 1), air_job("b", "fibonacci", 5, 1)}), prices{},
                             compiled, proof);
  ASSERT_TRUE(out.whole.ok) << out.whole.reason;
  const auto c = stark::check_proof_file(proof, 100, std::nullopt, stark::expected_statement{"range-check", 5, 1, 0u});
  EXPECT_EQ(c.outcome, stark::proof_check::usage) << c.message;
}

}  // namespace
}  // namespace ciro::runtime
