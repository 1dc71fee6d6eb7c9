// The integer inference (zkml/integer_inference.hpp) against the float reference: on seeded random
// models and inputs every fixed-point output must lie within the error bound it states, the bound
// must be finite and small against the output's range, exact (integer) outputs must be equal, and
// every refusal (out of the calibrated range, division by zero) must name the node.

#include "zkml/integer_inference.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/seed.hpp"
#include "tests/zkml/onnx_builder.hpp"
#include "zkml/fixed_point.hpp"

namespace {

using namespace ciro::zkml;
using ciro::zkml::test::model_builder;
using ciro::zkml::test::random_tensor;
using ciro::zkml::test::set_float;
using ciro::zkml::test::set_int;
using ciro::zkml::test::set_ints;

TEST(FixedPoint, RoundingMatchesExactRationalRounding) {
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 20000; ++i) {
    const auto v = static_cast<std::int64_t>(rng.below(1ull << 40)) - (std::int64_t{1} << 39);
    const int shift = static_cast<int>(rng.below(20));
    // round(v / 2^shift), ties up, with long double (exact for these magnitudes).
    const long double exact = std::floor(static_cast<long double>(v) / std::ldexp(1.0L, shift) + 0.5L);
    ASSERT_EQ(fixed::round_shift(v, shift), static_cast<std::int64_t>(exact)) << v << " >> " << shift;
    const auto d = static_cast<std::int64_t>(1 + rng.below(100000));
    const long double q = std::floor(static_cast<long double>(v) / static_cast<long double>(d) + 0.5L);
    ASSERT_EQ(fixed::div_round(v, d), static_cast<std::int64_t>(q)) << v << " / " << d;
  }
  EXPECT_EQ(fixed::round_shift(-3, 1), -1);  // -1.5 rounds up
  EXPECT_EQ(fixed::round_shift(3, 1), 2);
  EXPECT_EQ(fixed::round_shift(5, -2), 20);
  EXPECT_EQ(fixed::div_round(-5, 2), -2);
}

TEST(FixedPoint, FracForGivesTheLargestFittingPosition) {
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 2000; ++i) {
    const double m = std::ldexp(static_cast<double>(1 + rng.below(1 << 20)), static_cast<int>(rng.below(40)) - 30);
    const int f = fixed::frac_for(m, 32767, -30, 30);
    ASSERT_LE(std::ldexp(m, f), 32767.0) << m;
    if (f < 30) {
      ASSERT_GT(std::ldexp(m, f + 1), 32767.0) << m;
    }
  }
  EXPECT_EQ(fixed::frac_for(0, 32767, -30, 12), 12);
}

TEST(Quantization, RoundTripsWithinHalfAUnitAndCalibrationLeavesItsHeadroom) {
  ciro::test::seeded_rng rng;
  quantization_config config;
  for (int i = 0; i < 5000; ++i) {
    const double x =
        std::ldexp(static_cast<double>(rng.below(1u << 30)) / (1u << 30) - 0.5, static_cast<int>(rng.below(30)) - 15);
    const int f = activation_frac(std::fabs(x), config);
    ASSERT_LE(std::fabs(fixed::dequantize(fixed::quantize(x, f), f) - x), std::ldexp(0.5, -f)) << x;
    // The frac leaves exactly the headroom: 2 |x| fits at f, not at f + 1 (unless clamped).
    ASSERT_LE(config.headroom * std::ldexp(std::fabs(x), f), static_cast<double>(config.activation_limit())) << x;
    if (f < config.max_frac && x != 0) {
      ASSERT_GT(config.headroom * std::ldexp(std::fabs(x), f + 1), static_cast<double>(config.activation_limit())) << x;
    }
  }
}

/// Loads the built model, calibrates on `inputs`, runs both inferences and checks every output.
/// Returns the largest bound relative to the output's largest magnitude.
struct outcome {
  int_value_map integer;
  tensor_map reference;
};

