// The quantized operators of the reference (ONNX opsets 10 to 17), computed as ONNX Runtime's CPU
// kernels compute them: QuantizeLinear, DequantizeLinear, QLinearMatMul, QLinearConv, MatMulInteger,
// ConvInteger.
//
// Exactly what is implemented (scales are FLOAT, read as float32; every float step below is one
// IEEE float32 operation, rounded to nearest even):
//  - Zero points are UINT8 or INT8 and decide the output type of QuantizeLinear / QLinear*; an
//    omitted zero point is 0 (UINT8 for QuantizeLinear's output type).
//  - Per-tensor parameters: a scalar or a 1-element tensor. Per-axis (QuantizeLinear and
//    DequantizeLinear, opset >= 13): a 1-D scale (and zero point of the same shape) of length
//    shape[axis], `axis` defaulting to 1 (negative counts from the back).
//  - QuantizeLinear: y = saturate(nearbyint_even(float(x) / scale) + zp) (x FLOAT or INT32).
//  - DequantizeLinear: y = float(float(x - zp) * scale), FLOAT (x INT8, UINT8 or INT32; INT32 takes
//    no nonzero zero point).
//  - MatMulInteger / ConvInteger: y = sum (a - a_zp) * (b - b_zp), accumulated exactly in int64 and
//    wrapped to INT32 (the two's complement result of ONNX Runtime's int32 accumulation). MatMulInteger
//    takes a per-row a_zero_point (1-D of M) and a per-column b_zero_point (1-D of N); ConvInteger
//    a per-tensor x_zero_point and a per-output-channel w_zero_point (1-D of M).
//  - QLinearMatMul / QLinearConv: acc = the int32 accumulator as above (QLinearConv adds the INT32
//    bias B[m]); multiplier = float(float(a_scale * b_scale) / y_scale) (per output column n for a
//    per-column b / y, per row for a per-row a, per output channel m for QLinearConv's w);
//    y = saturate(nearbyint_even(float(acc) * multiplier) + y_zp). This is MLAS's requantization
//    (it clamps to [min - zp, max - zp] before rounding, which gives the same integers).

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "zkml/ops.hpp"

