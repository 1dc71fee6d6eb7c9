// The float reference's elementwise operators (zkml/ops_elementwise.cpp) against direct
// implementations on seeded random inputs and shapes.

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

/// A shape that broadcasts to `out`: some dimensions dropped to 1, some leading ones removed.
shape_t broadcastable(ciro::test::seeded_rng& rng, const shape_t& out) {
  shape_t s = out;
  for (auto& d : s) d = rng.below(3) == 0 ? 1 : d;
  s.erase(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(rng.below(s.size() + 1)));
  return s;
}

TEST(ReferenceElementwise, SumMaxMinTakeAnyNumberOfBroadcastInputs) {
  ciro::test::seeded_rng rng;
  for (const char* op : {"Sum", "Max", "Min"}) {
    for (int trial = 0; trial < 15; ++trial) {
      const shape_t out = random_shape(rng, rng.below(4));
      const std::size_t count = 1 + rng.below(3);
      model_builder m(trial % 2 ? 9 : 13);
      std::vector<std::string> names;
      tensor_map in;
      shape_t full;
      for (std::size_t i = 0; i < count; ++i) {
        const shape_t s = broadcastable(rng, out);
        names.emplace_back(i == 0 ? "x0" : i == 1 ? "x1" : "x2");  // at most 3 inputs
        in[names.back()] = random_tensor(rng.engine(), s);
        m.input(names.back(), s);
        full = i == 0 ? s : *broadcast_shapes(full, s);
      }
      m.output("y").node(op, names, {"y"});
      std::vector<double> want(static_cast<std::size_t>(num_elements(full)));
      for (std::size_t o = 0; o < want.size(); ++o) {
        const shape_t idx = unravel(static_cast<std::int64_t>(o), full);
        double acc = broadcast_read(in.at("x0"), idx);
        for (std::size_t i = 1; i < count; ++i) {
          const double v = broadcast_read(in.at(names[i]), idx);
          acc = op[1] == 'u' ? acc + v : op[1] == 'a' ? std::max(acc, v) : std::min(acc, v);
        }
        want[o] = acc;
      }
      expect_close(run(m, in).at("y"), full, want);
    }
  }
}

TEST(ReferenceElementwise, IntegerMaxMinNeedOpset12) {
  const tensor a = ints({3}, {-5, 7, 100}, element_type::int32), b = ints({1}, {6}, element_type::int32);
  for (std::int64_t opset : {11, 12}) {
    model_builder m(opset);
    m.input("a", {3}, element_type::int32).input("b", {1}, element_type::int32).output("y", element_type::int32);
    m.node("Max", {"a", "b"}, {"y"});
    if (opset == 11) {
      EXPECT_EQ(run_error(m, {{"a", a}, {"b", b}}), "node 'y' (Max, opset 11): element type INT32 is not supported");
    } else {
      EXPECT_EQ(run(m, {{"a", a}, {"b", b}}).at("y").ints, (std::vector<std::int64_t>{6, 7, 100}));
    }
  }
  model_builder s;
  s.input("a", {3}, element_type::int32).output("y", element_type::int32).node("Sum", {"a"}, {"y"});
  EXPECT_EQ(run_error(s, {{"a", a}}), "node 'y' (Sum, opset 13): element type INT32 is not supported");
}

TEST(ReferenceElementwise, NegNegatesAndWrapsIntegers) {
  ciro::test::seeded_rng rng;
  const tensor x = random_tensor(rng.engine(), {2, 3});
  model_builder m;
  m.input("x", {2, 3}).output("y").node("Neg", {"x"}, {"y"});
  std::vector<double> want;
  for (double v : x.data) want.push_back(-v);
  expect_close(run(m, {{"x", x}}).at("y"), {2, 3}, want);
  model_builder i8;
  i8.input("x", {3}, element_type::int8).output("y", element_type::int8).node("Neg", {"x"}, {"y"});
  EXPECT_EQ(run(i8, {{"x", ints({3}, {-128, 5, 0}, element_type::int8)}}).at("y").ints,
            (std::vector<std::int64_t>{-128, -5, 0}));
}

TEST(ReferenceElementwise, ActivationsMatchTheirFormulasAndDefaults) {
  ciro::test::seeded_rng rng;
  const shape_t s = {4, 5};
  const tensor x = random_tensor(rng.engine(), s, -6, 6);
  struct activation {
    const char* op;
    double alpha, beta;  // NaN: attribute left at its default
    double (*f)(double, double, double);
  };
  const double none = std::nan("");
  const std::vector<activation> cases{
      {"LeakyRelu", none, none, [](double v, double, double) { return v < 0 ? 0.01 * v : v; }},
      {"LeakyRelu", 0.3, none, [](double v, double a, double) { return v < 0 ? a * v : v; }},
      {"HardSigmoid", none, none, [](double v, double, double) { return std::clamp(0.2 * v + 0.5, 0.0, 1.0); }},
      {"HardSigmoid", 0.7, -0.1, [](double v, double a, double b) { return std::clamp(a * v + b, 0.0, 1.0); }},
      {"HardSwish", none, none, [](double v, double, double) { return v * std::clamp(v / 6 + 0.5, 0.0, 1.0); }},
      {"Exp", none, none, [](double v, double, double) { return std::exp(v); }},
      {"Erf", none, none, [](double v, double, double) { return std::erf(v); }},
      {"Sqrt", none, none, [](double v, double, double) { return std::sqrt(std::abs(v)); }},
      {"Log", none, none, [](double v, double, double) { return std::log(std::abs(v)); }},
  };
  for (const auto& a : cases) {
    model_builder m(14);
    m.input("x", s).output("y");
    auto& n = m.node(a.op, {"x"}, {"y"});
    if (!std::isnan(a.alpha)) ciro::zkml::test::set_float(n, "alpha", static_cast<float>(a.alpha));
    if (!std::isnan(a.beta)) ciro::zkml::test::set_float(n, "beta", static_cast<float>(a.beta));
    tensor in = x;
    if (std::string(a.op) == "Sqrt" || std::string(a.op) == "Log") {
      for (auto& v : in.data) v = std::abs(v);
    }
    // Attributes travel as float32.
    const double alpha = static_cast<float>(a.alpha), beta = static_cast<float>(a.beta);
    std::vector<double> want;
    for (double v : in.data) want.push_back(a.f(v, alpha, beta));
    SCOPED_TRACE(a.op);
    expect_close(run(m, {{"x", in}}).at("y"), s, want, 1e-12);
  }
  model_builder old(13);
  old.input("x", s).output("y").node("HardSwish", {"x"}, {"y"});
  EXPECT_EQ(run_error(old, {{"x", x}}), "node 'y' (HardSwish, opset 13): HardSwish does not exist before opset 14");
}

