// The reference's quantized operators (zkml/ops_quantized.cpp) against direct implementations on
// seeded random inputs: rounding ties, saturation, per-axis parameters, INT8 and UINT8.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/seed.hpp"
#include "tests/zkml/onnx_builder.hpp"
#include "tests/zkml/reference_helpers.hpp"

namespace {

using namespace ciro::zkml;
using namespace ciro::zkml::test::helpers;
using ciro::zkml::test::model_builder;
using ciro::zkml::test::set_int;
using ciro::zkml::test::set_ints;

using i64 = std::int64_t;
constexpr element_type u8 = element_type::uint8, s8 = element_type::int8, i32 = element_type::int32,
                       f32 = element_type::float32;

/// Round half to even, spelled out.
double round_even(double v) {
  const double f = std::floor(v), d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return std::fmod(f, 2.0) == 0 ? f : f + 1;
}
i64 clamp(element_type t, double v) {
  const auto [lo, hi] = integer_range(t);
  return v < static_cast<double>(lo) ? lo : v > static_cast<double>(hi) ? hi : static_cast<i64>(v);
}
i64 random_int(ciro::test::seeded_rng& rng, element_type t) {
  const auto [lo, hi] = integer_range(t);
  return lo + static_cast<i64>(rng.below(static_cast<std::uint64_t>(hi - lo + 1)));
}
tensor random_ints(ciro::test::seeded_rng& rng, const shape_t& s, element_type t) {
  std::vector<i64> v(static_cast<std::size_t>(num_elements(s)));
  for (auto& x : v) x = random_int(rng, t);
  return tensor::integers(s, v, t);
}
/// A float32 scale: a power of two (so that ties occur) or a random value.
float random_scale(ciro::test::seeded_rng& rng) {
  if (rng.below(2)) return std::ldexp(1.0f, static_cast<int>(rng.below(5)) - 3);
  return 0.01f + static_cast<float>(rng.below(1000)) / 1000.0f;
}
/// prod_{d > ax} s[d].
i64 product_of(const shape_t& s, i64 ax) {
  i64 p = 1;
  for (std::size_t d = static_cast<std::size_t>(ax) + 1; d < s.size(); ++d) p *= s[d];
  return p;
}
tensor floats(shape_t s, const std::vector<float>& v) {
  return tensor::floats(std::move(s), std::vector<double>(v.begin(), v.end()), f32);
}

TEST(ReferenceQuantized, QuantizeLinearRoundsHalfToEvenAndSaturatesPerTensorAndPerAxis) {
  ciro::test::seeded_rng rng;
  int ties = 0, saturated = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const bool axis_mode = trial % 3 == 2;
    const std::int64_t opset = axis_mode ? 13 : (trial % 2 ? 10 : 13);
    const shape_t s = random_shape(rng, 1 + rng.below(3));
    const element_type zt = trial % 4 < 2 ? u8 : s8;
    const bool omit_zp = trial % 5 == 0;
    const element_type out = omit_zp ? u8 : zt;
    i64 ax = 1 % static_cast<i64>(s.size());
    std::size_t count = 1;
    if (axis_mode) {
      ax = static_cast<i64>(rng.below(s.size()));
      count = static_cast<std::size_t>(s[static_cast<std::size_t>(ax)]);
    }
    std::vector<float> sc(count);
    std::vector<i64> zp(count);
    for (std::size_t k = 0; k < count; ++k) {
      sc[k] = random_scale(rng);
      zp[k] = omit_zp ? 0 : random_int(rng, zt) / 2;
    }
    std::vector<float> xv(static_cast<std::size_t>(num_elements(s)));
    const i64 inner = axis_mode ? product_of(s, ax) : 1;
    for (std::size_t i = 0; i < xv.size(); ++i) {
      const std::size_t k =
          axis_mode ? static_cast<std::size_t>((static_cast<i64>(i) / inner) % s[static_cast<std::size_t>(ax)]) : 0;
      const int kind = static_cast<int>(rng.below(3));
      // a tie (k + 0.5) * scale, a value far out of range, or a random one
      const float q = kind == 0   ? static_cast<float>(static_cast<i64>(rng.below(301)) - 150) + 0.5f
                      : kind == 1 ? static_cast<float>(rng.below(2) ? 400 : -400)
                                  : static_cast<float>(static_cast<i64>(rng.below(60001)) - 30000) / 100.0f;
      xv[i] = q * sc[k];
    }
    model_builder m(opset);
    m.input("x", s).output("y", out);
    std::vector<std::string> ins{"x", "s"};
    if (axis_mode) {
      m.initializer("s", floats({static_cast<i64>(count)}, sc));
      if (!omit_zp) m.initializer("z", tensor::integers({static_cast<i64>(count)}, zp, zt));
    } else {
      m.initializer("s", floats({}, sc));
      if (!omit_zp) m.initializer("z", tensor::integers({}, zp, zt));
    }
    if (!omit_zp) ins.push_back("z");
    auto& n = m.node("QuantizeLinear", ins, {"y"});
    const i64 attr_axis = rng.below(2) ? ax - static_cast<i64>(s.size()) : ax;
    if (axis_mode && !(ax == 1 && rng.below(2))) set_int(n, "axis", attr_axis);
    const tensor y = run(m, {{"x", floats(s, xv)}}).at("y");
    ASSERT_EQ(y.type, out);
    ASSERT_EQ(y.shape, s);
    for (std::size_t i = 0; i < xv.size(); ++i) {
      const std::size_t k =
          axis_mode ? static_cast<std::size_t>((static_cast<i64>(i) / inner) % s[static_cast<std::size_t>(ax)]) : 0;
      const float q = xv[i] / sc[k];  // the quotient in float32, as the spec's x / y_scale
      if (q - std::floor(q) == 0.5f) ++ties;
      const double r = round_even(q) + static_cast<double>(zp[k]);
      const auto [lo, hi] = integer_range(out);
      if (r < static_cast<double>(lo) || r > static_cast<double>(hi)) ++saturated;
      ASSERT_EQ(y.ints[i], clamp(out, r)) << "x " << xv[i] << " scale " << sc[k] << " zp " << zp[k];
    }
  }
  EXPECT_GT(ties, 50);
  EXPECT_GT(saturated, 20);
}

