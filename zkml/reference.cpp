#include "zkml/reference.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <unordered_map>

#include <tbb/parallel_for.h>

#include "zkml/detail.hpp"
#include "zkml/ops.hpp"

namespace ciro::zkml {

namespace {

using namespace ops;

// ---------------------------------------------------------------------------------------------
// Elementwise

/// Add, Sub, Mul, Div with multidirectional broadcasting.
tensor binary(const op_context& c, char op) {
  const tensor& a = c.input(0);
  const tensor& b = c.input(1);
  if (a.type != b.type) {
    c.invalid(std::string("inputs have different element types ") + element_type_name(a.type) + " and " +
              element_type_name(b.type));
  }
  const auto shape = broadcast_shapes(a.shape, b.shape);
  if (!shape) c.invalid("shapes " + shape_string(a.shape) + " and " + shape_string(b.shape) + " do not broadcast");
  const auto ia = broadcast_map(a.shape, *shape);
  const auto ib = broadcast_map(b.shape, *shape);
  tensor y = tensor::zeros(*shape, a.type);
  if (a.is_integer()) {
    if (a.type == element_type::boolean) c.fail(run_error_code::unsupported_type, "element type BOOL is not supported");
    for (std::size_t o = 0; o < ia.size(); ++o) {
      const std::int64_t u = a.ints[static_cast<std::size_t>(ia[o])];
      const std::int64_t v = b.ints[static_cast<std::size_t>(ib[o])];
      const auto uu = static_cast<std::uint64_t>(u), uv = static_cast<std::uint64_t>(v);
      std::int64_t r = 0;
      switch (op) {
        case '+':
          r = wrapping(uu + uv);
          break;
        case '-':
          r = wrapping(uu - uv);
          break;
        case '*':
          r = wrapping(uu * uv);
          break;
        default:
          if (v == 0) c.invalid("integer division by zero");
          r = (u == INT64_MIN && v == -1) ? INT64_MIN : u / v;
      }
      y.ints[o] = wrap_to(a.type, r);
    }
    return y;
  }
  for (std::size_t o = 0; o < ia.size(); ++o) {
    const double u = a.data[static_cast<std::size_t>(ia[o])];
    const double v = b.data[static_cast<std::size_t>(ib[o])];
    y.data[o] = op == '+' ? u + v : op == '-' ? u - v : op == '*' ? u * v : u / v;
  }
  return y;
}

std::vector<tensor> op_relu(const op_context& c) {
  const tensor& x = c.input(0);
  if (x.is_integer()) {
    if (c.n.opset < 14) c.fail(run_error_code::unsupported_type, "integer Relu needs opset 14");
    tensor y = x;
    for (auto& v : y.ints) v = std::max<std::int64_t>(v, 0);
    return {y};
  }
  return {unary_float(c, [](double v) { return v > 0 ? v : 0.0; })};
}

double sigmoid(double v) {
  if (v >= 0) return 1.0 / (1.0 + std::exp(-v));
  const double e = std::exp(v);
  return e / (1.0 + e);
}

std::vector<tensor> op_clip(const op_context& c) {
  const tensor& x = c.input(0);
  if (c.n.opset < 11) {
    const tensor& xf = c.floating(0);
    const double lo = c.attr_float("min", -static_cast<double>(std::numeric_limits<float>::max()));
    const double hi = c.attr_float("max", static_cast<double>(std::numeric_limits<float>::max()));
    tensor y = xf;
    for (auto& v : y.data) v = std::min(std::max(v, lo), hi);
    return {y};
  }
  if (x.is_integer() && c.n.opset < 12) c.fail(run_error_code::unsupported_type, "integer Clip needs opset 12");
  auto bound = [&](std::size_t i) -> const tensor* {
    const tensor* t = c.optional(i);
    if (!t) return nullptr;
    if (t->size() != 1) c.invalid("input " + std::to_string(i) + " must be a scalar, not " + shape_string(t->shape));
    if (t->type != x.type) c.invalid("input " + std::to_string(i) + " has a different element type");
    return t;
  };
  const tensor* lo = bound(1);
  const tensor* hi = bound(2);
  tensor y = x;
  if (x.is_integer()) {
    const auto [tmin, tmax] = integer_range(x.type);
    const std::int64_t l = lo ? lo->ints[0] : tmin, h = hi ? hi->ints[0] : tmax;
    for (auto& v : y.ints) v = std::min(std::max(v, l), h);
  } else {
    const double l = lo ? lo->data[0] : -std::numeric_limits<double>::infinity();
    const double h = hi ? hi->data[0] : std::numeric_limits<double>::infinity();
    for (auto& v : y.data) v = std::min(std::max(v, l), h);
  }
  return {y};
}

// ---------------------------------------------------------------------------------------------
// Linear algebra

std::vector<tensor> op_matmul(const op_context& c) {
  const tensor& a = c.input(0);
  const tensor& b = c.input(1);
  if (a.type != b.type) c.invalid("inputs have different element types");
  if (a.type == element_type::boolean) c.fail(run_error_code::unsupported_type, "element type BOOL is not supported");
  if (a.shape.empty() || b.shape.empty()) c.invalid("inputs must have rank >= 1");
  const bool a1 = a.shape.size() == 1, b1 = b.shape.size() == 1;
  const shape_t sa = a1 ? shape_t{1, a.shape[0]} : a.shape;
  const shape_t sb = b1 ? shape_t{b.shape[0], 1} : b.shape;
  const std::int64_t m = sa[sa.size() - 2], k = sa[sa.size() - 1], k2 = sb[sb.size() - 2], n = sb[sb.size() - 1];
  if (k != k2) c.invalid("shapes " + shape_string(a.shape) + " and " + shape_string(b.shape) + " do not multiply");
  const shape_t batch_a(sa.begin(), sa.end() - 2), batch_b(sb.begin(), sb.end() - 2);
  const auto batch = broadcast_shapes(batch_a, batch_b);
  if (!batch)
    c.invalid("batch dimensions " + shape_string(batch_a) + " and " + shape_string(batch_b) + " do not broadcast");
  const auto map_a = broadcast_map(batch_a, *batch), map_b = broadcast_map(batch_b, *batch);
  shape_t out = *batch;
  if (!a1) out.push_back(m);
  if (!b1) out.push_back(n);
  tensor y = tensor::zeros(out, a.type);
  const std::size_t mk = static_cast<std::size_t>(m * k), kn = static_cast<std::size_t>(k * n);
  // One task per output row (batch p, row i); each element's sum runs in a fixed order.
  tbb::parallel_for(std::int64_t{0}, static_cast<std::int64_t>(map_a.size()) * m, [&](std::int64_t pi) {
    const auto p = static_cast<std::size_t>(pi / m);
    const std::int64_t i = pi % m;
    const std::size_t oa = static_cast<std::size_t>(map_a[p]) * mk, ob = static_cast<std::size_t>(map_b[p]) * kn;
    for (std::int64_t j = 0; j < n; ++j) {
      const std::size_t o = p * static_cast<std::size_t>(m * n) + static_cast<std::size_t>(i * n + j);
      if (a.is_integer()) {
        std::uint64_t s = 0;
        for (std::int64_t t = 0; t < k; ++t) {
          s += static_cast<std::uint64_t>(a.ints[oa + static_cast<std::size_t>(i * k + t)]) *
               static_cast<std::uint64_t>(b.ints[ob + static_cast<std::size_t>(t * n + j)]);
        }
        y.ints[o] = wrap_to(a.type, wrapping(s));
      } else {
        double s = 0;
        for (std::int64_t t = 0; t < k; ++t) {
          s += a.data[oa + static_cast<std::size_t>(i * k + t)] * b.data[ob + static_cast<std::size_t>(t * n + j)];
        }
        y.data[o] = s;
      }
    }
  });
  return {y};
}

std::vector<tensor> op_gemm(const op_context& c) {
  const tensor& a = c.floating(0);
  const tensor& b = c.floating(1);
  const tensor* bias = c.optional(2);
  if (!bias && c.n.opset < 11) c.invalid("input C is required before opset 11");
  if (bias && bias->is_integer()) c.fail(run_error_code::unsupported_type, "integer C is not supported");
  if (a.shape.size() != 2 || b.shape.size() != 2) c.invalid("A and B must be matrices");
  const double alpha = c.attr_float("alpha", 1.0), beta = c.attr_float("beta", 1.0);
  const bool ta = c.attr_int("transA", 0) != 0, tb = c.attr_int("transB", 0) != 0;
  const std::int64_t m = ta ? a.shape[1] : a.shape[0], k = ta ? a.shape[0] : a.shape[1];
  const std::int64_t k2 = tb ? b.shape[1] : b.shape[0], n = tb ? b.shape[0] : b.shape[1];
  if (k != k2) c.invalid("shapes " + shape_string(a.shape) + " and " + shape_string(b.shape) + " do not multiply");
  const shape_t out{m, n};
  std::vector<std::int64_t> map_c;
  if (bias) {
    if (!broadcasts_to(bias->shape, out))
      c.invalid("C of shape " + shape_string(bias->shape) + " does not broadcast to " + shape_string(out));
    map_c = broadcast_map(bias->shape, out);
  }
  tensor y = tensor::zeros(out, a.type);
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (std::int64_t t = 0; t < k; ++t) {
        const double u = a.data[static_cast<std::size_t>(ta ? t * m + i : i * k + t)];
        const double v = b.data[static_cast<std::size_t>(tb ? j * k + t : t * n + j)];
        s += u * v;
      }
      const auto o = static_cast<std::size_t>(i * n + j);
      y.data[o] = alpha * s + (bias ? beta * bias->data[static_cast<std::size_t>(map_c[o])] : 0.0);
    }
  }
  return {y};
}

