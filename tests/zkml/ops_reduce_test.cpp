// The float reference's operators along axes (zkml/ops_reduce.cpp: ReduceSum, ReduceMean,
// ReduceMax, LogSoftmax, ArgMax) against direct implementations on seeded random inputs and shapes.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "tests/support/seed.hpp"
#include "tests/zkml/onnx_builder.hpp"
#include "tests/zkml/reference_helpers.hpp"

namespace {

using namespace ciro::zkml;
using namespace ciro::zkml::test::helpers;
using ciro::zkml::test::model_builder;
using ciro::zkml::test::random_tensor;
using ciro::zkml::test::set_int;
using ciro::zkml::test::set_ints;

/// The direct reduction: every input element added to the output element whose index is its index
/// with the reduced coordinates set to 0 (kept as 1) or removed.
std::pair<shape_t, std::vector<double>> direct_reduce(const tensor& x, const std::vector<bool>& reduced, bool keepdims,
                                                      bool mean) {
  shape_t kept;
  for (std::size_t d = 0; d < x.shape.size(); ++d) kept.push_back(reduced[d] ? 1 : x.shape[d]);
  std::vector<double> sum(static_cast<std::size_t>(num_elements(kept)), 0.0), count(sum.size(), 0.0);
  for (std::int64_t i = 0; i < num_elements(x.shape); ++i) {
    shape_t idx = unravel(i, x.shape);
    for (std::size_t d = 0; d < idx.size(); ++d) {
      if (reduced[d]) idx[d] = 0;
    }
    const auto o = static_cast<std::size_t>(ravel(idx, kept));
    sum[o] += x.data[static_cast<std::size_t>(i)];
    count[o] += 1;
  }
  if (mean) {
    for (std::size_t o = 0; o < sum.size(); ++o) sum[o] /= count[o];
  }
  shape_t out;
  for (std::size_t d = 0; d < x.shape.size(); ++d) {
    if (!reduced[d] || keepdims) out.push_back(kept[d]);
  }
  return {out, sum};
}

TEST(ReferenceReduce, ReduceSumAndMeanOverRandomAxes) {
  ciro::test::seeded_rng rng;
  for (const char* op : {"ReduceSum", "ReduceMean"}) {
    for (std::int64_t opset : {11, 13}) {
      for (int trial = 0; trial < 25; ++trial) {
        const std::size_t r = rng.below(5);
        const shape_t s = random_shape(rng, r);
        const tensor x = random_tensor(rng.engine(), s);
        std::vector<std::int64_t> axes;
        std::vector<bool> reduced(r, false);
        for (std::size_t d = 0; d < r; ++d) {
          if (rng.below(2)) {
            axes.push_back(rng.below(2) ? static_cast<std::int64_t>(d)
                                        : static_cast<std::int64_t>(d) - static_cast<std::int64_t>(r));
            reduced[d] = true;
          }
        }
        std::shuffle(axes.begin(), axes.end(), rng.engine());
        if (axes.empty()) reduced.assign(r, true);        // no axes: all of them
        const int keep = static_cast<int>(rng.below(3));  // 2: attribute left at its default (1)
        model_builder m(opset);
        m.input("x", s).output("y");
        const bool as_input = opset >= 13 && std::string(op) == "ReduceSum";
        if (as_input && !axes.empty()) m.initializer("axes", list(axes));
        auto& n = m.node(
            op, as_input && !axes.empty() ? std::vector<std::string>{"x", "axes"} : std::vector<std::string>{"x"},
            {"y"});
        if (!as_input && !axes.empty()) set_ints(n, "axes", axes);
        if (keep < 2) set_int(n, "keepdims", keep);
        const auto [shape, want] = direct_reduce(x, reduced, keep != 0, op[6] == 'M');
        SCOPED_TRACE(std::string(op) + " opset " + std::to_string(opset) + " x " + shape_string(s));
        expect_close(run(m, {{"x", x}}).at("y"), shape, want);
      }
    }
  }
}

TEST(ReferenceReduce, ReduceMaxTakesTheLargestOverRandomAxes) {
  ciro::test::seeded_rng rng;
  for (int trial = 0; trial < 40; ++trial) {
    const std::size_t r = rng.below(5);
    const shape_t s = random_shape(rng, r);
    const tensor x = random_tensor(rng.engine(), s);
    std::vector<std::int64_t> axes;
    std::vector<bool> reduced(r, false);
    for (std::size_t d = 0; d < r; ++d) {
      if (rng.below(2)) axes.push_back(static_cast<std::int64_t>(d)), reduced[d] = true;
    }
    if (axes.empty()) reduced.assign(r, true);  // no axes: all of them
    const bool keep = rng.below(2) != 0;
    model_builder m(13);
    m.input("x", s).output("y");
    auto& n = m.node("ReduceMax", {"x"}, {"y"});
    if (!axes.empty()) set_ints(n, "axes", axes);
    set_int(n, "keepdims", keep);
    // Direct: every element against the output element at its index with reduced coordinates 0.
    shape_t kept, out;
    for (std::size_t d = 0; d < r; ++d) {
      kept.push_back(reduced[d] ? 1 : s[d]);
      if (!reduced[d] || keep) out.push_back(kept[d]);
    }
    std::vector<double> want(static_cast<std::size_t>(num_elements(kept)), -INFINITY);
    for (std::int64_t i = 0; i < num_elements(s); ++i) {
      shape_t idx = unravel(i, s);
      for (std::size_t d = 0; d < r; ++d) {
        if (reduced[d]) idx[d] = 0;
      }
      double& w = want[static_cast<std::size_t>(ravel(idx, kept))];
      w = std::max(w, x.data[static_cast<std::size_t>(i)]);
    }
    SCOPED_TRACE("x " + shape_string(s));
    expect_close(run(m, {{"x", x}}).at("y"), out, want);
  }
  // INT8 from opset 12; none before.
  for (std::int64_t opset : {11, 12}) {
    model_builder m(opset);
    m.input("x", {2, 3}, element_type::int8).output("y", element_type::int8);
    set_ints(m.node("ReduceMax", {"x"}, {"y"}), "axes", {1});
    const tensor x = ints({2, 3}, {-128, -5, -7, 3, 127, 0}, element_type::int8);
    if (opset == 11) {
      EXPECT_EQ(run_error(m, {{"x", x}}), "node 'y' (ReduceMax, opset 11): element type INT8 is not supported");
    } else {
      const tensor y = run(m, {{"x", x}}).at("y");
      EXPECT_EQ(y.shape, (shape_t{2, 1}));
      EXPECT_EQ(y.ints, (std::vector<std::int64_t>{-5, 127}));
    }
  }
  model_builder empty(13);
  empty.input("x", {2, 0}).output("y");
  set_ints(empty.node("ReduceMax", {"x"}, {"y"}), "axes", {1});
  EXPECT_EQ(run_error(empty, {{"x", tensor::zeros({2, 0}, element_type::float32)}}),
            "node 'y' (ReduceMax, opset 13): ReduceMax over no elements");
}

TEST(ReferenceReduce, ReduceSumEmptyAxesIsTheIdentityWithNoop) {
  ciro::test::seeded_rng rng;
  const tensor x = random_tensor(rng.engine(), {2, 3});
  for (int noop : {0, 1}) {
    model_builder m(13);
    m.input("x", {2, 3}).output("y").initializer("axes", tensor::integers({0}, {}));
    set_int(m.node("ReduceSum", {"x", "axes"}, {"y"}), "noop_with_empty_axes", noop);
    const tensor y = run(m, {{"x", x}}).at("y");
    if (noop) {
      expect_close(y, {2, 3}, x.data);
    } else {
      double s = 0;
      for (double v : x.data) s += v;
      expect_close(y, {1, 1}, {s});
    }
  }
  model_builder ints32(13);
  ints32.input("x", {2, 2}, element_type::int32).output("y", element_type::int32).initializer("axes", list({1}));
  set_int(ints32.node("ReduceSum", {"x", "axes"}, {"y"}), "keepdims", 0);
  EXPECT_EQ(run(ints32, {{"x", ints({2, 2}, {2147483647, 1, -3, 5}, element_type::int32)}}).at("y").ints,
            (std::vector<std::int64_t>{-2147483648, 2}));
  model_builder dup(11);
  dup.input("x", {2, 3}).output("y");
  set_ints(dup.node("ReduceMean", {"x"}, {"y"}), "axes", {1, -1});
  EXPECT_EQ(run_error(dup, {{"x", x}}), "node 'y' (ReduceMean, opset 11): axis -1 is repeated");
}

TEST(ReferenceReduce, LogSoftmaxIsTheLogOfSoftmax) {
  ciro::test::seeded_rng rng;
  const shape_t s = {2, 3, 4};
  const tensor x = random_tensor(rng.engine(), s, -20, 20);
  for (std::int64_t opset : {11, 13}) {
    for (std::int64_t axis = -3; axis < 3; ++axis) {
      model_builder m(opset);
      m.input("x", s).output("y");
      set_int(m.node("LogSoftmax", {"x"}, {"y"}), "axis", axis);
      // Before 13 the softmax runs over all dimensions from axis on; from 13 over axis alone.
      const auto a = static_cast<std::size_t>(axis < 0 ? axis + 3 : axis);
      std::vector<double> want(x.data.size());
      for (std::size_t i = 0; i < want.size(); ++i) {
        const shape_t idx = unravel(static_cast<std::int64_t>(i), s);
        double sum = 0;
        for (std::size_t j = 0; j < want.size(); ++j) {
          const shape_t jdx = unravel(static_cast<std::int64_t>(j), s);
          bool same = true;
          for (std::size_t d = 0; d < 3; ++d) {
            const bool free = opset < 13 ? d >= a : d == a;
            if (!free && idx[d] != jdx[d]) same = false;
          }
          if (same) sum += std::exp(x.data[j]);
        }
        want[i] = x.data[i] - std::log(sum);
      }
      expect_close(run(m, {{"x", x}}).at("y"), s, want, 1e-12);
    }
  }
}

TEST(ReferenceReduce, ArgMaxPicksTheFirstOrLastMaximum) {
  ciro::test::seeded_rng rng;
  for (int trial = 0; trial < 40; ++trial) {
    const std::size_t r = 1 + rng.below(4);
    const shape_t s = random_shape(rng, r);
    // Few distinct values, so that ties are common.
    std::vector<double> v(static_cast<std::size_t>(num_elements(s)));
    for (auto& e : v) e = static_cast<double>(rng.below(3));
    const tensor x = tensor::floats(s, v);
    const auto axis = static_cast<std::int64_t>(rng.below(2 * r)) - static_cast<std::int64_t>(r);
    const auto a = static_cast<std::size_t>(axis < 0 ? axis + static_cast<std::int64_t>(r) : axis);
    const bool keep = rng.below(2) != 0, last = rng.below(2) != 0;
    model_builder m(13);
    m.input("x", s).output("y", element_type::int64);
    auto& n = m.node("ArgMax", {"x"}, {"y"});
    set_int(n, "axis", axis);
    set_int(n, "keepdims", keep);
    set_int(n, "select_last_index", last);
    shape_t kept = s;
    kept[a] = 1;
    std::vector<std::int64_t> want(static_cast<std::size_t>(num_elements(kept)));
    for (std::size_t o = 0; o < want.size(); ++o) {
      shape_t idx = unravel(static_cast<std::int64_t>(o), kept);
      std::int64_t best = -1;
      double best_v = -1;
      for (std::int64_t i = 0; i < s[a]; ++i) {
        idx[a] = i;
        const double e = x.data[static_cast<std::size_t>(ravel(idx, s))];
        if (best < 0 || e > best_v || (last && e == best_v)) best = i, best_v = e;
      }
      want[o] = best;
    }
    shape_t out = kept;
    if (!keep) out.erase(out.begin() + static_cast<std::ptrdiff_t>(a));
    const tensor y = run(m, {{"x", x}}).at("y");
    EXPECT_EQ(y.type, element_type::int64);
    EXPECT_EQ(y.shape, out);
    EXPECT_EQ(y.ints, want);
  }
  model_builder neg(10);
  neg.input("x", {2, 2}).output("y", element_type::int64);
  set_int(neg.node("ArgMax", {"x"}, {"y"}), "axis", -1);
  EXPECT_EQ(run_error(neg, {{"x", tensor::zeros({2, 2}, element_type::float32)}}),
            "node 'y' (ArgMax, opset 10): negative axis -1 needs opset 11");
}

}  // namespace