TEST(ReferenceQuantized, DequantizeLinearIsXMinusZeroPointTimesScalePerTensorAndPerAxis) {
  ciro::test::seeded_rng rng;
  for (int trial = 0; trial < 40; ++trial) {
    const shape_t s = random_shape(rng, 1 + rng.below(3));
    const element_type xt = trial % 5 == 4 ? i32 : trial % 2 ? u8 : s8;
    const bool axis_mode = xt != i32 && trial % 3 == 0;
    const bool omit_zp = xt == i32 || trial % 4 == 1;
    const i64 ax = axis_mode ? static_cast<i64>(rng.below(s.size())) : 0;
    const std::size_t count = axis_mode ? static_cast<std::size_t>(s[static_cast<std::size_t>(ax)]) : 1;
    std::vector<float> sc(count);
    std::vector<i64> zp(count);
    for (std::size_t k = 0; k < count; ++k) {
      sc[k] = random_scale(rng);
      zp[k] = omit_zp ? 0 : random_int(rng, xt);
    }
    tensor x = xt == i32 ? tensor::integers(s, std::vector<i64>(static_cast<std::size_t>(num_elements(s))), i32)
                         : random_ints(rng, s, xt);
    if (xt == i32)
      for (auto& v : x.ints) v = static_cast<i64>(rng.below(2'000'001)) - 1'000'000;
    model_builder m(axis_mode ? 13 : (trial % 2 ? 10 : 13));
    m.input("x", s, xt).output("y");
    const shape_t ps = axis_mode ? shape_t{static_cast<i64>(count)} : shape_t{};
    m.initializer("s", floats(ps, sc));
    std::vector<std::string> ins{"x", "s"};
    if (!omit_zp) {
      m.initializer("z", tensor::integers(ps, zp, xt));
      ins.push_back("z");
    }
    auto& n = m.node("DequantizeLinear", ins, {"y"});
    if (axis_mode) set_int(n, "axis", ax);
    const tensor y = run(m, {{"x", x}}).at("y");
    ASSERT_EQ(y.type, f32);
    ASSERT_EQ(y.shape, s);
    const i64 inner = product_of(s, ax);
    for (std::size_t i = 0; i < x.ints.size(); ++i) {
      const std::size_t k =
          axis_mode ? static_cast<std::size_t>((static_cast<i64>(i) / inner) % s[static_cast<std::size_t>(ax)]) : 0;
      const float want = static_cast<float>(x.ints[i] - zp[k]) * sc[k];
      ASSERT_EQ(y.data[i], static_cast<double>(want)) << "at " << i;
    }
  }
}

