// Operators of the float reference that move values without arithmetic (or only convert them):
// Pad, Squeeze, Unsqueeze, Concat, Slice, Gather, Dropout (inference), Cast, Shape.

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <optional>

#include "zkml/ops.hpp"

namespace ciro::zkml::ops {

namespace {

/// A tensor of x's type and the shape `out` whose element at each multi-index `idx` is x's element
/// at the flat index source(idx), or `fill` (fill_int for integer types) where source gives -1.
template <class F>
tensor take(const tensor& x, const shape_t& out, F source, double fill = 0.0, std::int64_t fill_int = 0) {
  tensor y = tensor::zeros(out, x.type);
  const std::size_t total = y.size();
  shape_t idx(out.size(), 0);
  for (std::size_t o = 0; o < total; ++o) {
    const std::int64_t i = source(idx);
    if (x.is_integer()) {
      y.ints[o] = i < 0 ? fill_int : x.ints[static_cast<std::size_t>(i)];
    } else {
      y.data[o] = i < 0 ? fill : x.data[static_cast<std::size_t>(i)];
    }
    for (std::size_t d = out.size(); d-- > 0;) {
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
  return y;
}

/// Pad: `pads` [x1_begin, x2_begin, ..., x1_end, x2_end, ...] (negative entries crop), the attribute
/// before opset 11 (with the float attribute `value`), inputs from 11 (with the optional scalar
/// input constant_value); mode constant (default), reflect or edge. Reflect and edge read the
/// input as cropped by negative pads; a reflection longer than the input repeats it (numpy's rule).
std::vector<tensor> op_pad(const op_context& c) {
  const tensor& x = c.input(0);
  const std::string mode = c.attr_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    c.fail(run_error_code::unsupported_attribute, "mode '" + mode + "' is not supported");
  std::vector<std::int64_t> pads;
  double fill = 0.0;
  std::int64_t fill_int = 0;
  if (c.n.opset < 11) {
    if (x.is_integer()) c.unsupported_type(x.type);
    const attribute* p = c.attr("pads", attribute::kind::ints);
    if (!p) c.invalid("pads is required");
    pads = p->ints;
    fill = c.attr_float("value", 0.0);
  } else {
    if (x.type == element_type::boolean && c.n.opset < 13) c.unsupported_type(x.type);
    pads = c.int_list(1);
    if (const tensor* v = c.optional(2)) {
      if (v->type != x.type || v->size() != 1) c.invalid("constant_value must be one value of X's element type");
      if (x.is_integer()) {
        fill_int = v->ints[0];
      } else {
        fill = v->data[0];
      }
    }
  }
  const std::size_t r = x.shape.size();
  if (pads.size() != 2 * r)
    c.invalid("pads has " + std::to_string(pads.size()) + " entries for rank " + std::to_string(r));
  shape_t out(r), begin(r), lo(r), hi(r);
  constexpr std::int64_t max_pad = std::int64_t{1} << 32;  // keeps the sums below from overflowing
  for (const std::int64_t p : pads) {
    if (p < -max_pad || p > max_pad) c.invalid("pad " + std::to_string(p) + " is out of range");
  }
  for (std::size_t d = 0; d < r; ++d) {
    begin[d] = pads[d];
    out[d] = x.shape[d] + pads[d] + pads[d + r];
    if (out[d] < 0)
      c.invalid("pads " + std::to_string(pads[d]) + ", " + std::to_string(pads[d + r]) +
                " remove more than dimension " + std::to_string(d) + " holds");
    lo[d] = std::max<std::int64_t>(0, -pads[d]);
    hi[d] = x.shape[d] - std::max<std::int64_t>(0, -pads[d + r]);
    if (mode != "constant" && hi[d] <= lo[d] && out[d] > 0)
      c.invalid("mode '" + mode + "' cannot pad dimension " + std::to_string(d) + ", which is empty");
  }
  const shape_t strides = row_major_strides(x.shape);
  const char m = mode[0];
  return {take(
      x, out,
      [&](const shape_t& idx) -> std::int64_t {
        std::int64_t flat = 0;
        for (std::size_t d = 0; d < r; ++d) {
          std::int64_t i = idx[d] - begin[d];
          if (i < lo[d] || i >= hi[d]) {
            if (m == 'c') return -1;
            if (m == 'e') {
              i = std::clamp(i, lo[d], hi[d] - 1);
            } else {
              const std::int64_t len = hi[d] - lo[d];
              if (len == 1) {
                i = lo[d];
              } else {
                const std::int64_t period = 2 * (len - 1);
                std::int64_t k = ((i - lo[d]) % period + period) % period;
                if (k >= len) k = period - k;
                i = lo[d] + k;
              }
            }
          }
          flat += i * strides[d];
        }
        return flat;
      },
      fill, fill_int)};
}

/// The axes of Squeeze / Unsqueeze: the attribute before opset 13, the optional input from 13;
/// nullopt when absent.
std::optional<std::vector<std::int64_t>> axes_of(const op_context& c) {
  if (c.n.opset < 13) {
    if (c.optional(1)) c.invalid("axes is an attribute before opset 13");
    const attribute* a = c.attr("axes", attribute::kind::ints);
    if (!a) return std::nullopt;
    return a->ints;
  }
  if (c.n.find("axes")) c.invalid("axes is an input from opset 13, not an attribute");
  if (!c.optional(1)) return std::nullopt;
  return c.int_list(1);
}

std::vector<tensor> op_squeeze(const op_context& c) {
  const tensor& x = c.input(0);
  const auto axes = axes_of(c);
  const std::size_t r = x.shape.size();
  std::vector<bool> drop(r, false);
  if (!axes || axes->empty()) {
    for (std::size_t d = 0; d < r; ++d) drop[d] = x.shape[d] == 1;
  } else {
    for (const auto a : normalize_axes(c, *axes, r)) {
      if (x.shape[static_cast<std::size_t>(a)] != 1)
        c.invalid("cannot squeeze dimension " + std::to_string(a) + " of shape " + shape_string(x.shape));
      drop[static_cast<std::size_t>(a)] = true;
    }
  }
  shape_t out;
  for (std::size_t d = 0; d < r; ++d) {
    if (!drop[d]) out.push_back(x.shape[d]);
  }
  return {with_shape(x, out)};
}

std::vector<tensor> op_unsqueeze(const op_context& c) {
  const tensor& x = c.input(0);
  const auto axes = axes_of(c);
  if (!axes) c.invalid("axes is required");
  const std::size_t rank = x.shape.size() + axes->size();
  std::vector<bool> inserted(rank, false);
  for (const auto a : normalize_axes(c, *axes, rank)) inserted[static_cast<std::size_t>(a)] = true;
  shape_t out(rank, 1);
  std::size_t next = 0;
  for (std::size_t d = 0; d < rank; ++d) {
    if (!inserted[d]) out[d] = x.shape[next++];
  }
  return {with_shape(x, out)};
}

std::vector<tensor> op_concat(const op_context& c) {
  if (c.in.empty()) c.invalid("needs at least one input");
  const tensor& first = c.input(0);
  const std::size_t r = first.shape.size();
  if (r == 0) c.invalid("inputs must have rank >= 1");
  if (!c.n.find("axis")) c.invalid("axis is required");
  const auto axis = static_cast<std::size_t>(c.versioned_axis(c.attr_int("axis", 0), r));
  shape_t out = first.shape;
  out[axis] = 0;
  for (std::size_t i = 0; i < c.in.size(); ++i) {
    const tensor& t = c.input(i);
    if (t.type != first.type) c.invalid("inputs have different element types");
    bool fits = t.shape.size() == r;
    for (std::size_t d = 0; fits && d < r; ++d) fits = d == axis || t.shape[d] == first.shape[d];
    if (!fits) {
      c.invalid("input " + std::to_string(i) + " of shape " + shape_string(t.shape) + " does not concatenate with " +
                shape_string(first.shape) + " on axis " + std::to_string(axis));
    }
    out[axis] += t.shape[axis];
  }
  tensor y = tensor::zeros(out, first.type);
  const std::int64_t outer = product(out, 0, axis), inner = product(out, axis + 1, r);
  std::size_t o = 0;
  for (std::int64_t a = 0; a < outer; ++a) {
    for (const tensor* t : c.in) {
      const std::int64_t chunk = t->shape[axis] * inner;
      for (std::int64_t k = 0; k < chunk; ++k, ++o) {
        const auto at = static_cast<std::size_t>(a * chunk + k);
        if (first.is_integer()) {
          y.ints[o] = t->ints[at];
        } else {
          y.data[o] = t->data[at];
        }
      }
    }
  }
  return {y};
}

/// Slice: starts, ends, axes (optional) as attributes before opset 10; from 10 as inputs (INT32 or
/// INT64) with optional steps. Negative starts and ends count from the end; then starts and ends
/// are clamped to [0, dim] (step > 0) or [0, dim - 1] and [-1, dim - 1] (step < 0).
std::vector<tensor> op_slice(const op_context& c) {
  const tensor& x = c.input(0);
  const std::size_t r = x.shape.size();
  std::vector<std::int64_t> starts, ends, axes, steps;
  bool have_axes = false;
  if (c.n.opset < 10) {
    const attribute* s = c.attr("starts", attribute::kind::ints);
    const attribute* e = c.attr("ends", attribute::kind::ints);
    if (!s || !e) c.invalid("starts and ends are required");
    starts = s->ints;
    ends = e->ints;
    if (const attribute* a = c.attr("axes", attribute::kind::ints)) {
      axes = a->ints;
      have_axes = true;
    }
  } else {
    starts = c.int_list(1, true);
    ends = c.int_list(2, true);
    if (c.optional(3)) {
      axes = c.int_list(3, true);
      have_axes = true;
    }
    if (c.optional(4)) steps = c.int_list(4, true);
  }
  if (!have_axes) {
    for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<std::int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    c.invalid("starts, ends, axes and steps have different lengths");
  axes = normalize_axes(c, axes, r);
  shape_t first(r, 0), step(r, 1), out = x.shape;
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const auto d = static_cast<std::size_t>(axes[i]);
    const std::int64_t dim = x.shape[d];
    std::int64_t s = starts[i], e = ends[i], k = steps[i];
    if (k == 0) c.invalid("step 0 on axis " + std::to_string(d));
    k = std::clamp<std::int64_t>(k, -std::max<std::int64_t>(dim, 1), std::max<std::int64_t>(dim, 1));  // same slice
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    std::int64_t n = 0;
    if (dim > 0 && k > 0) {
      s = std::clamp<std::int64_t>(s, 0, dim);
      e = std::clamp<std::int64_t>(e, 0, dim);
      n = e > s ? (e - s - 1) / k + 1 : 0;
    } else if (dim > 0) {
      s = std::clamp<std::int64_t>(s, 0, dim - 1);
      e = std::clamp<std::int64_t>(e, -1, dim - 1);
      n = s > e ? (s - e - 1) / -k + 1 : 0;
    }
    first[d] = s;
    step[d] = k;
    out[d] = n;
  }
  const shape_t strides = row_major_strides(x.shape);
  return {take(x, out, [&](const shape_t& idx) {
    std::int64_t flat = 0;
    for (std::size_t d = 0; d < r; ++d) flat += (first[d] + idx[d] * step[d]) * strides[d];
    return flat;
  })};
}

/// Gather along `axis` (default 0) with INT32 or INT64 indices; a negative index counts from the end.
std::vector<tensor> op_gather(const op_context& c) {
  const tensor& x = c.input(0);
  const tensor& idx = c.input(1);
  if (idx.type != element_type::int32 && idx.type != element_type::int64)
    c.invalid(std::string("indices must be INT32 or INT64, not ") + element_type_name(idx.type));
  const std::size_t r = x.shape.size();
  if (r == 0) c.invalid("data must have rank >= 1");
  const auto axis = static_cast<std::size_t>(c.versioned_axis(c.attr_int("axis", 0), r));
  const std::int64_t dim = x.shape[axis], inner = product(x.shape, axis + 1, r), outer = product(x.shape, 0, axis);
  shape_t out(x.shape.begin(), x.shape.begin() + static_cast<std::ptrdiff_t>(axis));
  out.insert(out.end(), idx.shape.begin(), idx.shape.end());
  out.insert(out.end(), x.shape.begin() + static_cast<std::ptrdiff_t>(axis) + 1, x.shape.end());
  std::vector<std::int64_t> rows(idx.ints.size());
  for (std::size_t j = 0; j < rows.size(); ++j) {
    const std::int64_t v = idx.ints[j];
    if (v < -dim || v >= dim)
      c.invalid("index " + std::to_string(v) + " out of range for dimension " + std::to_string(dim));
    rows[j] = v < 0 ? v + dim : v;
  }
  tensor y = tensor::zeros(out, x.type);
  std::size_t o = 0;
  for (std::int64_t a = 0; a < outer; ++a) {
    for (const std::int64_t row : rows) {
      for (std::int64_t k = 0; k < inner; ++k, ++o) {
        const auto at = static_cast<std::size_t>((a * dim + row) * inner + k);
        if (x.is_integer()) {
          y.ints[o] = x.ints[at];
        } else {
          y.data[o] = x.data[at];
        }
      }
    }
  }
  return {y};
}

/// Dropout in inference: the identity, and the optional mask all true (BOOL from opset 10; of X's
/// type, all ones, before). From opset 12 a training_mode input that is true is refused unless the
/// ratio input is 0 (default 0.5), where training drops nothing and scales by 1 / (1 - 0): the
/// identity again.
std::vector<tensor> op_dropout(const op_context& c) {
  const tensor& x = c.floating(0);
  if (c.n.opset >= 12) {
    const tensor* ratio = c.optional(1);
    if (ratio && (ratio->is_integer() || ratio->size() != 1)) c.invalid("ratio must be one floating value");
    if (const tensor* t = c.optional(2)) {
      if (t->type != element_type::boolean || t->size() != 1) c.invalid("training_mode must be one BOOL");
      if (t->ints[0] != 0 && (!ratio || ratio->data[0] != 0.0)) {
        c.fail(run_error_code::unsupported_attribute,
               "training_mode=true with a ratio above 0 (random) is not supported (inference only)");
      }
    }
  }
  std::vector<tensor> out{x};
  if (c.wants_output(1)) {
    if (c.n.opset >= 10) {
      out.push_back(tensor::integers(x.shape, std::vector<std::int64_t>(x.size(), 1), element_type::boolean));
    } else {
      out.push_back(tensor::floats(x.shape, std::vector<double>(x.size(), 1.0), x.type));
    }
  }
  return out;
}

/// v rounded to float32 (round to nearest even, overflowing to an infinity).
double to_float32(double v) {
  const double limit = 0x1p128 - 0x1p103;  // FLT_MAX + half an ulp: from here on it rounds to infinity
  if (std::abs(v) >= limit) return std::copysign(std::numeric_limits<double>::infinity(), v);
  return static_cast<double>(static_cast<float>(v));
}

std::optional<element_type> cast_target(std::int64_t to) {
  switch (to) {
    case 1:
      return element_type::float32;
    case 2:
      return element_type::uint8;
    case 3:
      return element_type::int8;
    case 4:
      return element_type::uint16;
    case 5:
      return element_type::int16;
    case 6:
      return element_type::int32;
    case 7:
      return element_type::int64;
    case 9:
      return element_type::boolean;
    case 11:
      return element_type::float64;
    default:
      return std::nullopt;
  }
}

/// Cast to `to`, as a C++ static_cast: floats to integers truncate toward zero (a value whose
/// truncation does not fit the type, or NaN, is refused: the C cast is undefined there), integers
/// wrap to narrower types, anything nonzero is true, FLOAT results are rounded to float32.
std::vector<tensor> op_cast(const op_context& c) {
  const tensor& x = c.input(0);
  const attribute* to = c.attr("to", attribute::kind::int_);
  if (!to) c.invalid("to is required");
  const auto target = cast_target(to->i);
  if (!target) {
    c.fail(run_error_code::unsupported_type,
           "cast to TensorProto data type " + std::to_string(to->i) + " is not supported");
  }
  const element_type t = *target;
  tensor y = tensor::zeros(x.shape, t);
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!is_integer_type(t)) {
      if (x.is_integer()) {  // one rounding, straight from the integer (no double rounding via float64)
        y.data[i] = t == element_type::float32 ? static_cast<double>(static_cast<float>(x.ints[i]))
                                               : static_cast<double>(x.ints[i]);
      } else {
        y.data[i] = t == element_type::float32 ? to_float32(x.data[i]) : x.data[i];
      }
    } else if (x.is_integer()) {
      y.ints[i] = wrap_to(t, x.ints[i]);
    } else if (t == element_type::boolean) {
      y.ints[i] = x.data[i] != 0 ? 1 : 0;  // NaN is nonzero
    } else {
      const double v = std::trunc(x.data[i]);
      const auto [lo, hi] = integer_range(t);
      // INT64's hi is not a double; -lo (2^63) is the first value above it.
      const bool fits = v >= static_cast<double>(lo) &&
                        (t == element_type::int64 ? v < -static_cast<double>(lo) : v <= static_cast<double>(hi));
      if (!fits) {
        c.invalid("value " + std::to_string(x.data[i]) + " at index " + std::to_string(i) + " does not fit " +
                  element_type_name(t));
      }
      y.ints[i] = static_cast<std::int64_t>(v);
    }
  }
  return {y};
}

/// Shape: the dimensions of X as a 1-D INT64 tensor; from opset 15 only those in [start, end)
/// (negative values count from the end, then clamped to [0, rank]).
std::vector<tensor> op_shape(const op_context& c) {
  const tensor& x = c.input(0);
  const auto r = static_cast<std::int64_t>(x.shape.size());
  std::int64_t start = 0, end = r;
  if (c.n.opset >= 15) {
    start = c.attr_int("start", 0);
    end = c.attr_int("end", r);
  } else if (c.n.find("start") || c.n.find("end")) {
    c.invalid("start and end need opset 15");
  }
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = std::clamp<std::int64_t>(start, 0, r);
  end = std::clamp<std::int64_t>(end, 0, r);
  std::vector<std::int64_t> dims;
  for (std::int64_t d = start; d < end; ++d) dims.push_back(x.shape[static_cast<std::size_t>(d)]);
  const auto n = static_cast<std::int64_t>(dims.size());
  return {tensor::integers({n}, std::move(dims))};
}

}  // namespace

void add_shape_ops(op_table& t) {
  t.emplace("Pad", op_pad);
  t.emplace("Squeeze", op_squeeze);
  t.emplace("Unsqueeze", op_unsqueeze);
  t.emplace("Concat", op_concat);
  t.emplace("Slice", op_slice);
  t.emplace("Gather", op_gather);
  t.emplace("Dropout", op_dropout);
  t.emplace("Cast", op_cast);
  t.emplace("Shape", op_shape);
}

}  // namespace ciro::zkml::ops