namespace ciro::zkml::ops {

namespace {

bool is_8bit(element_type t) { return t == element_type::int8 || t == element_type::uint8; }

/// Round half to even in float32 (the default rounding mode; nearbyint does not raise inexact).
float round_even(float v) { return std::nearbyint(v); }

std::int64_t saturate(element_type t, float v) {
  const auto [lo, hi] = integer_range(t);
  if (v <= static_cast<float>(lo)) return lo;
  if (v >= static_cast<float>(hi)) return hi;
  return static_cast<std::int64_t>(v);
}

std::int64_t saturate_int(element_type t, std::int64_t v) {
  const auto [lo, hi] = integer_range(t);
  return v < lo ? lo : v > hi ? hi : v;
}

/// A scale (FLOAT) and an optional zero point (UINT8 / INT8) input: per-tensor (one value) or 1-D.
struct qparams {
  std::vector<float> scale;
  std::vector<std::int64_t> zp;  // same length as scale
  element_type zp_type = element_type::uint8;
  bool has_zp = false;
  [[nodiscard]] bool per_tensor() const { return scale.size() == 1; }
  [[nodiscard]] float s(std::size_t i) const { return scale[per_tensor() ? 0 : i]; }
  [[nodiscard]] std::int64_t z(std::size_t i) const { return zp[zp.size() == 1 ? 0 : i]; }
};

qparams read_qparams(const op_context& c, std::size_t scale_i, std::size_t zp_i, bool zp_int32_ok = false) {
  qparams p;
  const tensor& s = c.input(scale_i);
  if (s.type != element_type::float32) c.unsupported_type(s.type);
  if (s.shape.size() > 1) c.invalid("input " + std::to_string(scale_i) + " (a scale) must be a scalar or 1-D");
  for (double v : s.data) p.scale.push_back(static_cast<float>(v));
  if (p.scale.empty()) c.invalid("input " + std::to_string(scale_i) + " (a scale) is empty");
  const tensor* z = c.optional(zp_i);
  if (z) {
    if (!is_8bit(z->type) && !(zp_int32_ok && z->type == element_type::int32)) c.unsupported_type(z->type);
    if (z->shape != s.shape)
      c.invalid("input " + std::to_string(zp_i) + " (a zero point) does not have its scale's shape");
    p.zp = z->ints;
    p.zp_type = z->type;
    p.has_zp = true;
  } else {
    p.zp = {0};
  }
  return p;
}

/// For an element-wise QuantizeLinear / DequantizeLinear: index of the parameter used at flat
/// index i of x.
struct axis_index {
  std::int64_t inner = 1, extent = 1;
  bool per_tensor = true;
  [[nodiscard]] std::size_t at(std::size_t i) const {
    return per_tensor ? 0 : static_cast<std::size_t>((static_cast<std::int64_t>(i) / inner) % extent);
  }
};

axis_index per_axis(const op_context& c, const tensor& x, const qparams& p) {
  axis_index a;
  if (p.per_tensor() && p.zp.size() == 1) return a;
  if (c.n.opset < 13) c.invalid("per-axis quantization needs opset 13");
  const std::int64_t ax = c.axis(c.attr_int("axis", 1), x.shape.size());
  a.per_tensor = false;
  a.extent = x.shape[static_cast<std::size_t>(ax)];
  a.inner = product(x.shape, static_cast<std::size_t>(ax) + 1, x.shape.size());
  if (static_cast<std::int64_t>(p.scale.size()) != a.extent ||
      (p.has_zp && static_cast<std::int64_t>(p.zp.size()) != a.extent))
    c.invalid("per-axis scale and zero point must have " + std::to_string(a.extent) + " elements");
  return a;
}

std::vector<tensor> op_quantize_linear(const op_context& c) {
  const tensor& x = c.input(0);
  if (x.type != element_type::float32 && x.type != element_type::int32) c.unsupported_type(x.type);
  const qparams p = read_qparams(c, 1, 2);
  const axis_index a = per_axis(c, x, p);
  tensor y = tensor::zeros(x.shape, p.zp_type);
  for (std::size_t i = 0; i < y.ints.size(); ++i) {
    const std::size_t k = a.at(i);
    const float xv = x.is_integer() ? static_cast<float>(x.ints[i]) : static_cast<float>(x.data[i]);
    const float q = round_even(xv / p.s(k));
    if (std::isnan(q)) c.invalid("x / y_scale is NaN at index " + std::to_string(i) + " (a zero or infinite scale)");
    // q + zp in float, as ONNX Runtime does (|q| beyond 2^24 saturates anyway).
    y.ints[i] = saturate(p.zp_type, q + static_cast<float>(p.z(k)));
  }
  return {y};
}

std::vector<tensor> op_dequantize_linear(const op_context& c) {
  const tensor& x = c.input(0);
  if (!is_8bit(x.type) && x.type != element_type::int32) c.unsupported_type(x.type);
  const qparams p = read_qparams(c, 1, 2, true);
  if (p.has_zp && p.zp_type != x.type) c.invalid("x_zero_point must have x's element type");
  if (x.type == element_type::int32)
    for (auto z : p.zp)
      if (z != 0) c.invalid("an INT32 x takes no nonzero zero point");
  const axis_index a = per_axis(c, x, p);
  tensor y = tensor::zeros(x.shape, element_type::float32);
  for (std::size_t i = 0; i < y.data.size(); ++i) {
    const std::size_t k = a.at(i);
    y.data[i] = static_cast<double>(static_cast<float>(x.ints[i] - p.z(k)) * p.s(k));
  }
  return {y};
}

/// The int32 result of ONNX Runtime's int32 accumulation of an exact int64 sum.
std::int64_t to_int32(std::int64_t v) { return wrap_to(element_type::int32, v); }

/// A zero point input (8-bit, its tensor's type) of 1 value or `n` values (per row / column).
std::vector<std::int64_t> zero_points(const op_context& c, std::size_t i, element_type want, std::int64_t n,
                                      const char* what) {
  const tensor* z = c.optional(i);
  if (!z) return {0};
  if (z->type != want) c.invalid(std::string(what) + " must have its tensor's element type");
  if (num_elements(z->shape) == 1) return z->ints;
  if (z->shape.size() != 1 || z->shape[0] != n)
    c.fail(run_error_code::unsupported_attribute,
           std::string(what) + " must be a scalar or a 1-D tensor of " + std::to_string(n) + " elements");
  return z->ints;
}

std::int64_t pick(const std::vector<std::int64_t>& v, std::int64_t i) {
  return v[v.size() == 1 ? 0 : static_cast<std::size_t>(i)];
}
float pickf(const std::vector<float>& v, std::int64_t i) { return v[v.size() == 1 ? 0 : static_cast<std::size_t>(i)]; }

/// The exact int64 matrix product of a - a_zp and b - b_zp with numpy's batch broadcasting, each
/// element wrapped to int32. a_zp per row (M), b_zp per column (N) or single values.
struct int_matmul {
  shape_t shape;
  std::vector<std::int64_t> acc;
  std::int64_t m = 0, n = 0;
};

int_matmul integer_matmul(const op_context& c, const tensor& a, const tensor& b, const std::vector<std::int64_t>& azp,
                          const std::vector<std::int64_t>& bzp) {
  if (a.shape.empty() || b.shape.empty()) c.invalid("A and B must have rank >= 1");
  shape_t as = a.shape, bs = b.shape;
  const bool a1 = as.size() == 1, b1 = bs.size() == 1;
  if (a1) as.insert(as.begin(), 1);
  if (b1) bs.push_back(1);
  const std::int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  if (bs[bs.size() - 2] != k)
    c.invalid("inner dimensions differ: " + shape_string(a.shape) + " x " + shape_string(b.shape));
  const shape_t abatch(as.begin(), as.end() - 2), bbatch(bs.begin(), bs.end() - 2);
  const auto batch = broadcast_shapes(abatch, bbatch);
  if (!batch) c.invalid("batch dimensions do not broadcast");
  const auto amap = broadcast_map(abatch, *batch), bmap = broadcast_map(bbatch, *batch);
  int_matmul r;
  r.m = m;
  r.n = n;
  r.shape = *batch;
  if (!a1) r.shape.push_back(m);
  if (!b1) r.shape.push_back(n);
  r.acc.resize(amap.size() * static_cast<std::size_t>(m * n));
  for (std::size_t bi = 0; bi < amap.size(); ++bi) {
    const std::int64_t ao = amap[bi] * m * k, bo = bmap[bi] * k * n;
    for (std::int64_t i = 0; i < m; ++i) {
      for (std::int64_t j = 0; j < n; ++j) {
        std::int64_t s = 0;
        for (std::int64_t q = 0; q < k; ++q) {
          s += (a.ints[static_cast<std::size_t>(ao + i * k + q)] - pick(azp, i)) *
               (b.ints[static_cast<std::size_t>(bo + q * n + j)] - pick(bzp, j));
        }
        r.acc[bi * static_cast<std::size_t>(m * n) + static_cast<std::size_t>(i * n + j)] = to_int32(s);
      }
    }
  }
  return r;
}

std::vector<tensor> op_matmul_integer(const op_context& c) {
  const tensor& a = c.input(0);
  const tensor& b = c.input(1);
  if (!is_8bit(a.type)) c.unsupported_type(a.type);
  if (!is_8bit(b.type)) c.unsupported_type(b.type);
  const std::int64_t m = a.shape.size() >= 2 ? a.shape[a.shape.size() - 2] : 1;
  const std::int64_t n = b.shape.size() >= 2 ? b.shape.back() : 1;
  const auto azp = zero_points(c, 2, a.type, m, "a_zero_point");
  const auto bzp = zero_points(c, 3, b.type, n, "b_zero_point");
  int_matmul r = integer_matmul(c, a, b, azp, bzp);
  return {tensor::integers(r.shape, std::move(r.acc), element_type::int32)};
}

/// saturate(nearbyint_even(float(acc) * multiplier) + zp) in float32 (see the top of the file). A NaN
/// product (a NaN multiplier, or 0 times an infinite one) has no integer value: refused.
std::int64_t requantize(const op_context& c, std::int64_t acc, float multiplier, std::int64_t zp, element_type t) {
  const float v = round_even(static_cast<float>(acc) * multiplier);
  if (std::isnan(v))
    c.invalid("requantizing the accumulator " + std::to_string(acc) + " gives NaN (a zero or infinite scale)");
  const auto [lo, hi] = integer_range(t);
  if (v <= static_cast<float>(lo - zp)) return lo;
  if (v >= static_cast<float>(hi - zp)) return hi;
  return saturate_int(t, static_cast<std::int64_t>(v) + zp);
}

std::vector<float> scales(const op_context& c, std::size_t i, std::int64_t n, const char* what) {
  const tensor& s = c.input(i);
  if (s.type != element_type::float32) c.unsupported_type(s.type);
  std::vector<float> v;
  for (double d : s.data) v.push_back(static_cast<float>(d));
  if (v.size() == 1) return v;
  if (s.shape.size() != 1 || s.shape[0] != n)
    c.fail(run_error_code::unsupported_attribute,
           std::string(what) + " must be a scalar or a 1-D tensor of " + std::to_string(n) + " elements");
  return v;
}

std::vector<tensor> op_qlinear_matmul(const op_context& c) {
  const tensor& a = c.input(0);
  const tensor& b = c.input(3);
  if (!is_8bit(a.type)) c.unsupported_type(a.type);
  if (!is_8bit(b.type)) c.unsupported_type(b.type);
  const std::int64_t m = a.shape.size() >= 2 ? a.shape[a.shape.size() - 2] : 1;
  const std::int64_t n = b.shape.size() >= 2 ? b.shape.back() : 1;
  const auto as = scales(c, 1, m, "a_scale");
  const auto azp = zero_points(c, 2, a.type, m, "a_zero_point");
  const auto bs = scales(c, 4, n, "b_scale");
  const auto bzp = zero_points(c, 5, b.type, n, "b_zero_point");
  const auto ys = scales(c, 6, n, "y_scale");
  const tensor& yz = c.input(7);
  if (!is_8bit(yz.type)) c.unsupported_type(yz.type);
  const auto yzp = zero_points(c, 7, yz.type, n, "y_zero_point");
  int_matmul r = integer_matmul(c, a, b, azp, bzp);
  tensor y = tensor::zeros(r.shape, yz.type);
  for (std::size_t o = 0; o < r.acc.size(); ++o) {
    const auto ij = static_cast<std::int64_t>(o % static_cast<std::size_t>(r.m * r.n));
    const std::int64_t i = ij / r.n, j = ij % r.n;
    const float mult = pickf(as, i) * pickf(bs, j) / pickf(ys, j);
    y.ints[o] = requantize(c, r.acc[o], mult, pick(yzp, j), yz.type);
  }
  return {y};
}

/// The int32 accumulators of an integer convolution of x - x_zp with w - w_zp[m] (plus bias[m]).
tensor integer_conv(const op_context& c, const tensor& x, const tensor& wt, std::int64_t xzp,
                    const std::vector<std::int64_t>& wzp, const tensor* bias) {
  if (wt.shape.size() != x.shape.size()) c.invalid("X and W must have the same rank");
  const shape_t wk(wt.shape.begin() + 2, wt.shape.end());
  const shape_t kernel = c.attr_ints("kernel_shape", wk);
  if (kernel != wk) c.invalid("kernel_shape " + shape_string(kernel) + " differs from W's " + shape_string(wk));
  const window w = make_window(c, x.shape, kernel, false, true);
  const std::int64_t group = c.attr_int("group", 1);
  const std::int64_t nb = x.shape[0], ch = x.shape[1], m = wt.shape[0];
  if (group < 1 || ch % group != 0 || m % group != 0 || wt.shape[1] != ch / group)
    c.invalid("group " + std::to_string(group) + " does not fit X " + shape_string(x.shape) + " and W " +
              shape_string(wt.shape));
  if (bias && (bias->shape != shape_t{m} || bias->type != element_type::int32))
    c.invalid("B must be INT32 of shape [" + std::to_string(m) + "]");
  const std::int64_t cg = ch / group, mg = m / group;
  tensor y = tensor::zeros(window_output_shape(w, nb, m), element_type::int32);
  const auto& in = w.in;
  const auto& k = w.kernel;
  std::size_t o = 0;
  for (std::int64_t b = 0; b < nb; ++b) {
    for (std::int64_t f = 0; f < m; ++f) {
      const std::int64_t g = f / mg, wz = pick(wzp, f);
      for (std::int64_t o0 = 0; o0 < w.out[0]; ++o0) {
        for (std::int64_t o1 = 0; o1 < w.out[1]; ++o1) {
          for (std::int64_t o2 = 0; o2 < w.out[2]; ++o2, ++o) {
            std::int64_t s = bias ? bias->ints[static_cast<std::size_t>(f)] : 0;
            for (std::int64_t q = 0; q < cg; ++q) {
              const std::int64_t xc = ((b * ch) + g * cg + q) * in[0];
              const std::int64_t wc = ((f * cg) + q) * k[0];
              for (std::int64_t k0 = 0; k0 < k[0]; ++k0) {
                const std::int64_t i0 = o0 * w.stride[0] - w.pad_begin[0] + k0 * w.dilation[0];
                if (i0 < 0 || i0 >= in[0]) continue;  // padding: x - x_zp == 0 there
                for (std::int64_t k1 = 0; k1 < k[1]; ++k1) {
                  const std::int64_t i1 = o1 * w.stride[1] - w.pad_begin[1] + k1 * w.dilation[1];
                  if (i1 < 0 || i1 >= in[1]) continue;
                  for (std::int64_t k2 = 0; k2 < k[2]; ++k2) {
                    const std::int64_t i2 = o2 * w.stride[2] - w.pad_begin[2] + k2 * w.dilation[2];
                    if (i2 < 0 || i2 >= in[2]) continue;
                    s += (x.ints[static_cast<std::size_t>(((xc + i0) * in[1] + i1) * in[2] + i2)] - xzp) *
                         (wt.ints[static_cast<std::size_t>(((wc + k0) * k[1] + k1) * k[2] + k2)] - wz);
                  }
                }
              }
            }
            y.ints[o] = to_int32(s);
          }
        }
      }
    }
  }
  return y;
}

std::vector<tensor> op_conv_integer(const op_context& c) {
  const tensor& x = c.input(0);
  const tensor& w = c.input(1);
  if (!is_8bit(x.type)) c.unsupported_type(x.type);
  if (!is_8bit(w.type)) c.unsupported_type(w.type);
  if (w.shape.empty()) c.invalid("W must have rank >= 3");
  const auto xzp = zero_points(c, 2, x.type, 1, "x_zero_point");
  const auto wzp = zero_points(c, 3, w.type, w.shape[0], "w_zero_point");
  return {integer_conv(c, x, w, xzp[0], wzp, nullptr)};
}

std::vector<tensor> op_qlinear_conv(const op_context& c) {
  const tensor& x = c.input(0);
  const tensor& w = c.input(3);
  if (!is_8bit(x.type)) c.unsupported_type(x.type);
  if (!is_8bit(w.type)) c.unsupported_type(w.type);
  if (w.shape.empty()) c.invalid("W must have rank >= 3");
  const std::int64_t m = w.shape[0];
  const auto xs = scales(c, 1, 1, "x_scale");
  const auto xzp = zero_points(c, 2, x.type, 1, "x_zero_point");
  const auto ws = scales(c, 4, m, "w_scale");
  const auto wzp = zero_points(c, 5, w.type, m, "w_zero_point");
  const auto ys = scales(c, 6, 1, "y_scale");
  const tensor& yz = c.input(7);
  if (!is_8bit(yz.type)) c.unsupported_type(yz.type);
  const auto yzp = zero_points(c, 7, yz.type, 1, "y_zero_point");
  const tensor acc = integer_conv(c, x, w, xzp[0], wzp, c.optional(8));
  tensor y = tensor::zeros(acc.shape, yz.type);
  const std::int64_t inner = product(acc.shape, 2, acc.shape.size());
  for (std::size_t o = 0; o < acc.ints.size(); ++o) {
    const std::int64_t f = (static_cast<std::int64_t>(o) / inner) % m;
    const float mult = xs[0] * pickf(ws, f) / ys[0];
    y.ints[o] = requantize(c, acc.ints[o], mult, yzp[0], yz.type);
  }
  return {y};
}

}  // namespace

void add_quantized_ops(op_table& t) {
  t["QuantizeLinear"] = op_quantize_linear;
  t["DequantizeLinear"] = op_dequantize_linear;
  t["MatMulInteger"] = op_matmul_integer;
  t["ConvInteger"] = op_conv_integer;
  t["QLinearMatMul"] = op_qlinear_matmul;
  t["QLinearConv"] = op_qlinear_conv;
}

}  // namespace ciro::zkml::ops
