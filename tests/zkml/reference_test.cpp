#include "zkml/reference.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/seed.hpp"
#include "tests/zkml/onnx_builder.hpp"
#include "tests/zkml/reference_helpers.hpp"

namespace {

using namespace ciro::zkml;
using ciro::zkml::test::model_builder;
using ciro::zkml::test::random_tensor;
using namespace ciro::zkml::test::helpers;

TEST(Reference, ElementwiseArithmeticBroadcastsLikeNumpy) {
  ciro::test::seeded_rng rng;
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    for (int trial = 0; trial < 20; ++trial) {
      const shape_t out = random_shape(rng, rng.below(5));
      shape_t sa = out, sb = out;
      for (auto& d : sa) d = rng.below(3) == 0 ? 1 : d;  // drop to 1 at random
      for (auto& d : sb) d = rng.below(3) == 0 ? 1 : d;
      sb.erase(sb.begin(), sb.begin() + static_cast<std::ptrdiff_t>(rng.below(sb.size() + 1)));  // drop leading dims
      const tensor a = random_tensor(rng.engine(), sa), b = random_tensor(rng.engine(), sb, 0.5, 2.0);
      model_builder m;
      m.input("a", sa).input("b", sb).output("y").node(op, {"a", "b"}, {"y"});
      const tensor y = run(m, {{"a", a}, {"b", b}}).at("y");
      const auto full = *broadcast_shapes(sa, sb);
      std::vector<double> want(static_cast<std::size_t>(num_elements(full)));
      for (std::size_t i = 0; i < want.size(); ++i) {
        const shape_t idx = unravel(static_cast<std::int64_t>(i), full);
        const double u = broadcast_read(a, idx), v = broadcast_read(b, idx);
        want[i] = op[0] == 'A' ? u + v : op[0] == 'S' ? u - v : op[0] == 'M' ? u * v : u / v;
      }
      expect_close(y, full, want);
    }
  }
}

TEST(Reference, IntegerArithmeticWrapsAndTruncates) {
  model_builder m;
  m.input("a", {4}, element_type::uint8).input("b", {4}, element_type::uint8).output("y", element_type::uint8);
  m.node("Add", {"a", "b"}, {"y"});
  const tensor y = run(m, {{"a", tensor::integers({4}, {250, 1, 2, 3}, element_type::uint8)},
                           {"b", tensor::integers({4}, {10, 1, 2, 3}, element_type::uint8)}})
                       .at("y");
  EXPECT_EQ(y.ints, (std::vector<std::int64_t>{4, 2, 4, 6}));
  model_builder d;
  d.input("a", {3}, element_type::int32).input("b", {3}, element_type::int32).output("y", element_type::int32);
  d.node("Div", {"a", "b"}, {"y"});
  const tensor q = run(d, {{"a", tensor::integers({3}, {7, -7, 9}, element_type::int32)},
                           {"b", tensor::integers({3}, {2, 2, -4}, element_type::int32)}})
                       .at("y");
  EXPECT_EQ(q.ints, (std::vector<std::int64_t>{3, -3, -2}));
  EXPECT_EQ(run_error(d, {{"a", tensor::integers({3}, {1, 1, 1}, element_type::int32)},
                          {"b", tensor::integers({3}, {1, 0, 1}, element_type::int32)}}),
            "node 'y' (Div, opset 13): integer division by zero");
}

TEST(Reference, RefusesShapesThatDoNotBroadcast) {
  model_builder m;
  m.input("a", {2, 3}).input("b", {4}).output("y").node("Add", {"a", "b"}, {"y"}, "sum");
  EXPECT_EQ(run_error(m, {{"a", tensor::zeros({2, 3}, element_type::float32)},
                          {"b", tensor::zeros({4}, element_type::float32)}}),
            "node 'sum' (Add, opset 13): shapes [2, 3] and [4] do not broadcast");
}

TEST(Reference, UnaryActivationsMatchTheirFormulas) {
  ciro::test::seeded_rng rng;
  const shape_t s = {3, 5};
  const tensor x = random_tensor(rng.engine(), s, -6, 6);
  for (const char* op : {"Relu", "Sigmoid", "Tanh"}) {
    model_builder m;
    m.input("x", s).output("y").node(op, {"x"}, {"y"});
    std::vector<double> want;
    for (double v : x.data) {
      want.push_back(op[0] == 'R' ? std::max(v, 0.0) : op[0] == 'S' ? 1 / (1 + std::exp(-v)) : std::tanh(v));
    }
    expect_close(run(m, {{"x", x}}).at("y"), s, want, 1e-12);
  }
}