/// The 2-D (M x K) x (K x N) integer product with per-row / per-column zero points, the obvious way.
std::vector<i64> direct_matmul(const tensor& a, const tensor& b, i64 m, i64 k, i64 n, i64 batch_a, i64 batch_b,
                               const std::vector<i64>& azp, const std::vector<i64>& bzp, i64 bi) {
  std::vector<i64> out(static_cast<std::size_t>(m * n));
  for (i64 i = 0; i < m; ++i) {
    for (i64 j = 0; j < n; ++j) {
      i64 s = 0;
      for (i64 q = 0; q < k; ++q) {
        const i64 av = a.ints[static_cast<std::size_t>((batch_a > 1 ? bi : 0) * m * k + i * k + q)];
        const i64 bv = b.ints[static_cast<std::size_t>((batch_b > 1 ? bi : 0) * k * n + q * n + j)];
        s += (av - azp[azp.size() == 1 ? 0 : static_cast<std::size_t>(i)]) *
             (bv - bzp[bzp.size() == 1 ? 0 : static_cast<std::size_t>(j)]);
      }
      out[static_cast<std::size_t>(i * n + j)] = s;
    }
  }
  return out;
}

TEST(ReferenceQuantized, MatMulIntegerAndQLinearMatMulMatchADirectProduct) {
  ciro::test::seeded_rng rng;
  int ties = 0, saturated = 0;
  for (int trial = 0; trial < 48; ++trial) {
    const bool qlinear = trial % 2 == 1;
    const element_type at = trial % 4 < 2 ? u8 : s8, bt = trial % 8 < 4 ? s8 : u8, yt = trial % 3 ? u8 : s8;
    const i64 m = 1 + static_cast<i64>(rng.below(4)), k = 1 + static_cast<i64>(rng.below(6)),
              n = 1 + static_cast<i64>(rng.below(4));
    const i64 batch = trial % 6 == 0 ? 2 : 1, batch_a = batch, batch_b = trial % 12 == 0 ? 1 : batch;
    const shape_t as = batch > 1 ? shape_t{batch_a, m, k} : shape_t{m, k};
    const shape_t bs = batch_b > 1 ? shape_t{batch_b, k, n} : shape_t{k, n};
    const tensor a = random_ints(rng, as, at), b = random_ints(rng, bs, bt);
    const bool per_row = !qlinear && rng.below(2), per_col = rng.below(2);
    std::vector<i64> azp(per_row ? static_cast<std::size_t>(m) : 1), bzp(per_col ? static_cast<std::size_t>(n) : 1);
    for (auto& z : azp) z = random_int(rng, at);
    for (auto& z : bzp) z = random_int(rng, bt);
    model_builder mb(qlinear ? 10 : (trial % 4 == 0 ? 10 : 13));
    mb.input("a", as, at).input("b", bs, bt).output("y", qlinear ? yt : i32);
    const shape_t azs = per_row ? shape_t{m} : shape_t{}, bzs = per_col ? shape_t{n} : shape_t{};
    mb.initializer("az", tensor::integers(azs, azp, at)).initializer("bz", tensor::integers(bzs, bzp, bt));
    std::vector<float> asc{random_scale(rng)}, bsc(per_col ? static_cast<std::size_t>(n) : 1), ysc{0};
    i64 yzp = 0;
    if (qlinear) {
      for (auto& v : bsc) v = random_scale(rng);
      // y_scale a power of two times the product, so that some requantized values are exact ties,
      // and sometimes small, so that many saturate.
      ysc[0] = rng.below(2) ? std::ldexp(1.0f, static_cast<int>(rng.below(4))) : random_scale(rng) / 50.0f;
      if (trial % 3 == 1) asc[0] = 0.5f, bsc.assign(bsc.size(), 1.0f), ysc[0] = 1.0f;  // multiplier 0.5
      yzp = random_int(rng, yt) / 2;
      mb.initializer("as", floats({}, asc)).initializer("bs", floats(bzs, bsc)).initializer("ys", floats({}, ysc));
      mb.initializer("yz", tensor::integers({}, {yzp}, yt));
      mb.node("QLinearMatMul", {"a", "as", "az", "b", "bs", "bz", "ys", "yz"}, {"y"});
    } else if (trial % 7 == 0) {
      mb.node("MatMulInteger", {"a", "b"}, {"y"});  // zero points omitted: 0
      azp.assign(1, 0);
      bzp.assign(1, 0);
    } else {
      mb.node("MatMulInteger", {"a", "b", "az", "bz"}, {"y"});
    }
    const tensor y = run(mb, {{"a", a}, {"b", b}}).at("y");
    ASSERT_EQ(y.type, qlinear ? yt : i32);
    const shape_t ys_shape = batch > 1 ? shape_t{batch, m, n} : shape_t{m, n};
    ASSERT_EQ(y.shape, ys_shape);
    for (i64 bi = 0; bi < batch; ++bi) {
      const auto acc = direct_matmul(a, b, m, k, n, batch_a, batch_b, azp, bzp, bi);
      for (i64 ij = 0; ij < m * n; ++ij) {
        const i64 got = y.ints[static_cast<std::size_t>(bi * m * n + ij)];
        const i64 exact = acc[static_cast<std::size_t>(ij)];
        if (!qlinear) {
          ASSERT_EQ(got, exact) << "at " << ij;
          continue;
        }
        const i64 j = ij % n;
        const float mult = asc[0] * bsc[per_col ? static_cast<std::size_t>(j) : 0] / ysc[0];
        const float v = static_cast<float>(exact) * mult;
        if (v - std::floor(v) == 0.5f) ++ties;
        const double r = round_even(v) + static_cast<double>(yzp);
        const auto [lo, hi] = integer_range(yt);
        if (r < static_cast<double>(lo) || r > static_cast<double>(hi)) ++saturated;
        ASSERT_EQ(got, clamp(yt, r)) << "acc " << exact << " multiplier " << mult;
      }
    }
  }
  EXPECT_GT(ties, 10);
  EXPECT_GT(saturated, 5);
}