// ---------------------------------------------------------------------------------------------
// Shape

std::vector<tensor> op_reshape(const op_context& c) {
  const tensor& x = c.input(0);
  const tensor& s = c.input(1);
  if (s.type != element_type::int64 || s.shape.size() != 1) c.invalid("shape must be a 1-D INT64 tensor");
  const bool allowzero = c.n.opset >= 14 && c.attr_int("allowzero", 0) != 0;
  shape_t out(s.ints.begin(), s.ints.end());
  std::int64_t infer = -1, known = 1;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 0 && !allowzero) {
      if (i >= x.shape.size()) c.invalid("shape entry 0 at " + std::to_string(i) + " has no input dimension to copy");
      out[i] = x.shape[i];
    }
    if (out[i] == -1) {
      if (infer >= 0) c.invalid("shape has more than one -1");
      infer = static_cast<std::int64_t>(i);
    } else if (out[i] < 0) {
      c.invalid("shape entry " + std::to_string(out[i]) + " is invalid");
    } else {
      known *= out[i];
    }
  }
  const std::int64_t total = num_elements(x.shape);
  if (infer >= 0) {
    if (known == 0 || total % known != 0)
      c.invalid("cannot infer -1 in " + shape_string(shape_t(s.ints.begin(), s.ints.end())));
    out[static_cast<std::size_t>(infer)] = total / known;
  }
  if (num_elements(out) != total) c.invalid("cannot reshape " + shape_string(x.shape) + " to " + shape_string(out));
  return {with_shape(x, out)};
}

