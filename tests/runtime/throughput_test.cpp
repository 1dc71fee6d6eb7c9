// The throughput model: the line through two calibration points, learning from jobs, its file.

#include "runtime/throughput.hpp"

#include <gtest/gtest.h>

namespace ciro::runtime {
namespace {

TEST(Throughput, SeedsTheLineThroughTwoPointsAndPredictsOnIt) {
  throughput_model m;
  EXPECT_FALSE(m.predict("air:fibonacci:fast", 1024));
  m.seed("air:fibonacci:fast", 1024, 0.02, 8192, 0.09);  // 0.01 s per 1024 rows, 0.01 s overhead
  ASSERT_TRUE(m.predict("air:fibonacci:fast", 1024));
  EXPECT_NEAR(*m.predict("air:fibonacci:fast", 1024), 0.02, 1e-12);
  EXPECT_NEAR(*m.predict("air:fibonacci:fast", 65536), 0.01 + 0.64, 1e-9);
}

TEST(Throughput, LearnsFromFinishedJobs) {
  throughput_model m;
  m.observe("model:m.onnx:fast", 1, 0.5);
  EXPECT_NEAR(*m.predict("model:m.onnx:fast", 1), 0.5, 1e-12);
  m.observe("model:m.onnx:fast", 1, 1.0);  // a quarter of the way towards 1 job/s
  EXPECT_NEAR(1.0 / *m.predict("model:m.onnx:fast", 1), 0.75 * 2.0 + 0.25 * 1.0, 1e-12);
  m.observe("model:m.onnx:fast", 0, 1.0);  // no units: nothing learned
  m.observe("model:m.onnx:fast", 1, -1.0);
  EXPECT_EQ(m.rates().at("model:m.onnx:fast").samples, 2u);
}

TEST(Throughput, KindsAndUnitsOfJobs) {
  job_spec air;
  air.air = "poseidon2";
  air.log_rows = 10;
  air.instances = 3;
  EXPECT_EQ(throughput_model::work_of(air), (std::pair<std::string, double>{"air:poseidon2:fast", 3072.0}));
  job_spec model;
  model.what = job_spec::kind::model;
  model.model = "m.onnx";
  model.profile = "secure";
  EXPECT_EQ(throughput_model::work_of(model), (std::pair<std::string, double>{"model:m.onnx:secure", 1.0}));
}

TEST(Throughput, ItsFileRoundTripsAndBadFilesAreIgnored) {
  throughput_model m;
  m.seed("air:fibonacci:fast", 1024, 0.02, 8192, 0.09);
  const auto back = throughput_model::from_json(m.to_json());
  ASSERT_TRUE(back);
  EXPECT_NEAR(*back->predict("air:fibonacci:fast", 4096), *m.predict("air:fibonacci:fast", 4096), 1e-12);
  EXPECT_FALSE(throughput_model::from_json(nlohmann::json::array()));
  EXPECT_FALSE(throughput_model::from_json({{"k", {{"overhead_s", 0.0}, {"units_per_s", -1.0}, {"samples", 1}}}}));
  EXPECT_FALSE(throughput_model::from_json({{"k", {{"overhead_s", "x"}}}}));
}

}  // namespace
}  // namespace ciro::runtime