outcome run_both(const model_builder& b, const tensor_map& inputs, const quantization_config& config = {}) {
  auto m = parse_model(b.bytes());
  EXPECT_TRUE(m) << m.error().message;
  if (!m) return {};
  auto cal = calibrate(m.value(), {inputs});
  EXPECT_TRUE(cal) << cal.error().message;
  if (!cal) return {};
  auto ref = run_reference(m.value(), inputs);
  EXPECT_TRUE(ref) << ref.error().message;
  auto got = run_integer(m.value(), inputs, cal.value(), config);
  EXPECT_TRUE(got) << got.error().message;
  if (!got || !ref) return {};
  return {got.value(), ref.value()};
}

/// Every output within its bound; the bound finite and at most `max_relative` of the output's
/// largest magnitude (plus `floor`), so that a vacuous bound fails.
void expect_within_bound(const outcome& o, double max_relative, double floor = 1e-3) {
  ASSERT_FALSE(o.integer.empty());
  for (const auto& [name, v] : o.integer) {
    const tensor& want = o.reference.at(name);
    if (!v.is_fixed()) {
      EXPECT_EQ(v.t.ints, want.ints) << name;
      continue;
    }
    const tensor got = v.dequantized();
    ASSERT_EQ(got.shape, want.shape) << name;
    double ymax = 0;
    for (double y : want.data) ymax = std::max(ymax, std::fabs(y));
    ASSERT_EQ(v.error.size(), got.data.size()) << name;
    ASSERT_TRUE(std::isfinite(v.max_error())) << name;
    EXPECT_LE(v.max_error(), max_relative * ymax + floor)
        << name << ": bound " << v.max_error() << " for outputs up to " << ymax;
    for (std::size_t i = 0; i < got.data.size(); ++i) {
      ASSERT_LE(std::fabs(got.data[i] - want.data[i]), v.error[i])
          << name << " at " << i << ": " << got.data[i] << " vs " << want.data[i] << ", bound " << v.error[i];
    }
  }
}

tensor random_in(ciro::test::seeded_rng& rng, const shape_t& shape, double lo = -2, double hi = 2) {
  return random_tensor(rng.engine(), shape, lo, hi);
}

TEST(IntegerInference, ElementwiseFunctionsStayWithinTheirBound) {
  ciro::test::seeded_rng rng;
  for (const char* op : {"Relu", "Sigmoid", "Tanh", "Exp", "Erf", "HardSigmoid", "HardSwish", "LeakyRelu", "Neg",
                         "Identity", "Softmax", "LogSoftmax"}) {
    for (int trial = 0; trial < 4; ++trial) {
      const shape_t shape{1 + static_cast<std::int64_t>(rng.below(4)), 2 + static_cast<std::int64_t>(rng.below(9))};
      model_builder b(14);
      b.input("x", shape).output("y");
      auto& n = b.node(op, {"x"}, {"y"}, "f");
      if (std::string(op) == "LeakyRelu") set_float(n, "alpha", 0.1f);
      const double scale = trial == 3 ? 8.0 : 2.0;
      const tensor x = random_in(rng, shape, -scale, scale);
      SCOPED_TRACE(op);
      expect_within_bound(run_both(b, {{"x", x}}), 0.01);
    }
  }
}

TEST(IntegerInference, SqrtAndPowUseTheirTables) {
  ciro::test::seeded_rng rng;
  model_builder b(13);
  b.input("x", {3, 5}).output("s").output("p");
  b.initializer("two", tensor::floats({}, {2.0}));
  b.node("Sqrt", {"x"}, {"s"});
  b.node("Pow", {"x", "two"}, {"p"});
  expect_within_bound(run_both(b, {{"x", random_in(rng, {3, 5}, 0, 4)}}), 0.01);
}