std::vector<tensor> op_flatten(const op_context& c) {
  const tensor& x = c.input(0);
  const std::int64_t raw = c.attr_int("axis", 1);
  if (raw < 0 && c.n.opset < 11) c.invalid("negative axis needs opset 11");
  const auto axis = static_cast<std::size_t>(c.axis(raw, x.shape.size(), true));
  return {with_shape(x, {product(x.shape, 0, axis), product(x.shape, axis, x.shape.size())})};
}

std::vector<tensor> op_transpose(const op_context& c) {
  const tensor& x = c.input(0);
  const std::size_t r = x.shape.size();
  shape_t perm(r);
  for (std::size_t i = 0; i < r; ++i) perm[i] = static_cast<std::int64_t>(r - 1 - i);
  perm = c.attr_ints("perm", perm);
  std::vector<bool> used(r, false);
  if (perm.size() != r) c.invalid("perm has " + std::to_string(perm.size()) + " entries for rank " + std::to_string(r));
  for (auto p : perm) {
    if (p < 0 || p >= static_cast<std::int64_t>(r) || used[static_cast<std::size_t>(p)])
      c.invalid("perm is not a permutation");
    used[static_cast<std::size_t>(p)] = true;
  }
  shape_t out(r);
  for (std::size_t i = 0; i < r; ++i) out[i] = x.shape[static_cast<std::size_t>(perm[i])];
  const shape_t in_strides = row_major_strides(x.shape);
  shape_t strides(r);  // input stride of each output dimension
  for (std::size_t i = 0; i < r; ++i) strides[i] = in_strides[static_cast<std::size_t>(perm[i])];
  tensor y = tensor::zeros(out, x.type);
  const std::int64_t total = num_elements(out);
  shape_t index(r, 0);
  std::int64_t offset = 0;
  for (std::int64_t o = 0; o < total; ++o) {
    if (x.is_integer()) {
      y.ints[static_cast<std::size_t>(o)] = x.ints[static_cast<std::size_t>(offset)];
    } else {
      y.data[static_cast<std::size_t>(o)] = x.data[static_cast<std::size_t>(offset)];
    }
    for (std::size_t d = r; d-- > 0;) {
      ++index[d];
      offset += strides[d];
      if (index[d] < out[d]) break;
      offset -= strides[d] * index[d];
      index[d] = 0;
    }
  }
  return {y};
}