TEST(Reference, MatMulHandlesBatchesBroadcastingAndVectors) {
  ciro::test::seeded_rng rng;
  const std::vector<std::pair<shape_t, shape_t>> cases{
      {{3, 4}, {4, 5}}, {{2, 3, 4}, {4, 2}}, {{2, 1, 3, 4}, {3, 4, 2}}, {{4}, {4, 3}},
      {{2, 3, 4}, {4}}, {{4}, {4}},          {{1, 2, 3}, {5, 3, 2}},
  };
  for (const auto& [sa, sb] : cases) {
    const tensor a = random_tensor(rng.engine(), sa), b = random_tensor(rng.engine(), sb);
    model_builder m;
    m.input("a", sa).input("b", sb).output("y").node("MatMul", {"a", "b"}, {"y"});
    const tensor y = run(m, {{"a", a}, {"b", b}}).at("y");
    // numpy: promote 1-D operands to matrices, broadcast the batch, multiply, drop the added dims.
    const shape_t pa = sa.size() == 1 ? shape_t{1, sa[0]} : sa, pb = sb.size() == 1 ? shape_t{sb[0], 1} : sb;
    const std::int64_t mm = pa[pa.size() - 2], k = pa.back(), n = pb.back();
    const shape_t ba(pa.begin(), pa.end() - 2), bb(pb.begin(), pb.end() - 2);
    const shape_t batch = *broadcast_shapes(ba, bb);
    shape_t out = batch;
    if (sa.size() > 1) out.push_back(mm);
    if (sb.size() > 1) out.push_back(n);
    const tensor ta = tensor::floats(pa, a.data), tb = tensor::floats(pb, b.data);
    std::vector<double> want;
    for (std::int64_t p = 0; p < num_elements(batch); ++p) {
      const shape_t bi = unravel(p, batch);
      for (std::int64_t i = 0; i < mm; ++i) {
        for (std::int64_t j = 0; j < n; ++j) {
          double s = 0;
          for (std::int64_t t = 0; t < k; ++t) {
            shape_t ia = bi, ib = bi;
            ia.push_back(i), ia.push_back(t), ib.push_back(t), ib.push_back(j);
            s += broadcast_read(ta, ia) * broadcast_read(tb, ib);
          }
          want.push_back(s);
        }
      }
    }
    expect_close(y, out, want);
  }
}

TEST(Reference, GemmAppliesAlphaBetaTransposesAndBroadcastBias) {
  ciro::test::seeded_rng rng;
  for (int trial = 0; trial < 16; ++trial) {
    const bool ta = trial & 1, tb = trial & 2;
    const std::int64_t M = 1 + rng.below(4), K = 1 + rng.below(4), N = 1 + rng.below(4);
    const shape_t sa = ta ? shape_t{K, M} : shape_t{M, K}, sb = tb ? shape_t{N, K} : shape_t{K, N};
    const std::vector<shape_t> bias_shapes{{M, N}, {N}, {1, N}, {M, 1}, {}, {1}};
    const shape_t sc = bias_shapes[rng.below(bias_shapes.size())];
    const tensor a = random_tensor(rng.engine(), sa), b = random_tensor(rng.engine(), sb),
                 c = random_tensor(rng.engine(), sc);
    const double alpha = trial & 4 ? 0.5 : 1.0, beta = trial & 8 ? -2.0 : 1.0;
    model_builder m(trial % 3 == 0 ? 9 : 13);
    m.input("a", sa).input("b", sb).input("c", sc).output("y");
    auto& n = m.node("Gemm", {"a", "b", "c"}, {"y"});
    if (ta) test::set_int(n, "transA", 1);
    if (tb) test::set_int(n, "transB", 1);
    if (alpha != 1.0) test::set_float(n, "alpha", static_cast<float>(alpha));
    if (beta != 1.0) test::set_float(n, "beta", static_cast<float>(beta));
    std::vector<double> want;
    for (std::int64_t i = 0; i < M; ++i) {
      for (std::int64_t j = 0; j < N; ++j) {
        double s = 0;
        for (std::int64_t t = 0; t < K; ++t) {
          s += a.data[static_cast<std::size_t>(ta ? t * M + i : i * K + t)] *
               b.data[static_cast<std::size_t>(tb ? j * K + t : t * N + j)];
        }
        want.push_back(alpha * s + beta * broadcast_read(c, {i, j}));
      }
    }
    expect_close(run(m, {{"a", a}, {"b", b}, {"c", c}}).at("y"), {M, N}, want);
  }
  model_builder nobias(11);
  nobias.input("a", {1, 2}).input("b", {2, 1}).output("y").node("Gemm", {"a", "b"}, {"y"});
  expect_close(run(nobias, {{"a", tensor::floats({1, 2}, {1, 2})}, {"b", tensor::floats({2, 1}, {3, 4})}}).at("y"),
               {1, 1}, {11});
}