TEST(IntegerInference, GemmMatMulAndConvAccumulateExactly) {
  ciro::test::seeded_rng rng;
  for (int trial = 0; trial < 6; ++trial) {
    const std::int64_t k = 3 + static_cast<std::int64_t>(rng.below(60)),
                       n = 2 + static_cast<std::int64_t>(rng.below(9));
    model_builder b(13);
    b.input("x", {2, k}).output("g").output("m");
    b.initializer("w", random_in(rng, {k, n}, -0.5, 0.5));
    b.initializer("wt", random_in(rng, {n, k}, -0.5, 0.5));
    b.initializer("c", random_in(rng, {n}, -1, 1));
    auto& g = b.node("Gemm", {"x", "wt", "c"}, {"g"}, "gemm");
    set_int(g, "transB", 1);
    set_float(g, "alpha", 0.75f);
    set_float(g, "beta", 1.5f);
    b.node("MatMul", {"x", "w"}, {"m"}, "matmul");
    expect_within_bound(run_both(b, {{"x", random_in(rng, {2, k})}}), 0.01);
  }
  for (int trial = 0; trial < 4; ++trial) {
    model_builder b(13);
    const std::int64_t c = 1 + static_cast<std::int64_t>(rng.below(3)), m = 2 + static_cast<std::int64_t>(rng.below(4));
    b.input("x", {1, c, 7, 6}).output("y");
    b.initializer("w", random_in(rng, {m, c, 3, 3}, -0.5, 0.5));
    b.initializer("b", random_in(rng, {m}, -0.5, 0.5));
    auto& n = b.node("Conv", {"x", "w", "b"}, {"y"}, "conv");
    set_ints(n, "pads", {1, 0, 1, 2});
    set_ints(n, "strides", {1, 2});
    expect_within_bound(run_both(b, {{"x", random_in(rng, {1, c, 7, 6})}}), 0.01);
  }
}

TEST(IntegerInference, ActivationProductsShiftTheirOperandsIntoTheField) {
  ciro::test::seeded_rng rng;
  model_builder b(13);
  b.input("a", {4, 32}).input("bt", {32, 5}).output("y").output("p").output("q");
  b.node("MatMul", {"a", "bt"}, {"y"}, "attention");
  b.node("Mul", {"a", "a"}, {"p"}, "square");
  b.node("Div", {"a", "a"}, {"q"}, "ratio");
  tensor a = random_in(rng, {4, 32}, 0.5, 3);
  const auto o = run_both(b, {{"a", a}, {"bt", random_in(rng, {32, 5}, -3, 3)}});
  expect_within_bound(o, 0.02);
}

TEST(IntegerInference, PoolingReductionsAndBatchNorm) {
  ciro::test::seeded_rng rng;
  model_builder b(13);
  const shape_t s{1, 3, 6, 6};
  b.input("x", s).output("avg").output("max").output("gap").output("bn").output("mean").output("sum");
  auto& ap = b.node("AveragePool", {"x"}, {"avg"}, "avg");
  set_ints(ap, "kernel_shape", {3, 3});
  set_ints(ap, "pads", {1, 1, 1, 1});
  set_int(ap, "count_include_pad", 0);
  auto& mp = b.node("MaxPool", {"x"}, {"max"}, "max");
  set_ints(mp, "kernel_shape", {2, 2});
  set_ints(mp, "strides", {2, 2});
  b.node("GlobalAveragePool", {"x"}, {"gap"}, "gap");
  for (const char* p : {"bn_scale", "bn_bias", "bn_mean", "bn_var"})
    b.initializer(p, random_in(rng, {3}, std::string(p) == "bn_var" ? 0.5 : -1, 2));
  b.node("BatchNormalization", {"x", "bn_scale", "bn_bias", "bn_mean", "bn_var"}, {"bn"}, "bn");
  auto& rm = b.node("ReduceMean", {"x"}, {"mean"}, "mean");
  set_ints(rm, "axes", {2, 3});
  b.initializer("axes", tensor::integers({1}, {1}));
  b.node("ReduceSum", {"x", "axes"}, {"sum"}, "sum");
  expect_within_bound(run_both(b, {{"x", random_in(rng, s)}}), 0.01);
}

TEST(IntegerInference, ShapeOpsMoveIntegersAndKeepTheBound) {
  ciro::test::seeded_rng rng;
  model_builder b(13);
  b.input("x", {2, 3, 4}).output("t").output("c").output("g").output("a");
  auto& t = b.node("Transpose", {"x"}, {"t"});
  set_ints(t, "perm", {2, 0, 1});
  b.initializer("k", random_in(rng, {2, 3, 4}, -10, 10));
  auto& c = b.node("Concat", {"x", "k"}, {"c"});
  set_int(c, "axis", 1);
  b.initializer("idx", tensor::integers({2}, {1, 0}));
  b.node("Gather", {"x", "idx"}, {"g"});
  auto& am = b.node("ArgMax", {"x"}, {"a"});
  set_int(am, "axis", 2);
  b.graph().mutable_output(3)->mutable_type()->mutable_tensor_type()->set_elem_type(7);  // INT64
  expect_within_bound(run_both(b, {{"x", random_in(rng, {2, 3, 4})}}), 0.01);
}