// ---------------------------------------------------------------------------------------------
// Convolution and pooling, over 1 to 3 spatial dimensions (padded to 3 with leading size-1 ones)

}  // namespace

namespace ops {

/// Reads kernel_shape (or `kernel` when the op takes it from the weights), strides, dilations, pads
/// and auto_pad, and computes the output extents (ONNX's formulas; ceil_mode as ONNX Runtime applies
/// it: a last window starting past the input and its begin padding is dropped).
window make_window(const op_context& c, const shape_t& x_shape, const shape_t& kernel, bool ceil_mode,
                   bool has_dilations) {
  window w;
  if (x_shape.size() < 3 || x_shape.size() > 5)
    c.fail(run_error_code::unsupported_attribute, "only 1 to 3 spatial dimensions are supported");
  w.rank = x_shape.size() - 2;
  const std::size_t r = w.rank, off = 3 - r;
  if (kernel.size() != r) c.invalid("kernel_shape must have " + std::to_string(r) + " entries");
  const auto strides = c.attr_ints("strides", shape_t(r, 1));
  const auto dilations = has_dilations ? c.attr_ints("dilations", shape_t(r, 1)) : shape_t(r, 1);
  auto pads = c.attr_ints("pads", shape_t(2 * r, 0));
  if (strides.size() != r || dilations.size() != r || pads.size() != 2 * r)
    c.invalid("strides, dilations or pads have the wrong length");
  const std::string auto_pad = c.attr_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER") {
    c.fail(run_error_code::unsupported_attribute, "auto_pad '" + detail::printable(auto_pad) + "' is not supported");
  }
  for (std::size_t i = 0; i < r; ++i) {
    const std::size_t d = off + i;
    w.in[d] = x_shape[2 + i];
    w.kernel[d] = kernel[i];
    w.stride[d] = strides[i];
    w.dilation[d] = dilations[i];
    if (w.kernel[d] < 1 || w.stride[d] < 1 || w.dilation[d] < 1)
      c.invalid("kernel, strides and dilations must be positive");
    const std::int64_t span = (w.kernel[d] - 1) * w.dilation[d] + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      w.out[d] = (w.in[d] + w.stride[d] - 1) / w.stride[d];
      const std::int64_t total = std::max<std::int64_t>(0, (w.out[d] - 1) * w.stride[d] + span - w.in[d]);
      w.pad_begin[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      w.pad_end[d] = total - w.pad_begin[d];
      continue;
    }
    if (auto_pad == "NOTSET") {
      w.pad_begin[d] = pads[i];
      w.pad_end[d] = pads[i + r];
      if (w.pad_begin[d] < 0 || w.pad_end[d] < 0) c.invalid("pads must be non-negative");
    }
    const std::int64_t room = w.in[d] + w.pad_begin[d] + w.pad_end[d] - span;
    if (room < 0) c.invalid("the window is larger than the padded input");
    w.out[d] = (ceil_mode ? (room + w.stride[d] - 1) / w.stride[d] : room / w.stride[d]) + 1;
    if (ceil_mode && (w.out[d] - 1) * w.stride[d] >= w.in[d] + w.pad_begin[d]) --w.out[d];
  }
  return w;
}

shape_t window_output_shape(const window& w, std::int64_t batch, std::int64_t channels) {
  shape_t out{batch, channels};
  for (std::size_t i = 3 - w.rank; i < 3; ++i) out.push_back(w.out[i]);
  return out;
}

}  // namespace ops

