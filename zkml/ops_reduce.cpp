// Operators of the float reference that work along axes: Softmax, LogSoftmax, ReduceSum,
// ReduceMean, ReduceMax, ArgMax.

#include <algorithm>
#include <cmath>
#include <limits>

#include "zkml/ops.hpp"

namespace ciro::zkml::ops {

std::vector<std::int64_t> normalize_axes(const op_context& c, const std::vector<std::int64_t>& axes, std::size_t rank) {
  std::vector<std::int64_t> out;
  for (const std::int64_t a : axes) {
    const std::int64_t v = c.versioned_axis(a, rank);
    if (std::find(out.begin(), out.end(), v) != out.end()) c.invalid("axis " + std::to_string(a) + " is repeated");
    out.push_back(v);
  }
  return out;
}

namespace {

/// Softmax, or LogSoftmax when `log`: the same axis semantics (before opset 13 the input is coerced
/// to 2-D at `axis`, default 1; from 13 along the one dimension `axis`, default -1).
std::vector<tensor> softmax(const op_context& c, bool log) {
  const tensor& x = c.floating(0);
  const std::size_t r = x.shape.size();
  std::int64_t outer = 0, dim = 0, inner = 0;
  if (c.n.opset < 13) {  // coerced to 2-D [prod(shape[:axis]), prod(shape[axis:])]
    const auto axis = static_cast<std::size_t>(c.axis(c.attr_int("axis", 1), r, true));
    outer = product(x.shape, 0, axis);
    dim = product(x.shape, axis, r);
    inner = 1;
  } else {
    if (r == 0) c.invalid("X must have rank >= 1");
    const auto axis = static_cast<std::size_t>(c.axis(c.attr_int("axis", -1), r));
    outer = product(x.shape, 0, axis);
    dim = x.shape[axis];
    inner = product(x.shape, axis + 1, r);
  }
  tensor y = x;
  for (std::int64_t a = 0; a < outer; ++a) {
    for (std::int64_t b = 0; b < inner; ++b) {
      auto at = [&](std::int64_t i) -> double& { return y.data[static_cast<std::size_t>((a * dim + i) * inner + b)]; };
      double mx = -std::numeric_limits<double>::infinity(), sum = 0;
      for (std::int64_t i = 0; i < dim; ++i) mx = std::max(mx, at(i));
      if (log) {
        for (std::int64_t i = 0; i < dim; ++i) sum += std::exp(at(i) - mx);
        const double lse = std::log(sum);
        for (std::int64_t i = 0; i < dim; ++i) at(i) = at(i) - mx - lse;
      } else {
        for (std::int64_t i = 0; i < dim; ++i) sum += (at(i) = std::exp(at(i) - mx));
        for (std::int64_t i = 0; i < dim; ++i) at(i) /= sum;
      }
    }
  }
  return {y};
}

/// For every row-major index of `in`, the row-major index of the output of a reduction over the
/// dimensions marked in `reduced` (their coordinate dropped), and the output's size.
std::vector<std::size_t> reduction_map(const shape_t& in, const std::vector<bool>& reduced, std::size_t& out_size) {
  const std::size_t r = in.size();
  shape_t out_dims(r);
  for (std::size_t d = 0; d < r; ++d) out_dims[d] = reduced[d] ? 1 : in[d];
  const shape_t out_strides = row_major_strides(out_dims);
  out_size = static_cast<std::size_t>(num_elements(out_dims));
  std::vector<std::size_t> map(static_cast<std::size_t>(num_elements(in)));
  shape_t index(r, 0);
  std::int64_t offset = 0;
  for (std::size_t i = 0; i < map.size(); ++i) {
    map[i] = static_cast<std::size_t>(offset);
    for (std::size_t d = r; d-- > 0;) {  // odometer increment, last dimension fastest
      ++index[d];
      if (!reduced[d]) offset += out_strides[d];
      if (index[d] < in[d]) break;
      if (!reduced[d]) offset -= out_strides[d] * index[d];
      index[d] = 0;
    }
  }
  return map;
}

/// The output shape of a reduction: reduced dimensions kept as 1 or dropped.
shape_t reduced_shape(const shape_t& in, const std::vector<bool>& reduced, bool keepdims) {
  shape_t out;
  for (std::size_t d = 0; d < in.size(); ++d) {
    if (!reduced[d]) {
      out.push_back(in[d]);
    } else if (keepdims) {
      out.push_back(1);
    }
  }
  return out;
}

enum class reduction { sum, mean, max };

/// ReduceSum, ReduceMean or ReduceMax. Axes: the attribute before opset 13 for ReduceSum (and in
/// every opset Ciro reads for ReduceMean and ReduceMax, which take them as an input from 18), the
/// optional second input from 13 for ReduceSum, where noop_with_empty_axes makes empty axes the
/// identity. No axes: every dimension. Integers are summed wrapping to the type; their mean
/// truncates. ReduceMax takes INT32 and INT64, and from opset 12 INT8 and UINT8; over no elements
/// it is refused.
std::vector<tensor> reduce(const op_context& c, reduction kind) {
  const tensor& x = c.input(0);
  const bool mean = kind == reduction::mean;
  const bool narrow =
      kind == reduction::max && c.n.opset >= 12 && (x.type == element_type::int8 || x.type == element_type::uint8);
  if (x.is_integer() && x.type != element_type::int32 && x.type != element_type::int64 && !narrow)
    c.unsupported_type(x.type);
  const bool axes_input = kind == reduction::sum && c.n.opset >= 13;
  std::vector<std::int64_t> axes;
  bool noop = false;
  if (axes_input) {
    if (c.n.find("axes")) c.invalid("axes is an input from opset 13, not an attribute");
    if (c.optional(1)) axes = c.int_list(1);
    noop = axes.empty() && c.attr_int("noop_with_empty_axes", 0) != 0;
  } else {
    if (c.in.size() > 1) c.invalid("axes is an attribute before opset 13 (ReduceSum) / 18 (ReduceMean, ReduceMax)");
    axes = c.attr_ints("axes", {});
  }
  if (noop) return {x};
  const bool keepdims = c.attr_int("keepdims", 1) != 0;
  const std::size_t r = x.shape.size();
  std::vector<bool> reduced(r, axes.empty());
  for (const auto a : normalize_axes(c, axes, r)) reduced[static_cast<std::size_t>(a)] = true;
  std::size_t out_size = 0;
  const auto map = reduction_map(x.shape, reduced, out_size);
  tensor y = tensor::zeros(reduced_shape(x.shape, reduced, keepdims), x.type);
  const std::int64_t count = out_size == 0 ? 0 : num_elements(x.shape) / static_cast<std::int64_t>(out_size);
  if (kind == reduction::max) {
    if (count == 0 && out_size > 0) c.invalid("ReduceMax over no elements");
    std::vector<bool> seen(out_size, false);
    for (std::size_t i = 0; i < map.size(); ++i) {
      const std::size_t o = map[i];
      if (x.is_integer()) {
        y.ints[o] = seen[o] ? std::max(y.ints[o], x.ints[i]) : x.ints[i];
      } else {
        y.data[o] = seen[o] ? std::max(y.data[o], x.data[i]) : x.data[i];
      }
      seen[o] = true;
    }
  } else if (x.is_integer()) {
    std::vector<std::uint64_t> sum(out_size, 0);
    for (std::size_t i = 0; i < map.size(); ++i) sum[map[i]] += static_cast<std::uint64_t>(x.ints[i]);
    for (std::size_t o = 0; o < out_size; ++o) {
      const std::int64_t s = wrap_to(x.type, wrapping(sum[o]));
      if (mean && count == 0) c.invalid("integer mean over no elements");
      y.ints[o] = mean ? s / count : s;
    }
  } else {
    for (std::size_t i = 0; i < map.size(); ++i) y.data[map[i]] += x.data[i];
    if (mean) {
      for (auto& v : y.data) v /= static_cast<double>(count);
    }
  }
  return {y};
}

/// ArgMax: the index of the first (or with select_last_index, from opset 12, the last) maximum
/// along `axis` (default 0), as INT64, the dimension kept as 1 (keepdims, default 1) or dropped.
std::vector<tensor> op_argmax(const op_context& c) {
  const tensor& x = c.input(0);
  if (x.type == element_type::boolean) c.unsupported_type(x.type);
  const std::size_t r = x.shape.size();
  if (r == 0) c.invalid("X must have rank >= 1");
  const auto axis = static_cast<std::size_t>(c.versioned_axis(c.attr_int("axis", 0), r));
  const bool keepdims = c.attr_int("keepdims", 1) != 0;
  const bool last = c.n.opset >= 12 && c.attr_int("select_last_index", 0) != 0;
  if (c.n.opset < 12 && c.n.find("select_last_index")) c.invalid("select_last_index needs opset 12");
  const std::int64_t outer = product(x.shape, 0, axis), dim = x.shape[axis], inner = product(x.shape, axis + 1, r);
  if (dim == 0) c.invalid("ArgMax along an empty dimension");
  std::vector<bool> reduced(r, false);
  reduced[axis] = true;
  tensor y = tensor::zeros(reduced_shape(x.shape, reduced, keepdims), element_type::int64);
  for (std::int64_t a = 0; a < outer; ++a) {
    for (std::int64_t b = 0; b < inner; ++b) {
      std::int64_t best = 0;
      for (std::int64_t i = 1; i < dim; ++i) {
        const auto v = static_cast<std::size_t>((a * dim + i) * inner + b);
        const auto w = static_cast<std::size_t>((a * dim + best) * inner + b);
        const bool greater = x.is_integer() ? x.ints[v] > x.ints[w] : x.data[v] > x.data[w];
        const bool equal = x.is_integer() ? x.ints[v] == x.ints[w] : x.data[v] == x.data[w];
        if (greater || (last && equal)) best = i;
      }
      y.ints[static_cast<std::size_t>(a * inner + b)] = best;
    }
  }
  return {y};
}

}  // namespace

void add_reduce_ops(op_table& t) {
  t.emplace("Softmax", [](const op_context& c) { return softmax(c, false); });
  t.emplace("LogSoftmax", [](const op_context& c) { return softmax(c, true); });
  t.emplace("ReduceSum", [](const op_context& c) { return reduce(c, reduction::sum); });
  t.emplace("ReduceMean", [](const op_context& c) { return reduce(c, reduction::mean); });
  t.emplace("ReduceMax", [](const op_context& c) { return reduce(c, reduction::max); });
  t.emplace("ArgMax", op_argmax);
}

}  // namespace ciro::zkml::ops