TEST(ReferenceElementwise, PReluBroadcastsTheSlopeToX) {
  ciro::test::seeded_rng rng;
  for (int trial = 0; trial < 20; ++trial) {
    const shape_t xs = random_shape(rng, 1 + rng.below(4));
    const shape_t ss = broadcastable(rng, xs);
    const tensor x = random_tensor(rng.engine(), xs), slope = random_tensor(rng.engine(), ss);
    model_builder m;
    m.input("x", xs).input("s", ss).output("y").node("PRelu", {"x", "s"}, {"y"});
    std::vector<double> want;
    for (std::int64_t i = 0; i < num_elements(xs); ++i) {
      const double v = x.data[static_cast<std::size_t>(i)];
      want.push_back(v < 0 ? v * broadcast_read(slope, unravel(i, xs)) : v);
    }
    expect_close(run(m, {{"x", x}, {"s", slope}}).at("y"), xs, want);
  }
  model_builder bad;
  bad.input("x", {2, 3}).input("s", {2}).output("y").node("PRelu", {"x", "s"}, {"y"});
  EXPECT_EQ(run_error(bad, {{"x", tensor::zeros({2, 3}, element_type::float32)},
                            {"s", tensor::zeros({2}, element_type::float32)}}),
            "node 'y' (PRelu, opset 13): slope of shape [2] does not broadcast to [2, 3]");
}

TEST(ReferenceElementwise, PowBroadcastsAndMixesTypesFromOpset12) {
  ciro::test::seeded_rng rng;
  for (int trial = 0; trial < 20; ++trial) {
    const shape_t out = random_shape(rng, rng.below(4));
    const shape_t sa = broadcastable(rng, out), sb = broadcastable(rng, out);
    const tensor a = random_tensor(rng.engine(), sa, 0.1, 3), b = random_tensor(rng.engine(), sb, -2, 2);
    model_builder m(trial % 2 ? 9 : 13);
    m.input("a", sa).input("b", sb).output("y").node("Pow", {"a", "b"}, {"y"});
    const shape_t full = *broadcast_shapes(sa, sb);
    std::vector<double> want;
    for (std::int64_t i = 0; i < num_elements(full); ++i) {
      const shape_t idx = unravel(i, full);
      want.push_back(std::pow(broadcast_read(a, idx), broadcast_read(b, idx)));
    }
    expect_close(run(m, {{"a", a}, {"b", b}}).at("y"), full, want);
  }
  // Integer base, integer exponent: exact; a negative exponent truncates 1/base^e toward zero.
  model_builder ii(15);
  ii.input("a", {6}, element_type::int64).input("b", {6}, element_type::int64).output("y", element_type::int64);
  ii.node("Pow", {"a", "b"}, {"y"});
  EXPECT_EQ(run(ii, {{"a", ints({6}, {3, -2, 2, 1, -1, 3})}, {"b", ints({6}, {5, 3, -1, -7, -3, 39})}}).at("y").ints,
            (std::vector<std::int64_t>{243, -8, 0, 1, -1, 4052555153018976267}));
  // Integer base, float exponent: pow in float64 truncated toward zero.
  model_builder fi(15);
  fi.input("a", {3}, element_type::int32).input("b", {3}).output("y", element_type::int32);
  fi.node("Pow", {"a", "b"}, {"y"});
  EXPECT_EQ(run(fi, {{"a", ints({3}, {2, 9, -8}, element_type::int32)}, {"b", tensor::floats({3}, {0.5, 0.5, 1.0})}})
                .at("y")
                .ints,
            (std::vector<std::int64_t>{1, 3, -8}));
  // Float base, integer exponent.
  model_builder fe(15);
  fe.input("a", {2}).input("b", {2}, element_type::int32).output("y").node("Pow", {"a", "b"}, {"y"});
  expect_close(run(fe, {{"a", tensor::floats({2}, {1.5, -2})}, {"b", ints({2}, {2, 3}, element_type::int32)}}).at("y"),
               {2}, {2.25, -8});
  model_builder old(11);
  old.input("a", {1}, element_type::int32).input("b", {1}, element_type::int32).output("y", element_type::int32);
  old.node("Pow", {"a", "b"}, {"y"});
  EXPECT_EQ(run_error(old, {{"a", ints({1}, {2}, element_type::int32)}, {"b", ints({1}, {2}, element_type::int32)}}),
            "node 'y' (Pow, opset 11): element type INT32 is not supported");
}

}  // namespace