namespace {

std::vector<tensor> op_conv(const op_context& c) {
  const tensor& x = c.floating(0);
  const tensor& wt = c.floating(1);
  const tensor* bias = c.optional(2);
  if (wt.shape.size() != x.shape.size()) c.invalid("X and W must have the same rank");
  const shape_t wk(wt.shape.begin() + 2, wt.shape.end());
  const shape_t kernel = c.attr_ints("kernel_shape", wk);
  if (kernel != wk) c.invalid("kernel_shape " + shape_string(kernel) + " differs from W's " + shape_string(wk));
  const window w = make_window(c, x.shape, kernel, false, true);
  const std::int64_t group = c.attr_int("group", 1);
  const std::int64_t n = x.shape[0], ch = x.shape[1], m = wt.shape[0];
  if (group < 1 || ch % group != 0 || m % group != 0 || wt.shape[1] != ch / group) {
    c.invalid("group " + std::to_string(group) + " does not fit X " + shape_string(x.shape) + " and W " +
              shape_string(wt.shape));
  }
  if (bias && (bias->shape != shape_t{m} || bias->is_integer()))
    c.invalid("B must have shape [" + std::to_string(m) + "]");
  const std::int64_t cg = ch / group, mg = m / group;
  tensor y = tensor::zeros(window_output_shape(w, n, m), x.type);
  const auto& in = w.in;
  const auto& k = w.kernel;
  // One task per (image, output channel) plane; each output element's sum runs in a fixed order,
  // so the result does not depend on the threads.
  const auto plane = static_cast<std::size_t>(w.out[0] * w.out[1] * w.out[2]);
  tbb::parallel_for(std::int64_t{0}, n * m, [&](std::int64_t bf) {
    const std::int64_t b = bf / m, f = bf % m;
    const std::int64_t g = f / mg;
    std::size_t o = static_cast<std::size_t>(bf) * plane;
    for (std::int64_t o0 = 0; o0 < w.out[0]; ++o0) {
      for (std::int64_t o1 = 0; o1 < w.out[1]; ++o1) {
        for (std::int64_t o2 = 0; o2 < w.out[2]; ++o2, ++o) {
          double s = bias ? bias->data[static_cast<std::size_t>(f)] : 0.0;
          for (std::int64_t q = 0; q < cg; ++q) {
            const std::int64_t xc = ((b * ch) + g * cg + q) * in[0];
            const std::int64_t wc = ((f * cg) + q) * k[0];
            for (std::int64_t k0 = 0; k0 < k[0]; ++k0) {
              const std::int64_t i0 = o0 * w.stride[0] - w.pad_begin[0] + k0 * w.dilation[0];
              if (i0 < 0 || i0 >= in[0]) continue;
              for (std::int64_t k1 = 0; k1 < k[1]; ++k1) {
                const std::int64_t i1 = o1 * w.stride[1] - w.pad_begin[1] + k1 * w.dilation[1];
                if (i1 < 0 || i1 >= in[1]) continue;
                for (std::int64_t k2 = 0; k2 < k[2]; ++k2) {
                  const std::int64_t i2 = o2 * w.stride[2] - w.pad_begin[2] + k2 * w.dilation[2];
                  if (i2 < 0 || i2 >= in[2]) continue;
                  s += x.data[static_cast<std::size_t>(((xc + i0) * in[1] + i1) * in[2] + i2)] *
                       wt.data[static_cast<std::size_t>(((wc + k0) * k[1] + k1) * k[2] + k2)];
                }
              }
            }
          }
          y.data[o] = s;
        }
      }
    }
  });
  return {y};
}

/// MaxPool (max == true) or AveragePool.
std::vector<tensor> pool(const op_context& c, bool max) {
  const tensor& x = c.input(0);
  if (x.is_integer() && (!max || c.n.opset < 12 || (x.type != element_type::int8 && x.type != element_type::uint8))) {
    c.fail(run_error_code::unsupported_type,
           std::string("element type ") + element_type_name(x.type) + " is not supported");
  }
  const attribute* ks = c.attr("kernel_shape", attribute::kind::ints);
  if (!ks) c.invalid("kernel_shape is required");
  const bool ceil_mode = c.n.opset >= 10 && c.attr_int("ceil_mode", 0) != 0;
  const window w = make_window(c, x.shape, ks->ints, ceil_mode, max && c.n.opset >= 10);
  const bool include_pad = !max && c.attr_int("count_include_pad", 0) != 0;
  const std::int64_t storage_order = max ? c.attr_int("storage_order", 0) : 0;
  const bool want_indices = max && c.n.outputs.size() > 1 && !c.n.outputs[1].empty();
  if (!max && c.n.outputs.size() > 1) c.invalid("AveragePool has one output");
  const std::int64_t n = x.shape[0], ch = x.shape[1];
  const shape_t out_shape = window_output_shape(w, n, ch);
  tensor y = tensor::zeros(out_shape, x.type);
  tensor indices = tensor::zeros(want_indices ? out_shape : shape_t{0}, element_type::int64);
  const auto& in = w.in;
  std::size_t o = 0;
  for (std::int64_t nc = 0; nc < n * ch; ++nc) {
    for (std::int64_t o0 = 0; o0 < w.out[0]; ++o0) {
      for (std::int64_t o1 = 0; o1 < w.out[1]; ++o1) {
        for (std::int64_t o2 = 0; o2 < w.out[2]; ++o2, ++o) {
          const std::array<std::int64_t, 3> start{o0 * w.stride[0] - w.pad_begin[0], o1 * w.stride[1] - w.pad_begin[1],
                                                  o2 * w.stride[2] - w.pad_begin[2]};
          double best = -std::numeric_limits<double>::infinity(), sum = 0;
          std::int64_t best_index = -1, count = 0;
          for (std::int64_t k0 = 0; k0 < w.kernel[0]; ++k0) {
            const std::int64_t i0 = start[0] + k0 * w.dilation[0];
            if (i0 < 0 || i0 >= in[0]) continue;
            for (std::int64_t k1 = 0; k1 < w.kernel[1]; ++k1) {
              const std::int64_t i1 = start[1] + k1 * w.dilation[1];
              if (i1 < 0 || i1 >= in[1]) continue;
              for (std::int64_t k2 = 0; k2 < w.kernel[2]; ++k2) {
                const std::int64_t i2 = start[2] + k2 * w.dilation[2];
                if (i2 < 0 || i2 >= in[2]) continue;
                const std::int64_t at = ((nc * in[0] + i0) * in[1] + i1) * in[2] + i2;
                const double v = x.value(static_cast<std::size_t>(at));
                ++count;
                sum += v;
                if (v > best) {
                  best = v;
                  // Indices: the row-major flat index into X (storage_order 0), or with the spatial
                  // dimensions in column-major order (storage_order 1).
                  const std::array<std::int64_t, 3> pos{i0, i1, i2};
                  std::int64_t idx = 0;
                  if (storage_order == 0) {
                    idx = at;
                  } else {
                    for (std::size_t d = 3; d-- > 3 - w.rank;) idx = idx * in[d] + pos[d];
                    idx += nc * in[0] * in[1] * in[2];
                  }
                  best_index = idx;
                }
              }
            }
          }
          if (max) {
            if (x.is_integer()) {
              y.ints[o] = static_cast<std::int64_t>(best);
            } else {
              y.data[o] = best;
            }
            if (want_indices) indices.ints[o] = best_index;
            continue;
          }
          if (include_pad) {  // the window clipped to the padded input (not to the ceil_mode overhang)
            count = 1;
            for (std::size_t d = 0; d < 3; ++d) {
              const std::int64_t lo = start[d];
              const std::int64_t hi = std::min(start[d] + (w.kernel[d] - 1) * w.dilation[d] + 1, in[d] + w.pad_end[d]);
              count *= (hi - lo + w.dilation[d] - 1) / w.dilation[d];
            }
          }
          y.data[o] = count > 0 ? sum / static_cast<double>(count) : 0.0;
        }
      }
    }
  }
  if (want_indices) return {y, indices};
  return {y};
}

std::vector<tensor> op_global_average_pool(const op_context& c) {
  const tensor& x = c.floating(0);
  if (x.shape.size() < 3) c.invalid("X must have rank >= 3");
  const std::int64_t nc = x.shape[0] * x.shape[1], inner = product(x.shape, 2, x.shape.size());
  shape_t out{x.shape[0], x.shape[1]};
  out.resize(x.shape.size(), 1);
  tensor y = tensor::zeros(out, x.type);
  for (std::int64_t i = 0; i < nc; ++i) {
    double s = 0;
    for (std::int64_t j = 0; j < inner; ++j) s += x.data[static_cast<std::size_t>(i * inner + j)];
    y.data[static_cast<std::size_t>(i)] = s / static_cast<double>(inner);
  }
  return {y};
}

// ---------------------------------------------------------------------------------------------
// BatchNormalization

/// Y = (X - mean) / sqrt(var + epsilon) * scale + B per channel (dimension 1). In inference mean and
/// var are the inputs; with training_mode=1 (opset 14 on) they are the batch's own per-channel mean
/// and population variance, and the optional outputs running_mean and running_var are
/// input * momentum + batch statistic * (1 - momentum). The training outputs of earlier opsets
/// (saved mean and variance) are refused.
std::vector<tensor> op_batch_normalization(const op_context& c) {
  const tensor& x = c.floating(0);
  const bool training = c.n.opset >= 14 && c.attr_int("training_mode", 0) != 0;
  for (std::size_t i = 1; !training && i < c.n.outputs.size(); ++i) {
    if (!c.n.outputs[i].empty())
      c.fail(run_error_code::unsupported_attribute, "training outputs need training_mode=1 (opset 14 on)");
  }
  if (training && c.n.outputs.size() > 3) c.invalid("has at most 3 outputs");
  if (x.shape.size() < 2) c.invalid("X must have rank >= 2");
  const std::int64_t ch = x.shape[1];
  const tensor* p[4];
  for (std::size_t i = 0; i < 4; ++i) {
    p[i] = &c.floating(i + 1);
    if (p[i]->shape != shape_t{ch})
      c.invalid("input " + std::to_string(i + 1) + " must have shape [" + std::to_string(ch) + "]");
  }
  const double eps = c.attr_float("epsilon", 1e-5);
  const std::int64_t inner = product(x.shape, 2, x.shape.size());
  const auto channel = [&](std::size_t i) {
    return static_cast<std::size_t>((static_cast<std::int64_t>(i) / inner) % ch);
  };
  std::vector<double> mean = p[2]->data, var = p[3]->data;
  if (training) {
    const std::int64_t count = ch == 0 ? 0 : num_elements(x.shape) / ch;
    if (count == 0) c.invalid("training mode needs a non-empty batch");
    std::vector<double> sum(static_cast<std::size_t>(ch), 0.0), squares(sum.size(), 0.0);
    for (std::size_t i = 0; i < x.data.size(); ++i) sum[channel(i)] += x.data[i];
    for (std::size_t k = 0; k < sum.size(); ++k) mean[k] = sum[k] / static_cast<double>(count);
    for (std::size_t i = 0; i < x.data.size(); ++i) {
      const double d = x.data[i] - mean[channel(i)];
      squares[channel(i)] += d * d;
    }
    for (std::size_t k = 0; k < sum.size(); ++k) var[k] = squares[k] / static_cast<double>(count);
  }
  tensor y = x;
  for (std::size_t i = 0; i < y.data.size(); ++i) {
    const std::size_t k = channel(i);
    y.data[i] = (x.data[i] - mean[k]) / std::sqrt(var[k] + eps) * p[0]->data[k] + p[1]->data[k];
  }
  if (!training) return {y};
  const double momentum = c.attr_float("momentum", 0.9);
  tensor running_mean = *p[2], running_var = *p[3];
  for (std::size_t k = 0; k < mean.size(); ++k) {
    running_mean.data[k] = p[2]->data[k] * momentum + mean[k] * (1 - momentum);
    running_var.data[k] = p[3]->data[k] * momentum + var[k] * (1 - momentum);
  }
  return {y, running_mean, running_var};
}

const op_table& operator_table() {
  static const op_table table = [] {
    op_table t{
        {"Add", [](const op_context& c) { return std::vector<tensor>{binary(c, '+')}; }},
        {"Sub", [](const op_context& c) { return std::vector<tensor>{binary(c, '-')}; }},
        {"Mul", [](const op_context& c) { return std::vector<tensor>{binary(c, '*')}; }},
        {"Div", [](const op_context& c) { return std::vector<tensor>{binary(c, '/')}; }},
        {"Relu", op_relu},
        {"Sigmoid", [](const op_context& c) { return std::vector<tensor>{unary_float(c, sigmoid)}; }},
        {"Tanh",
         [](const op_context& c) {
           return std::vector<tensor>{unary_float(c, [](double v) { return std::tanh(v); })};
         }},
        {"Clip", op_clip},
        {"MatMul", op_matmul},
        {"Gemm", op_gemm},
        {"Reshape", op_reshape},
        {"Flatten", op_flatten},
        {"Transpose", op_transpose},
        {"Identity", [](const op_context& c) { return std::vector<tensor>{c.input(0)}; }},
        {"Conv", op_conv},
        {"MaxPool", [](const op_context& c) { return pool(c, true); }},
        {"AveragePool", [](const op_context& c) { return pool(c, false); }},
        {"GlobalAveragePool", op_global_average_pool},
        {"BatchNormalization", op_batch_normalization},
    };
    add_elementwise_ops(t);
    add_reduce_ops(t);
    add_shape_ops(t);
    add_quantized_ops(t);
    add_ml_ops(t);
    return t;
  }();
  return table;
}

}  // namespace