TEST(IntegerInference, WeightsAreQuantizedSoThatNoAccumulatorCanWrap) {
  // A 784-wide layer with large weights: the weights' frac is lowered until
  // sum |w_q| (2^15 - 1) <= (p - 1) / 2 for every output, whatever the input.
  ciro::test::seeded_rng rng;
  model_builder b(13);
  b.input("x", {1, 784}).output("y");
  b.initializer("w", random_in(rng, {784, 4}, -3, 3));
  b.node("MatMul", {"x", "w"}, {"y"}, "wide");
  const tensor x = random_in(rng, {1, 784}, -1, 1);
  auto m = parse_model(b.bytes()).value();
  auto cal = calibrate(m, {{{"x", x}}}).value();
  // The worst input: every value at the range's edge, signed like the weights of output 0.
  tensor worst = x;
  const tensor& w = m.initializers.at("w");
  for (std::size_t i = 0; i < 784; ++i) worst.data[i] = (w.data[i * 4] >= 0 ? 1.0 : -1.0) * 1.99;
  auto got = run_integer(m, {{"x", worst}}, cal);
  // Either the input is refused as out of range, or it runs: never a wrapped accumulator.
  if (got) {
    auto ref = run_reference(m, {{"x", worst}}).value();
    const auto y = got.value().at("y");
    EXPECT_LE(std::fabs(y.dequantized().data[0] - ref.at("y").data[0]), y.error[0]);
  } else {
    EXPECT_NE(got.error().message.find("wide"), std::string::npos) << got.error().message;
  }
  expect_within_bound(run_both(b, {{"x", x}}), 0.02);
}

TEST(IntegerInference, RefusesInputsBeyondTheCalibratedRangeNamingTheNode) {
  model_builder b(13);
  b.input("x", {1, 4}).output("y");
  b.initializer("w", tensor::floats({4, 2}, {1, 1, 1, 1, 1, 1, 1, 1}));
  b.node("MatMul", {"x", "w"}, {"y"}, "dense");
  auto m = parse_model(b.bytes()).value();
  const tensor small = tensor::floats({1, 4}, {0.1, 0.1, 0.1, 0.1});
  auto cal = calibrate(m, {{{"x", small}}}).value();
  const tensor big = tensor::floats({1, 4}, {0.15, 0.15, 0.15, 0.15});  // within 2x at the input, not at y
  auto got = run_integer(m, {{"x", big}}, cal);
  ASSERT_TRUE(got) << got.error().message;
  const tensor huge = tensor::floats({1, 4}, {1, 1, 1, 1});
  auto refused = run_integer(m, {{"x", huge}}, cal);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("calibrated range"), std::string::npos) << refused.error().message;
}

TEST(IntegerInference, DivisionByAValueThatRoundsToZeroIsRefused) {
  model_builder b(13);
  b.input("a", {2}).input("d", {2}).output("y");
  b.node("Identity", {"d"}, {"computed"});  // a computed divisor (a graph input is quantized as a constant)
  b.node("Div", {"a", "computed"}, {"y"}, "divide");
  auto m = parse_model(b.bytes()).value();
  const tensor_map cal_in{{"a", tensor::floats({2}, {1, 1})}, {"d", tensor::floats({2}, {1000, 2})}};
  auto cal = calibrate(m, {cal_in}).value();
  auto got = run_integer(m, {{"a", tensor::floats({2}, {1, 1})}, {"d", tensor::floats({2}, {1e-6, 2})}}, cal);
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("node 'divide'"), std::string::npos) << got.error().message;
  EXPECT_NE(got.error().message.find("division by zero"), std::string::npos) << got.error().message;
}

