// The prover on the CUDA backend (`ciro prove --device cuda`) writes byte for byte the proof the
// CPU backend writes, for both example AIRs, several sizes and both profiles. Skips (visibly)
// where no CUDA device is present or CUDA was not built.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "field/extension.hpp"
#include "kernels/backend.hpp"
#include "kernels/cuda/cuda_backend.hpp"
#include "stark/examples.hpp"
#include "stark/params.hpp"
#include "stark/proof.hpp"
#include "stark/prover.hpp"

namespace ciro::stark {
namespace {

/// The proof's bytes on `backend`.
template <class E>
std::vector<std::uint8_t> proof_on(kernels::backend& backend, const std::string& air, unsigned log_rows, unsigned instances,
                                   const stark_params& profile) {
  auto example = make_example<E>(air, log_rows, instances, true);
  EXPECT_TRUE(example.has_value());
  auto pk = setup<E>(example.value().tables, profile, backend, backend.merkle());
  EXPECT_TRUE(pk.has_value());
  auto p = prove<E>(*pk.value(), example.value().witnesses, backend, backend.merkle());
  EXPECT_TRUE(p.has_value());
  return encode(p.value());
}

class CudaProver : public testing::Test {
 protected:
  void SetUp() override {
    auto made = kernels::make_cuda_backend();
    if (!made) {
      const std::string& why = made.error().message;
      GTEST_SKIP() << (why.starts_with("no CUDA device") ? why : "no CUDA device: " + why);
    }
    gpu_ = std::move(made.value());
  }
  std::unique_ptr<kernels::cuda_backend> gpu_;
  std::unique_ptr<kernels::backend> cpu_ = kernels::make_cpu_backend();
};

TEST_F(CudaProver, WritesTheCpuProofByteForByte) {
  struct statement {
    const char* air;
    unsigned log_rows, instances;
  };
  for (const statement& s : {statement{"fibonacci", 10, 1}, statement{"fibonacci", 16, 1}, statement{"fibonacci", 8, 5},
                             statement{"poseidon2", 6, 1}, statement{"poseidon2", 10, 4}}) {
    for (const char* name : {"fast", "secure"}) {
      const auto profile = stark::profile(name);
      ASSERT_TRUE(profile.has_value());
      SCOPED_TRACE(std::string(s.air) + " 2^" + std::to_string(s.log_rows) + " x " + std::to_string(s.instances) + ", " + name);
      if (profile->extension_degree == 5) {
        EXPECT_EQ(proof_on<field::babybear5>(*gpu_, s.air, s.log_rows, s.instances, *profile),
                  proof_on<field::babybear5>(*cpu_, s.air, s.log_rows, s.instances, *profile));
      } else {
        EXPECT_EQ(proof_on<field::babybear4>(*gpu_, s.air, s.log_rows, s.instances, *profile),
                  proof_on<field::babybear4>(*cpu_, s.air, s.log_rows, s.instances, *profile));
      }
    }
  }
}

}  // namespace
}  // namespace ciro::stark