const std::vector<std::string>& reference_operators() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [name, fn] : operator_table()) v.push_back(name);
    std::sort(v.begin(), v.end());
    return v;
  }();
  return names;
}

bool reference_supports(std::string_view domain, std::string_view op_type) {
  return operator_table().count(op_key(domain, op_type)) != 0;
}

result<std::vector<tensor>, run_error_code> run_reference_node(const node& n,
                                                               const std::vector<const tensor*>& inputs) {
  const auto& table = operator_table();
  const auto fn = table.find(op_key(n.domain, n.op_type));
  if (fn == table.end())
    return error<run_error_code>{run_error_code::unsupported_operator, n.label() + ": unsupported operator"};
  try {
    op_context c{n, inputs};
    std::vector<tensor> outs = fn->second(c);
    if (outs.size() < n.outputs.size())
      c.invalid("has " + std::to_string(outs.size()) + " outputs, not " + std::to_string(n.outputs.size()));
    return outs;
  } catch (const run_failure& f) {
    return error<run_error_code>{f.code, f.message};
  }
}

std::optional<error<run_error_code>> check_model_inputs(const model& m, const tensor_map& inputs) {
  using err = error<run_error_code>;
  for (const auto& entry : inputs) {
    const std::string& name = entry.first;  // not a structured binding: clang 14 cannot capture those
    const bool known =
        std::any_of(m.inputs.begin(), m.inputs.end(), [&](const value_info& v) { return v.name == name; });
    if (!known) return err{run_error_code::bad_input, "'" + detail::printable(name) + "' is not an input of the model"};
  }
  for (const auto& v : m.inputs) {
    const auto it = inputs.find(v.name);
    const std::string what = "input '" + detail::printable(v.name) + "'";
    if (it == inputs.end()) return err{run_error_code::missing_input, what + " is missing"};
    const tensor& t = it->second;
    if (t.type != v.type) {
      return err{run_error_code::bad_input, what + " has element type " + element_type_name(t.type) +
                                                ", the model expects " + element_type_name(v.type)};
    }
    if (t.shape != v.shape) {
      return err{run_error_code::bad_input,
                 what + " has shape " + shape_string(t.shape) + ", the model expects " + shape_string(v.shape)};
    }
    if (t.size() != static_cast<std::size_t>(num_elements(t.shape))) {
      return err{run_error_code::bad_input,
                 what + " holds " + std::to_string(t.size()) + " values for shape " + shape_string(t.shape)};
    }
    for (std::size_t i = 0; i < t.data.size(); ++i) {
      if (!std::isfinite(t.data[i]))
        return err{run_error_code::bad_input, what + " holds a NaN or infinite value at index " + std::to_string(i)};
    }
  }
  return std::nullopt;
}