TEST(IntegerInference, QuantizedGraphsRunExactly) {
  ciro::test::seeded_rng rng;
  model_builder b(13);
  b.input("x", {2, 6}).output("y");
  b.initializer("xs", tensor::floats({}, {0.05}));
  b.initializer("xz", tensor::integers({}, {128}, element_type::uint8));
  b.node("QuantizeLinear", {"x", "xs", "xz"}, {"xq"});
  b.initializer("w", tensor::integers({6, 3}, {1, -2, 3, 4, -5, 6, 7, -8, 9, 10, -11, 12, 13, -14, 15, 16, -17, 18},
                                      element_type::int8));
  b.initializer("ws", tensor::floats({}, {0.02}));
  b.initializer("wz", tensor::integers({}, {0}, element_type::int8));
  b.initializer("ys", tensor::floats({}, {0.1}));
  b.initializer("yz", tensor::integers({}, {100}, element_type::uint8));
  b.node("QLinearMatMul", {"xq", "xs", "xz", "w", "ws", "wz", "ys", "yz"}, {"yq"});
  b.node("DequantizeLinear", {"yq", "ys", "yz"}, {"y"}, "dq");
  const auto o = run_both(b, {{"x", random_in(rng, {2, 6}, -5, 5)}});
  expect_within_bound(o, 0.01);
  // The dequantized output is (q - 100) * 0.1: its error is the multiplier's rounding only.
  EXPECT_LT(o.integer.at("y").max_error(), 1e-3);
}

TEST(Quantization, FewerActivationBitsStillStayWithinTheStatedBound) {
  ciro::test::seeded_rng rng;
  for (int bits : {8, 12}) {
    model_builder b(13);
    b.input("x", {2, 16}).output("y");
    b.initializer("w", random_in(rng, {16, 4}, -1, 1));
    b.node("MatMul", {"x", "w"}, {"h"});
    b.node("Sigmoid", {"h"}, {"y"});
    quantization_config config;
    config.activation_bits = bits;
    config.weight_bits = bits;
    SCOPED_TRACE(bits);
    expect_within_bound(run_both(b, {{"x", random_in(rng, {2, 16})}}, config), bits == 8 ? 0.2 : 0.02);
  }
}

TEST(IntegerInference, MinOfComputedTensorsKeepsTheLargerError) {
  model_builder b(13);
  b.input("x", {4}).output("y");
  b.initializer("k", tensor::floats({}, {0.3}));
  b.initializer("z", tensor::floats({4}, {0, 0, 0, 0}));
  b.node("Mul", {"x", "k"}, {"h"});
  b.node("Min", {"h", "z"}, {"y"});
  expect_within_bound(run_both(b, {{"x", tensor::floats({4}, {-1.2345678, -0.77777, -1.9999, -0.1234567})}}), 0.01);
}

TEST(IntegerInference, IntegersComputedFromRealsMakeLaterBoundsInfinite) {
  model_builder b(13);
  b.input("x", {2}).output("y");
  b.initializer("k", tensor::floats({}, {1.0}));
  b.node("Mul", {"x", "k"}, {"h"});  // a computed tensor: its reals carry an error
  auto& to_int = b.node("Cast", {"h"}, {"i"});
  set_int(to_int, "to", 7);
  auto& back = b.node("Cast", {"i"}, {"y"});
  set_int(back, "to", 1);
  auto m = parse_model(b.bytes()).value();
  const tensor_map in{{"x", tensor::floats({2}, {0.99999, 1.5})}};
  auto got = run_integer(m, in, calibrate(m, {in}).value()).value();
  EXPECT_TRUE(std::isinf(got.at("y").max_error()));
}

TEST(IntegerInference, ElementwiseMultipliersKeepTheirPrecisionOnLargeTensors) {
  model_builder b(13);
  b.input("x", {70000}).output("y").output("p");
  b.initializer("ones", tensor::floats({70000}, std::vector<double>(70000, 1.0)));
  b.initializer("slope", tensor::floats({}, {0.25}));
  b.node("Mul", {"x", "ones"}, {"y"});
  b.node("PRelu", {"x", "slope"}, {"p"});
  ciro::test::seeded_rng rng;
  expect_within_bound(run_both(b, {{"x", random_in(rng, {70000}, -1, 1)}}), 0.01);
}

}  // namespace