TEST(ReferenceQuantized, ConvIntegerAndQLinearConvMatchADirectConvolution) {
  ciro::test::seeded_rng rng;
  int ties = 0;
  for (int trial = 0; trial < 32; ++trial) {
    const bool qlinear = trial % 2 == 1;
    const element_type xt = trial % 4 < 2 ? u8 : s8, wt = trial % 8 < 4 ? s8 : u8, yt = trial % 3 ? u8 : s8;
    const i64 group = trial % 3 == 0 ? 2 : 1;
    const i64 nb = 1 + static_cast<i64>(rng.below(2)), cg = 1 + static_cast<i64>(rng.below(2)), ch = cg * group;
    const i64 mg = 1 + static_cast<i64>(rng.below(2)), mm = mg * group;
    const i64 h = 3 + static_cast<i64>(rng.below(3)), wd = 3 + static_cast<i64>(rng.below(3));
    const i64 kh = 1 + static_cast<i64>(rng.below(3)), kw = 1 + static_cast<i64>(rng.below(3));
    const i64 stride = 1 + static_cast<i64>(rng.below(2)), pad = static_cast<i64>(rng.below(2));
    const tensor x = random_ints(rng, {nb, ch, h, wd}, xt), w = random_ints(rng, {mm, cg, kh, kw}, wt);
    const i64 xzp = random_int(rng, xt);
    const bool per_ch = rng.below(2);
    std::vector<i64> wzp(per_ch ? static_cast<std::size_t>(mm) : 1);
    for (auto& z : wzp) z = random_int(rng, wt);
    const shape_t wzs = per_ch ? shape_t{mm} : shape_t{};
    std::vector<float> wsc(wzp.size());
    for (auto& v : wsc) v = random_scale(rng);
    float xsc = random_scale(rng), ysc = rng.below(2) ? std::ldexp(1.0f, 3) : random_scale(rng);
    if (trial % 4 == 1) xsc = 0.5f, wsc.assign(wsc.size(), 1.0f), ysc = 1.0f;  // multiplier 0.5: ties
    const i64 yzp = random_int(rng, yt) / 2;
    std::vector<i64> bias(static_cast<std::size_t>(mm));
    for (auto& v : bias) v = static_cast<i64>(rng.below(20001)) - 10000;
    const bool with_bias = qlinear && rng.below(2);
    model_builder mb(10);
    mb.input("x", x.shape, xt).output("y", qlinear ? yt : i32);
    mb.initializer("w", w)
        .initializer("xz", tensor::integers({}, {xzp}, xt))
        .initializer("wz", tensor::integers(wzs, wzp, wt));
    onnx::NodeProto* n = nullptr;
    if (qlinear) {
      mb.initializer("xs", floats({}, {xsc})).initializer("ws", floats(wzs, wsc)).initializer("ys", floats({}, {ysc}));
      mb.initializer("yz", tensor::integers({}, {yzp}, yt)).initializer("b", tensor::integers({mm}, bias, i32));
      std::vector<std::string> ins{"x", "xs", "xz", "w", "ws", "wz", "ys", "yz"};
      if (with_bias) ins.push_back("b");
      n = &mb.node("QLinearConv", ins, {"y"});
    } else {
      n = &mb.node("ConvInteger", {"x", "w", "xz", "wz"}, {"y"});
    }
    set_ints(*n, "strides", {stride, stride});
    set_ints(*n, "pads", {pad, pad, pad, pad});
    if (group > 1) set_int(*n, "group", group);
    const tensor y = run(mb, {{"x", x}}).at("y");
    const i64 oh = (h + 2 * pad - kh) / stride + 1, ow = (wd + 2 * pad - kw) / stride + 1;
    ASSERT_EQ(y.shape, (shape_t{nb, mm, oh, ow}));
    ASSERT_EQ(y.type, qlinear ? yt : i32);
    for (i64 b = 0; b < nb; ++b) {
      for (i64 f = 0; f < mm; ++f) {
        const std::size_t fk = per_ch ? static_cast<std::size_t>(f) : 0;
        for (i64 oy = 0; oy < oh; ++oy) {
          for (i64 ox = 0; ox < ow; ++ox) {
            i64 s = with_bias ? bias[static_cast<std::size_t>(f)] : 0;
            for (i64 q = 0; q < cg; ++q) {
              const i64 c = (f / mg) * cg + q;
              for (i64 ky = 0; ky < kh; ++ky) {
                for (i64 kx = 0; kx < kw; ++kx) {
                  const i64 iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                  const i64 xv = iy < 0 || iy >= h || ix < 0 || ix >= wd
                                     ? xzp
                                     : x.ints[static_cast<std::size_t>(ravel({b, c, iy, ix}, x.shape))];
                  s += (xv - xzp) * (w.ints[static_cast<std::size_t>(ravel({f, q, ky, kx}, w.shape))] - wzp[fk]);
                }
              }
            }
            const i64 got = y.ints[static_cast<std::size_t>(ravel({b, f, oy, ox}, y.shape))];
            if (!qlinear) {
              ASSERT_EQ(got, s);
              continue;
            }
            const float v = static_cast<float>(s) * (xsc * wsc[fk] / ysc);
            if (v - std::floor(v) == 0.5f) ++ties;
            ASSERT_EQ(got, clamp(yt, round_even(v) + static_cast<double>(yzp))) << "acc " << s;
          }
        }
      }
    }
  }
  EXPECT_GT(ties, 5);
}