result<tensor_map, run_error_code> run_reference(const model& m, const tensor_map& inputs, tensor_map* all_tensors) {
  using err = error<run_error_code>;
  if (auto failure = check_model_inputs(m, inputs)) return *failure;
  tensor_map produced;
  auto lookup = [&](const std::string& name) -> const tensor* {
    if (auto p = produced.find(name); p != produced.end()) return &p->second;
    if (auto p = inputs.find(name); p != inputs.end()) return &p->second;
    if (auto p = m.initializers.find(name); p != m.initializers.end()) return &p->second;
    return nullptr;
  };
  for (const node& n : m.nodes) {
    std::vector<const tensor*> in;
    for (const auto& name : n.inputs) {
      const tensor* t = name.empty() ? nullptr : lookup(name);
      if (!name.empty() && !t)
        return err{run_error_code::invalid_node,
                   n.label() + ": input '" + detail::printable(name) + "' is not defined"};
      in.push_back(t);
    }
    auto outs = run_reference_node(n, in);
    if (!outs) return outs.error();
    for (std::size_t i = 0; i < n.outputs.size(); ++i) {
      if (!n.outputs[i].empty()) produced[n.outputs[i]] = std::move(outs.value()[i]);
    }
  }
  tensor_map out;
  for (const auto& v : m.outputs) {
    const tensor* t = lookup(v.name);
    if (!t) return err{run_error_code::invalid_node, "output '" + detail::printable(v.name) + "' was not computed"};
    out[v.name] = *t;
  }
  if (all_tensors) *all_tensors = std::move(produced);
  return out;
}

}  // namespace ciro::zkml
