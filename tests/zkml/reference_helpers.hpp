#pragma once

// Helpers shared by the float reference's tests (reference_test.cpp, ops_*_test.cpp): run a built
// model, compare with a direct computation, index tensors the obvious way.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/support/seed.hpp"
#include "tests/zkml/onnx_builder.hpp"
#include "zkml/model.hpp"
#include "zkml/reference.hpp"

namespace ciro::zkml::test::helpers {

/// Serializes the model, parses it back and runs the reference on `inputs` (each also declared as
/// a graph input by the caller).
inline tensor_map run(const model_builder& b, const tensor_map& inputs) {
  auto m = parse_model(b.bytes());
  EXPECT_TRUE(m) << m.error().message;
  if (!m) return {};
  auto y = run_reference(m.value(), inputs);
  EXPECT_TRUE(y) << y.error().message;
  return y ? y.value() : tensor_map{};
}

inline std::string run_error(const model_builder& b, const tensor_map& inputs) {
  auto m = parse_model(b.bytes());
  EXPECT_TRUE(m) << m.error().message;
  auto y = run_reference(m.value(), inputs);
  EXPECT_FALSE(y);
  return y ? "" : y.error().message;
}

inline void expect_close(const tensor& got, const shape_t& shape, const std::vector<double>& want, double tol = 1e-9) {
  ASSERT_EQ(got.shape, shape);
  ASSERT_EQ(got.data.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(got.data[i], want[i], tol * (1 + std::abs(want[i]))) << "at " << i;
  }
}

/// The multi-index of flat index i in `shape` (row-major), the obvious way.
inline shape_t unravel(std::int64_t i, const shape_t& shape) {
  shape_t idx(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    idx[d] = i % shape[d];
    i /= shape[d];
  }
  return idx;
}

/// The element of x (shape aligned right to the output multi-index `idx`, size-1 dimensions repeated).
inline double broadcast_read(const tensor& x, const shape_t& idx) {
  std::int64_t flat = 0;
  const std::size_t off = idx.size() - x.shape.size();
  for (std::size_t d = 0; d < x.shape.size(); ++d) flat = flat * x.shape[d] + (x.shape[d] == 1 ? 0 : idx[off + d]);
  return x.value(static_cast<std::size_t>(flat));
}

inline shape_t random_shape(ciro::test::seeded_rng& rng, std::size_t rank, std::int64_t max_dim = 4) {
  shape_t s(rank);
  for (auto& d : s) d = 1 + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(max_dim)));
  return s;
}

/// The row-major flat index of the multi-index idx in shape.
inline std::int64_t ravel(const shape_t& idx, const shape_t& shape) {
  std::int64_t flat = 0;
  for (std::size_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + idx[d];
  return flat;
}

/// An INT64 tensor.
inline tensor ints(shape_t shape, std::vector<std::int64_t> v, element_type t = element_type::int64) {
  return tensor::integers(std::move(shape), std::move(v), t);
}

/// A 1-D INT64 tensor.
inline tensor list(std::vector<std::int64_t> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return tensor::integers({n}, std::move(v));
}

}  // namespace ciro::zkml::test::helpers
