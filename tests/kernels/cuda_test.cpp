// The CUDA backend against the CPU reference: byte-equal output on the same seeded inputs for
// every config. Skips (visibly) where no CUDA device is present or CUDA was not built.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "field/babybear.hpp"
#include "kernels/backend.hpp"
#include "kernels/cuda/cuda_backend.hpp"
#include "tests/support/seed.hpp"

namespace {

using ciro::field::babybear;
using ciro::kernels::cuda_backend;
using ciro::kernels::cuda_error_code;
using ciro::kernels::lde_config;
using ciro::kernels::ntt_config;
using ciro::kernels::row_major_matrix;
using ciro::kernels::row_order;

row_major_matrix<babybear> random_matrix(ciro::test::seeded_rng& rng, std::size_t rows, std::size_t width) {
  row_major_matrix<babybear> m(rows, width);
  for (auto& x : m.values()) x = babybear::from_u64(rng.next());
  return m;
}

/// Equal matrices, or the first differing entry.
testing::AssertionResult same(const row_major_matrix<babybear>& expected, const row_major_matrix<babybear>& actual) {
  if (expected.rows() != actual.rows() || expected.width() != actual.width()) {
    return testing::AssertionFailure() << "shape " << actual.rows() << "x" << actual.width() << ", expected "
                                       << expected.rows() << "x" << expected.width();
  }
  for (std::size_t r = 0; r < expected.rows(); ++r) {
    for (std::size_t c = 0; c < expected.width(); ++c) {
      if (expected.at(r, c) != actual.at(r, c)) {
        return testing::AssertionFailure()
               << "first difference at row " << r << " col " << c << ": cuda " << actual.at(r, c).to_canonical()
               << ", cpu " << expected.at(r, c).to_canonical();
      }
    }
  }
  return testing::AssertionSuccess();
}

const char* order_name(row_order o) { return o == row_order::natural ? "natural" : "bit_reversed"; }

class CudaBackend : public testing::Test {
 protected:
  void SetUp() override {
    auto made = ciro::kernels::make_cuda_backend();
    if (!made) {
      const std::string& why = made.error().message;
      GTEST_SKIP() << (why.starts_with("no CUDA device") ? why : "no CUDA device: " + why);
    }
    gpu_ = std::move(made).value();
    cpu_ = ciro::kernels::make_cpu_backend();
  }

  /// Forward and inverse NTT of a random log_n x width matrix, all four order combinations,
  /// with and without a coset shift, on both backends.
  void check_ntt(ciro::test::seeded_rng& rng, unsigned log_n, std::size_t width) {
    for (const auto input : {row_order::natural, row_order::bit_reversed}) {
      for (const auto output : {row_order::natural, row_order::bit_reversed}) {
        for (const babybear shift : {babybear::one(), babybear::generator()}) {
          const ntt_config config{input, output, shift};
          const auto original = random_matrix(rng, std::size_t{1} << log_n, width);
          auto expected = original, actual = original;
          cpu_->ntt(expected.view(), config);
          gpu_->ntt(actual.view(), config);
          ASSERT_TRUE(same(expected, actual))
              << "ntt log_n=" << log_n << " width=" << width << " in=" << order_name(input)
              << " out=" << order_name(output) << " shift=" << shift.to_canonical();
          expected = original, actual = original;
          cpu_->intt(expected.view(), config);
          gpu_->intt(actual.view(), config);
          ASSERT_TRUE(same(expected, actual))
              << "intt log_n=" << log_n << " width=" << width << " in=" << order_name(input)
              << " out=" << order_name(output) << " shift=" << shift.to_canonical();
        }
      }
    }
  }

  void check_lde(ciro::test::seeded_rng& rng, unsigned log_n, unsigned log_blowup, std::size_t width) {
    for (const auto output : {row_order::natural, row_order::bit_reversed}) {
      for (const babybear shift : {babybear::generator(), babybear::one(), babybear::from_canonical(7)}) {
        const lde_config config{.log_blowup = log_blowup, .shift = shift, .output = output};
        const auto in = random_matrix(rng, std::size_t{1} << log_n, width);
        row_major_matrix<babybear> expected((std::size_t{1} << log_n) << log_blowup, width), actual = expected;
        cpu_->lde(in.view(), expected.view(), config);
        gpu_->lde(in.view(), actual.view(), config);
        ASSERT_TRUE(same(expected, actual)) << "lde log_n=" << log_n << " blowup=" << log_blowup << " width=" << width
                                            << " out=" << order_name(output) << " shift=" << shift.to_canonical();
      }
    }
  }