TEST(Reference, ReshapeFlattenTransposeIdentityMoveValuesAsSpecified) {
  ciro::test::seeded_rng rng;
  const tensor x = random_tensor(rng.engine(), {2, 3, 4});
  auto reshape = [&](std::vector<std::int64_t> spec, std::int64_t opset = 13, bool allowzero = false) {
    model_builder m(opset);
    m.input("x", {2, 3, 4})
        .output("y")
        .initializer("s", tensor::integers({static_cast<std::int64_t>(spec.size())}, spec));
    auto& n = m.node("Reshape", {"x", "s"}, {"y"});
    if (allowzero) test::set_int(n, "allowzero", 1);
    return run(m, {{"x", x}}).at("y");
  };
  EXPECT_EQ(reshape({4, -1}).shape, (shape_t{4, 6}));
  EXPECT_EQ(reshape({0, -1}).shape, (shape_t{2, 12}));
  EXPECT_EQ(reshape({0, 0, 2, 2}).shape, (shape_t{2, 3, 2, 2}));
  EXPECT_EQ(reshape({24}).data, x.data);
  for (std::int64_t axis = -3; axis <= 3; ++axis) {
    model_builder m;
    m.input("x", {2, 3, 4}).output("y");
    test::set_int(m.node("Flatten", {"x"}, {"y"}), "axis", axis);
    const std::int64_t a = axis < 0 ? axis + 3 : axis;
    const shape_t want{a == 0 ? 1 : (a == 1 ? 2 : a == 2 ? 6 : 24), a == 0 ? 24 : (a == 1 ? 12 : a == 2 ? 4 : 1)};
    const tensor y = run(m, {{"x", x}}).at("y");
    EXPECT_EQ(y.shape, want);
    EXPECT_EQ(y.data, x.data);
  }
  const std::vector<shape_t> perms{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  for (std::size_t p = 0; p <= perms.size(); ++p) {
    model_builder m;
    m.input("x", {2, 3, 4}).output("y");
    auto& n = m.node("Transpose", {"x"}, {"y"});
    const shape_t perm = p < perms.size() ? perms[p] : shape_t{2, 1, 0};  // the last: default, reversed
    if (p < perms.size()) test::set_ints(n, "perm", perm);
    const tensor y = run(m, {{"x", x}}).at("y");
    const shape_t out{x.shape[perm[0]], x.shape[perm[1]], x.shape[perm[2]]};
    std::vector<double> want;
    for (std::int64_t o = 0; o < 24; ++o) {
      const shape_t oi = unravel(o, out);
      shape_t ii(3);
      for (std::size_t d = 0; d < 3; ++d) ii[perm[d]] = oi[d];
      want.push_back(x.data[static_cast<std::size_t>((ii[0] * 3 + ii[1]) * 4 + ii[2])]);
    }
    expect_close(y, out, want, 0);
  }
  model_builder id;
  id.input("x", {2, 3, 4}).output("y").node("Identity", {"x"}, {"y"});
  EXPECT_EQ(run(id, {{"x", x}}).at("y").data, x.data);
}

TEST(Reference, ReshapeRefusesImpossibleShapes) {
  model_builder m;
  m.input("x", {2, 3}).output("y").initializer("s", tensor::integers({2}, {4, -1}));
  m.node("Reshape", {"x", "s"}, {"y"}, "r");
  EXPECT_EQ(run_error(m, {{"x", tensor::zeros({2, 3}, element_type::float32)}}),
            "node 'r' (Reshape, opset 13): cannot infer -1 in [4, -1]");
}

struct conv_case {
  shape_t x, w;
  shape_t strides, dilations, pads;
  std::int64_t group;
  std::string auto_pad;
};

TEST(Reference, Conv2DMatchesTheDirectSum) {
  ciro::test::seeded_rng rng;
  const std::vector<conv_case> cases{
      {{1, 1, 5, 5}, {1, 1, 3, 3}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 1, "NOTSET"},
      {{2, 3, 7, 6}, {4, 3, 3, 2}, {2, 1}, {1, 1}, {1, 0, 2, 1}, 1, "NOTSET"},
      {{1, 4, 6, 6}, {6, 2, 3, 3}, {1, 2}, {2, 1}, {2, 1, 1, 2}, 2, "NOTSET"},
      {{1, 4, 5, 5}, {4, 1, 3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 4, "NOTSET"},  // depthwise
      {{1, 2, 7, 5}, {3, 2, 3, 2}, {2, 2}, {1, 1}, {}, 1, "SAME_UPPER"},
      {{1, 2, 7, 5}, {3, 2, 2, 3}, {2, 3}, {1, 1}, {}, 1, "SAME_LOWER"},
      {{1, 2, 7, 6}, {2, 2, 3, 3}, {2, 2}, {1, 2}, {}, 1, "VALID"},
  };
  for (const conv_case& cc : cases) {
    const tensor x = random_tensor(rng.engine(), cc.x), w = random_tensor(rng.engine(), cc.w),
                 b = random_tensor(rng.engine(), {cc.w[0]});
    model_builder m(11);
    m.input("x", cc.x).input("w", cc.w).input("b", {cc.w[0]}).output("y");
    auto& n = m.node("Conv", {"x", "w", "b"}, {"y"});
    test::set_ints(n, "strides", cc.strides);
    test::set_ints(n, "dilations", cc.dilations);
    test::set_int(n, "group", cc.group);
    if (cc.auto_pad == "NOTSET") {
      test::set_ints(n, "pads", cc.pads);
    } else {
      test::set_string(n, "auto_pad", cc.auto_pad);
    }
    // Pads and output size from ONNX's definitions, then the convolution sum term by term.
    std::int64_t pb[2], out[2];
    for (int d = 0; d < 2; ++d) {
      const std::int64_t in = cc.x[2 + d], k = (cc.w[2 + d] - 1) * cc.dilations[d] + 1, s = cc.strides[d];
      if (cc.auto_pad == "NOTSET") {
        pb[d] = cc.pads[d];
        out[d] = (in + cc.pads[d] + cc.pads[d + 2] - k) / s + 1;
      } else if (cc.auto_pad == "VALID") {
        pb[d] = 0;
        out[d] = (in - k) / s + 1;
      } else {
        out[d] = (in + s - 1) / s;
        const std::int64_t total = std::max<std::int64_t>(0, (out[d] - 1) * s + k - in);
        pb[d] = cc.auto_pad == "SAME_UPPER" ? total / 2 : (total + 1) / 2;
      }
    }
    const std::int64_t N = cc.x[0], C = cc.x[1], H = cc.x[2], W = cc.x[3], M = cc.w[0], cg = C / cc.group;
    std::vector<double> want;
    for (std::int64_t bn = 0; bn < N; ++bn) {
      for (std::int64_t f = 0; f < M; ++f) {
        const std::int64_t g = f / (M / cc.group);
        for (std::int64_t oh = 0; oh < out[0]; ++oh) {
          for (std::int64_t ow = 0; ow < out[1]; ++ow) {
            double s = b.data[f];
            for (std::int64_t q = 0; q < cg; ++q) {
              for (std::int64_t kh = 0; kh < cc.w[2]; ++kh) {
                for (std::int64_t kw = 0; kw < cc.w[3]; ++kw) {
                  const std::int64_t ih = oh * cc.strides[0] - pb[0] + kh * cc.dilations[0];
                  const std::int64_t iw = ow * cc.strides[1] - pb[1] + kw * cc.dilations[1];
                  if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                  s += x.data[((bn * C + g * cg + q) * H + ih) * W + iw] *
                       w.data[((f * cg + q) * cc.w[2] + kh) * cc.w[3] + kw];
                }
              }
            }
            want.push_back(s);
          }
        }
      }
    }
    expect_close(run(m, {{"x", x}, {"w", w}, {"b", b}}).at("y"), {N, M, out[0], out[1]}, want);
  }
}

TEST(Reference, PoolingMatchesTheDirectWindows) {
  ciro::test::seeded_rng rng;
  struct pool_case {
    shape_t kernel, strides, pads;
    bool ceil, include_pad;
  };
  const std::vector<pool_case> cases{
      {{2, 2}, {2, 2}, {0, 0, 0, 0}, false, false}, {{3, 3}, {1, 1}, {1, 1, 1, 1}, false, false},
      {{3, 3}, {1, 1}, {1, 1, 1, 1}, false, true},  {{3, 2}, {2, 2}, {0, 1, 1, 0}, true, false},
      {{2, 3}, {2, 1}, {1, 0, 0, 2}, true, true},
  };
  const shape_t xs{2, 3, 6, 7};
  for (const pool_case& pc : cases) {
    const tensor x = random_tensor(rng.engine(), xs);
    for (bool max : {true, false}) {
      model_builder m(11);
      m.input("x", xs).output("y");
      auto& n = m.node(max ? "MaxPool" : "AveragePool", {"x"}, {"y"});
      test::set_ints(n, "kernel_shape", pc.kernel);
      test::set_ints(n, "strides", pc.strides);
      test::set_ints(n, "pads", pc.pads);
      if (pc.ceil) test::set_int(n, "ceil_mode", 1);
      if (!max && pc.include_pad) test::set_int(n, "count_include_pad", 1);
      std::int64_t out[2];
      for (int d = 0; d < 2; ++d) {
        const double span = static_cast<double>(xs[2 + d] + pc.pads[d] + pc.pads[d + 2] - pc.kernel[d]) / pc.strides[d];
        out[d] = static_cast<std::int64_t>(pc.ceil ? std::ceil(span) : std::floor(span)) + 1;
        if (pc.ceil && (out[d] - 1) * pc.strides[d] >= xs[2 + d] + pc.pads[d]) --out[d];
      }
      std::vector<double> want;
      for (std::int64_t nc = 0; nc < 6; ++nc) {
        for (std::int64_t oh = 0; oh < out[0]; ++oh) {
          for (std::int64_t ow = 0; ow < out[1]; ++ow) {
            double best = -INFINITY, sum = 0;
            std::int64_t count = 0, padded = 0;
            for (std::int64_t kh = 0; kh < pc.kernel[0]; ++kh) {
              for (std::int64_t kw = 0; kw < pc.kernel[1]; ++kw) {
                const std::int64_t ih = oh * pc.strides[0] - pc.pads[0] + kh, iw = ow * pc.strides[1] - pc.pads[1] + kw;
                if (ih < xs[2] + pc.pads[2] && iw < xs[3] + pc.pads[3]) ++padded;  // inside the padded input
                if (ih < 0 || ih >= xs[2] || iw < 0 || iw >= xs[3]) continue;
                const double v = x.data[(nc * xs[2] + ih) * xs[3] + iw];
                best = std::max(best, v), sum += v, ++count;
              }
            }
            want.push_back(max ? best : sum / static_cast<double>(pc.include_pad ? padded : count));
          }
        }
      }
      expect_close(run(m, {{"x", x}}).at("y"), {2, 3, out[0], out[1]}, want);
    }
  }
}

TEST(Reference, MaxPoolReportsArgmaxIndices) {
  model_builder m(12);
  m.input("x", {1, 1, 2, 3}).output("y").output("i", element_type::int64);
  test::set_ints(m.node("MaxPool", {"x"}, {"y", "i"}), "kernel_shape", {2, 2});
  const tensor r = run(m, {{"x", tensor::floats({1, 1, 2, 3}, {1, 9, 2, 3, 4, 8})}}).at("i");
  EXPECT_EQ(r.ints, (std::vector<std::int64_t>{1, 1}));
}

TEST(Reference, GlobalAveragePoolAveragesEverySpatialPosition) {
  ciro::test::seeded_rng rng;
  const tensor x = random_tensor(rng.engine(), {2, 3, 4, 5});
  model_builder m;
  m.input("x", {2, 3, 4, 5}).output("y").node("GlobalAveragePool", {"x"}, {"y"});
  std::vector<double> want(6, 0.0);
  for (std::size_t i = 0; i < x.data.size(); ++i) want[i / 20] += x.data[i] / 20;
  expect_close(run(m, {{"x", x}}).at("y"), {2, 3, 1, 1}, want);
}

TEST(Reference, SoftmaxFollowsTheOpsetsAxisSemantics) {
  ciro::test::seeded_rng rng;
  const shape_t s{2, 3, 4};
  const tensor x = random_tensor(rng.engine(), s, -5, 5);
  for (std::int64_t opset : {11, 13}) {
    for (std::int64_t axis : {0, 1, 2, -1}) {
      model_builder m(opset);
      m.input("x", s).output("y");
      test::set_int(m.node("Softmax", {"x"}, {"y"}), "axis", axis);
      const std::size_t a = static_cast<std::size_t>(axis < 0 ? axis + 3 : axis);
      // Which elements are normalised together: < 13 all of shape[a:] for each prefix; >= 13 only axis a.
      auto group = [&](std::int64_t i) {
        shape_t idx = unravel(i, s);
        if (opset < 13) {
          for (std::size_t d = a; d < 3; ++d) idx[d] = 0;
        } else {
          idx[a] = 0;
        }
        return idx;
      };
      std::vector<double> want(24);
      for (std::int64_t i = 0; i < 24; ++i) {
        double sum = 0;
        for (std::int64_t j = 0; j < 24; ++j) {
          if (group(j) == group(i)) sum += std::exp(x.data[j]);
        }
        want[i] = std::exp(x.data[i]) / sum;
      }
      expect_close(run(m, {{"x", x}}).at("y"), s, want, 1e-12);
    }
  }
}

TEST(Reference, ClipReadsBoundsFromAttributesBeforeOpset11AndInputsAfter) {
  const tensor x = tensor::floats({5}, {-3, -1, 0, 1, 3});
  model_builder old(9);
  old.input("x", {5}).output("y");
  auto& n = old.node("Clip", {"x"}, {"y"});
  test::set_float(n, "min", -1.5f);
  test::set_float(n, "max", 2.0f);
  expect_close(run(old, {{"x", x}}).at("y"), {5}, {-1.5, -1, 0, 1, 2});
  model_builder only_max(9);
  only_max.input("x", {5}).output("y");
  test::set_float(only_max.node("Clip", {"x"}, {"y"}), "max", 0.5f);
  expect_close(run(only_max, {{"x", x}}).at("y"), {5}, {-3, -1, 0, 0.5, 0.5});
  model_builder now(13);
  now.input("x", {5}).output("y").initializer("hi", tensor::floats({}, {0.5}));
  now.node("Clip", {"x", "", "hi"}, {"y"});
  expect_close(run(now, {{"x", x}}).at("y"), {5}, {-3, -1, 0, 0.5, 0.5});
  model_builder ints(13);
  ints.input("x", {4}, element_type::int8)
      .output("y", element_type::int8)
      .initializer("lo", tensor::integers({}, {-2}, element_type::int8));
  ints.node("Clip", {"x", "lo"}, {"y"});
  EXPECT_EQ(run(ints, {{"x", tensor::integers({4}, {-128, -2, 5, 127}, element_type::int8)}}).at("y").ints,
            (std::vector<std::int64_t>{-2, -2, 5, 127}));
}

TEST(Reference, BatchNormalizationUsesTheRunningStatistics) {
  ciro::test::seeded_rng rng;
  const shape_t s{2, 3, 2, 2};
  const tensor x = random_tensor(rng.engine(), s), scale = random_tensor(rng.engine(), {3}),
               bias = random_tensor(rng.engine(), {3}), mean = random_tensor(rng.engine(), {3}),
               var = random_tensor(rng.engine(), {3}, 0.1, 2.0);
  model_builder m(15);
  m.input("x", s)
      .output("y")
      .initializer("s", scale)
      .initializer("b", bias)
      .initializer("m", mean)
      .initializer("v", var);
  test::set_float(m.node("BatchNormalization", {"x", "s", "b", "m", "v"}, {"y"}), "epsilon", 1e-3f);
  std::vector<double> want;
  for (std::size_t i = 0; i < x.data.size(); ++i) {
    const std::size_t c = (i / 4) % 3;
    want.push_back((x.data[i] - mean.data[c]) / std::sqrt(var.data[c] + static_cast<double>(1e-3f)) * scale.data[c] +
                   bias.data[c]);
  }
  expect_close(run(m, {{"x", x}}).at("y"), s, want);
  model_builder saved(9);  // the training outputs of opset 9 are refused
  saved.input("x", s)
      .output("y")
      .output("sm")
      .initializer("s", scale)
      .initializer("b", bias)
      .initializer("m", mean)
      .initializer("v", var);
  saved.node("BatchNormalization", {"x", "s", "b", "m", "v"}, {"y", "", "", "sm"}, "bn");
  EXPECT_EQ(run_error(saved, {{"x", x}}),
            "node 'bn' (BatchNormalization, opset 9): training outputs need training_mode=1 (opset 14 on)");
}

TEST(Reference, BatchNormalizationInTrainingModeUsesTheBatchStatistics) {
  ciro::test::seeded_rng rng;
  const shape_t s{3, 2, 4};
  const tensor x = random_tensor(rng.engine(), s), scale = random_tensor(rng.engine(), {2}),
               bias = random_tensor(rng.engine(), {2}), mean = random_tensor(rng.engine(), {2}),
               var = random_tensor(rng.engine(), {2}, 0.1, 2.0);
  model_builder m(15);
  m.input("x", s)
      .output("y")
      .output("rm")
      .output("rv")
      .initializer("s", scale)
      .initializer("b", bias)
      .initializer("m", mean)
      .initializer("v", var);
  auto& n = m.node("BatchNormalization", {"x", "s", "b", "m", "v"}, {"y", "rm", "rv"});
  test::set_int(n, "training_mode", 1);
  test::set_float(n, "momentum", 0.75f);
  // The batch mean and population variance of each channel, element by element.
  std::vector<double> bm(2, 0.0), bv(2, 0.0), want_y, want_m, want_v;
  for (std::size_t i = 0; i < x.data.size(); ++i) bm[(i / 4) % 2] += x.data[i] / 12;
  for (std::size_t i = 0; i < x.data.size(); ++i) bv[(i / 4) % 2] += std::pow(x.data[i] - bm[(i / 4) % 2], 2) / 12;
  for (std::size_t i = 0; i < x.data.size(); ++i) {
    const std::size_t c = (i / 4) % 2;
    want_y.push_back((x.data[i] - bm[c]) / std::sqrt(bv[c] + 1e-5) * scale.data[c] + bias.data[c]);
  }
  for (std::size_t c = 0; c < 2; ++c) {
    want_m.push_back(mean.data[c] * 0.75 + bm[c] * 0.25);
    want_v.push_back(var.data[c] * 0.75 + bv[c] * 0.25);
  }
  const auto out = run(m, {{"x", x}});
  expect_close(out.at("y"), s, want_y);
  expect_close(out.at("rm"), {2}, want_m);
  expect_close(out.at("rv"), {2}, want_v);
}

TEST(Reference, RunsAChainOfNodes) {
  // Flatten -> Gemm -> Relu -> Softmax, the shape of a small classifier.
  ciro::test::seeded_rng rng;
  const tensor x = random_tensor(rng.engine(), {1, 2, 2}), w = random_tensor(rng.engine(), {3, 4}),
               b = random_tensor(rng.engine(), {3});
  model_builder m;
  m.input("x", {1, 2, 2}).output("p").initializer("w", w).initializer("b", b);
  m.node("Flatten", {"x"}, {"f"});
  auto& g = m.node("Gemm", {"f", "w", "b"}, {"h"});
  test::set_int(g, "transB", 1);
  m.node("Relu", {"h"}, {"r"});
  m.node("Softmax", {"r"}, {"p"});
  std::vector<double> h(3);
  double sum = 0;
  for (int j = 0; j < 3; ++j) {
    for (int t = 0; t < 4; ++t) h[j] += x.data[t] * w.data[j * 4 + t];
    h[j] = std::exp(std::max(h[j] + b.data[j], 0.0));
    sum += h[j];
  }
  for (auto& v : h) v /= sum;
  expect_close(run(m, {{"x", x}}).at("p"), {1, 3}, h);
}

}  // namespace