TEST(ReferenceQuantized, RefusesWhatTheSpecificationRulesOut) {
  model_builder m(10);
  m.input("x", {2, 3}).output("y", u8);
  m.initializer("s", floats({3}, {1, 2, 3}));
  m.node("QuantizeLinear", {"x", "s"}, {"y"});  // per-axis before opset 13
  EXPECT_NE(run_error(m, {{"x", tensor::floats({2, 3}, std::vector<double>(6, 1.0))}}).find("opset 13"),
            std::string::npos);
  model_builder d(13);
  d.input("x", {2, 3}, u8).output("y");
  d.initializer("s", floats({}, {1})).initializer("z", tensor::integers({}, {1}, s8));
  d.node("DequantizeLinear", {"x", "s", "z"}, {"y"});  // zero point of another type
  EXPECT_NE(run_error(d, {{"x", tensor::integers({2, 3}, std::vector<i64>(6, 1), u8)}}).find("element type"),
            std::string::npos);
}

// Found by fuzz/model_fuzzer (ONNX's qlinearmatmul_2D test model run on zero inputs): a zero scale
// made 0 / 0 (or 0 times an infinite multiplier) a NaN, which was cast to an integer (undefined).
TEST(ReferenceQuantized, RefusesANaNQuantizedValueFromAZeroScale) {
  model_builder q(13);
  q.input("x", {2}).output("y", u8);
  q.initializer("s", floats({}, {0}));
  q.node("QuantizeLinear", {"x", "s"}, {"y"}, "quantize");
  EXPECT_EQ(run_error(q, {{"x", floats({2}, {1, 0})}}),
            "node 'quantize' (QuantizeLinear, opset 13): x / y_scale is NaN at index 1 (a zero or infinite scale)");
  model_builder m(10);
  m.input("a", {1, 2}, u8).input("b", {2, 1}, u8).output("y", u8);
  m.initializer("as", floats({}, {0})).initializer("az", tensor::integers({}, {0}, u8));
  m.initializer("bs", floats({}, {1})).initializer("bz", tensor::integers({}, {0}, u8));
  m.initializer("ys", floats({}, {0})).initializer("yz", tensor::integers({}, {0}, u8));
  m.node("QLinearMatMul", {"a", "as", "az", "b", "bs", "bz", "ys", "yz"}, {"y"}, "qmm");
  EXPECT_EQ(run_error(m, {{"a", tensor::integers({1, 2}, {0, 0}, u8)}, {"b", tensor::integers({2, 1}, {1, 2}, u8)}}),
            "node 'qmm' (QLinearMatMul, opset 10): requantizing the accumulator 0 gives NaN (a zero or infinite "
            "scale)");
}

}  // namespace