  std::unique_ptr<cuda_backend> gpu_;
  std::unique_ptr<ciro::kernels::backend> cpu_;
};

TEST(CudaAvailability, ReportsWhyNoBackendCanBeMade) {
  auto made = ciro::kernels::make_cuda_backend();
  EXPECT_EQ(made.has_value(), ciro::kernels::cuda_device_available());
  if (made) {
    EXPECT_STREQ(made.value()->name(), "cuda:0");
    EXPECT_FALSE(ciro::kernels::cuda_device_name().starts_with("no CUDA device"));
    auto bad = ciro::kernels::make_cuda_backend(1 << 20);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, cuda_error_code::invalid_device) << bad.error().message;
  } else {
    const auto code = made.error().code;
    EXPECT_TRUE(code == cuda_error_code::no_device || code == cuda_error_code::built_without_cuda)
        << made.error().message;
    EXPECT_FALSE(made.error().message.empty());
    const std::string name = ciro::kernels::cuda_device_name();
    EXPECT_TRUE(name.starts_with("no CUDA device") || name == "built without CUDA") << name;
  }
}

TEST_F(CudaBackend, NttMatchesTheCpuForAllSizesUpTo4096AndWidths1To17) {
  ciro::test::seeded_rng rng;
  for (unsigned log_n = 0; log_n <= 12; ++log_n) {
    for (std::size_t width = 1; width <= 17; ++width) check_ntt(rng, log_n, width);
  }
}

TEST_F(CudaBackend, NttMatchesTheCpuForMultiPassSizesUpTo2To16) {
  // 2^13 is the largest single shared-memory pass; beyond it the passes split.
  ciro::test::seeded_rng rng;
  for (unsigned log_n = 13; log_n <= 16; ++log_n) {
    for (std::size_t width : {1u, 2u, 3u, 5u, 8u, 16u, 17u}) check_ntt(rng, log_n, width);
  }
}

TEST_F(CudaBackend, NttMatchesTheCpuForWideMatrices) {
  ciro::test::seeded_rng rng;
  check_ntt(rng, 4, 256);
  check_ntt(rng, 10, 256);
  check_ntt(rng, 14, 64);
  check_ntt(rng, 16, 33);
}

TEST_F(CudaBackend, NttMatchesTheCpuAt2To20) {
  ciro::test::seeded_rng rng;
  check_ntt(rng, 20, 1);
  check_ntt(rng, 20, 4);
}

TEST_F(CudaBackend, LdeMatchesTheCpuForAllBlowupsAndOrders) {
  ciro::test::seeded_rng rng;
  for (unsigned log_n = 0; log_n <= 14; ++log_n) {
    for (unsigned log_blowup = 0; log_blowup <= 3; ++log_blowup) {
      for (std::size_t width : {1u, 3u, 8u, 17u}) check_lde(rng, log_n, log_blowup, width);
    }
  }
}

TEST_F(CudaBackend, LdeMatchesTheCpuForLargeAndWideInputs) {
  ciro::test::seeded_rng rng;
  check_lde(rng, 16, 1, 64);
  check_lde(rng, 12, 4, 40);
  check_lde(rng, 20, 1, 1);
  check_lde(rng, 18, 2, 5);
}

TEST_F(CudaBackend, TryVariantsSucceedRecordTimingsAndWorkOnPinnedMemory) {
  ciro::test::seeded_rng rng;
  auto m = random_matrix(rng, 1 << 12, 8);
  const auto original = m;
  ASSERT_TRUE(gpu_->try_ntt(m.view(), {}));
  const auto t = gpu_->last_timings();
  EXPECT_GT(t.total_ms, 0);
  EXPECT_GE(t.total_ms, t.h2d_ms + t.kernels_ms + t.d2h_ms - 0.01);
  ASSERT_TRUE(gpu_->try_intt(m.view(), {}));
  EXPECT_TRUE(same(original, m));
  gpu_->release_workspace();
  row_major_matrix<babybear> out(1 << 13, 8), expected(1 << 13, 8);
  ASSERT_TRUE(gpu_->pin(out.values().data(), out.values().size_bytes()));
  ASSERT_TRUE(gpu_->try_lde(original.view(), out.view(), {}));
  ASSERT_TRUE(gpu_->unpin(out.values().data()));
  cpu_->lde(original.view(), expected.view(), {});
  EXPECT_TRUE(same(expected, out));
}

}  // namespace
