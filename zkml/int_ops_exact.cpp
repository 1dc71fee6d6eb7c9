// The integer inference's operators that compute no new real values: the shape and selection ops
// (Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Slice, Gather, Identity, Dropout, Concat, Pad,
// MaxPool, Max, Min, Relu, Clip, ArgMax, Shape, Cast), which move or select fixed-point integers
// and keep their frac and error bound, and the quantized ops (QuantizeLinear, DequantizeLinear,
// QLinearMatMul, QLinearConv, MatMulInteger, ConvInteger), which compute on ONNX integer tensors
// exactly as ONNX Runtime does. The reference's code runs on the integers throughout.

#include <algorithm>
#include <cmath>
#include <limits>

#include "zkml/fixed_point.hpp"
#include "zkml/int_ops.hpp"

namespace ciro::zkml::int_ops {

namespace {

/// Input i as the reference should see it when it is not a fixed-point data operand: an exact
/// tensor as it is, a floating one by its exact values when it is a graph input or constant, else
/// its dequantized values.
tensor plain_input(const int_context& c, std::size_t i) {
  const int_value& v = c.input(i);
  if (!v.is_fixed()) return v.t;
  if (i < c.original.size() && c.original[i]) return *c.original[i];
  return v.dequantized();
}

/// The reference (`as`, default the node) run on the integers of the fixed-point inputs in `data`
/// (which share one frac; `replaced` gives some of them instead of the node's inputs), the other
/// inputs as plain_input gives them; FLOAT outputs come back as fixed point at that frac, the others
/// as exact tensors. The error bound of a fixed-point output is its distance to the node on the
/// reals plus the node (`sensitivity_op`, default the node) applied to the data inputs' errors: a
/// selection moves errors with the values, and max, min and clamps are 1-Lipschitz.
std::vector<int_value> select(const int_context& c, const std::vector<std::size_t>& data, const node* as = nullptr,
                              const std::vector<std::optional<int_value>>* replaced = nullptr,
                              const node* sensitivity_op = nullptr) {
  std::vector<tensor> storage(c.in.size()), error_storage(c.in.size());
  std::vector<const tensor*> ins(c.in.size(), nullptr), error_ins(c.in.size(), nullptr);
  std::optional<int> frac;
  for (std::size_t i = 0; i < c.in.size(); ++i) {
    if (!c.in[i]) continue;
    const bool is_data = std::find(data.begin(), data.end(), i) != data.end();
    const int_value& v = replaced && i < replaced->size() && (*replaced)[i] ? *(*replaced)[i] : *c.in[i];
    if (is_data && v.is_fixed()) {
      if (frac && *frac != *v.frac) c.invalid("internal: data inputs at different fracs");
      frac = v.frac;
      storage[i] = as_float(v);
      if (c.bounds()) error_storage[i] = c.errors(i);
    } else {
      storage[i] = plain_input(c, i);
      if (c.bounds()) error_storage[i] = c.real(i);
    }
    ins[i] = &storage[i];
    error_ins[i] = &error_storage[i];
  }
  std::vector<tensor> outs = c.reference(ins, as);
  std::vector<tensor> sens;
  if (c.bounds() && frac) sens = c.reference(error_ins, sensitivity_op);
  std::vector<int_value> r;
  for (std::size_t o = 0; o < outs.size(); ++o) {
    tensor& t = outs[o];
    if (t.is_integer() || !frac) {
      r.push_back(int_value{std::move(t), std::nullopt, {}});
      continue;
    }
    r.push_back(fixed_tensor(t.shape, as_integers(c, t), *frac));
    if (c.bounds()) set_error(c, r.back(), c.reference_on_reals(o), sens.at(o));
  }
  return r;
}

/// Ops whose first input is the data (every other input exact: shapes, axes, indices, pads).
std::vector<int_value> op_data0(const int_context& c) { return select(c, {0}); }

/// Max, Min, Concat: every fixed-point operand at the smallest frac among them, then selection.
std::vector<int_value> op_common_frac(const int_context& c) {
  std::optional<int> f;
  for (const auto* v : c.in) {
    if (v && v->is_fixed()) f = f ? std::min(*f, *v->frac) : *v->frac;
  }
  if (!f) return select(c, {});
  std::vector<std::optional<int_value>> aligned(c.in.size());
  std::vector<std::size_t> data;
  for (std::size_t i = 0; i < c.in.size(); ++i) {
    if (c.in[i] && c.in[i]->is_fixed()) {
      aligned[i] = rescale(*c.in[i], *f);
      data.push_back(i);
    }
  }
  // |min(a, b) - min(a', b')| <= max(e_a, e_b): Min's errors are bounded by their Max.
  node as_max = c.n;
  as_max.op_type = "Max";
  return select(c, data, nullptr, &aligned, c.n.op_type == "Min" ? &as_max : nullptr);
}

/// Clip: the bounds (attributes before opset 11, constant inputs after) quantized at X's frac.
/// Clamping is 1-Lipschitz in X, so X's errors carry over; the bounds' rounding is in the own term.
std::vector<int_value> op_clip(const int_context& c) {
  const int_value& x = c.input(0);
  if (!x.is_fixed()) return select(c, {});
  const int f = *x.frac;
  auto quantized_bound = [&](double v) {
    const double lim = std::ldexp(static_cast<double>(c.limit()) + 1, -f);
    return fixed::quantize(std::clamp(v, -lim, lim), f);  // beyond the range a bound clamps nothing
  };
  node m = c.n;
  std::vector<std::optional<int_value>> replaced(c.in.size());
  std::vector<std::size_t> data{0};
  if (c.n.opset < 11) {
    for (auto& a : m.attributes) {
      if (a.name == "min" || a.name == "max") a.f = static_cast<double>(quantized_bound(a.f));
    }
  } else {
    for (std::size_t i = 1; i < c.in.size() && i < 3; ++i) {
      if (!c.in[i]) continue;
      if (!c.original[i]) c.unsupported("a computed Clip bound is not supported by the integer inference");
      const tensor& b = *c.original[i];
      if (b.is_integer() || b.size() != 1) c.invalid("input " + std::to_string(i) + " must be one floating value");
      replaced[i] = fixed_tensor(b.shape, {quantized_bound(b.data[0])}, f);
      data.push_back(i);
    }
  }
  node identity = c.n;
  identity.op_type = "Identity";
  return select(c, data, &m, &replaced, &identity);
}

/// Pad: constant mode pads with the constant quantized at X's frac (its rounding is in the own
/// term; the errors are padded with the constant's error, 0 for a constant of the model).
std::vector<int_value> op_pad(const int_context& c) {
  const int_value& x = c.input(0);
  if (!x.is_fixed()) return select(c, {});
  const int f = *x.frac;
  auto quantized = [&](double v) {
    const auto q = fixed::quantize(v, f);
    if (q > c.limit() || q < -c.limit()) c.unsupported("the pad value is outside X's range");
    return q;
  };
  node m = c.n;
  std::vector<std::optional<int_value>> replaced(c.in.size());
  std::vector<std::size_t> data{0};
  node zero_pad = c.n;
  if (c.n.opset < 11) {
    for (auto& a : m.attributes) {
      if (a.name == "value") a.f = static_cast<double>(quantized(a.f));
    }
    for (auto& a : zero_pad.attributes) {
      if (a.name == "value") a.f = 0;
    }
  } else if (c.in.size() > 2 && c.in[2]) {
    const int_value& given = c.input(2);
    if (given.is_fixed() && !c.constant(2)) {
      // A value of the graph (computed from the input): its integer rescaled to X's frac as every
      // activation is (int_ops rescale), which its proof checks with one affine step.
      if (given.t.ints.size() != 1) c.invalid("constant_value must be one value of X's element type");
      const int_value r = rescale(given, f);
      if (r.t.ints[0] > c.limit() || r.t.ints[0] < -c.limit()) c.unsupported("the pad value is outside X's range");
      replaced[2] = r;
    } else {
      const tensor v = plain_input(c, 2);
      if (v.is_integer() || v.size() != 1) c.invalid("constant_value must be one value of X's element type");
      replaced[2] = fixed_tensor(v.shape, {quantized(v.data[0])}, f);
    }
    data.push_back(2);
  }
  return select(c, data, &m, &replaced, &zero_pad);
}

/// Cast: between floating types a no-op on the fixed-point integers; floating to integer casts the
/// reals the integers stand for; integer to floating quantizes the exact values at the output's frac.
std::vector<int_value> op_cast(const int_context& c) {
  const int_value& x = c.input(0);
  const attribute* to = c.n.find("to");
  if (!to) c.invalid("attribute 'to' is required");
  const bool to_float = to->i == 1 || to->i == 11;  // FLOAT, DOUBLE
  if (x.is_fixed() && to_float) {
    auto r = select(c, {0});
    if (to->i == 1 && !r[0].error.empty()) {  // the reference rounds to float32: half an ulp more
      for (std::size_t i = 0; i < r[0].error.size(); ++i) {
        const double v = std::fabs(fixed::dequantize(r[0].t.ints[i], *r[0].frac)) + r[0].error[i];
        r[0].error[i] += std::ldexp(v, -24);
      }
    }
    return r;
  }
  if (x.is_fixed()) {  // integers from the exact input where known, else from the reals (maybe inexact)
    const tensor d = plain_input(c, 0);
    return {int_value{c.reference({&d}).at(0), std::nullopt, {}, !c.original[0]}};
  }
  std::vector<tensor> outs = c.reference({&x.t});
  if (outs.at(0).is_integer()) return {int_value{std::move(outs[0]), std::nullopt, {}}};
  const int f = c.out_frac();
  std::vector<std::int64_t> q(outs[0].data.size());
  for (std::size_t i = 0; i < q.size(); ++i) q[i] = fixed::quantize(outs[0].data[i], f);
  int_value v = fixed_tensor(outs[0].shape, std::move(q), f);
  c.check_range(v);
  set_error(c, v, outs[0], {});
  return {v};
}

/// Ops on exact integer tensors (the quantized ops, Shape): the reference's exact computation, with
/// floating parameters (scales) by their exact values. A floating output is quantized at its frac.
std::vector<int_value> op_exact(const int_context& c) {
  std::vector<tensor> storage(c.in.size());
  std::vector<const tensor*> ins(c.in.size(), nullptr);
  for (std::size_t i = 0; i < c.in.size(); ++i) {
    if (!c.in[i]) continue;
    storage[i] = plain_input(c, i);
    ins[i] = &storage[i];
  }
  std::vector<tensor> outs = c.reference(ins);
  std::vector<int_value> r;
  for (std::size_t o = 0; o < outs.size(); ++o) {
    if (outs[o].is_integer()) {
      r.push_back(int_value{std::move(outs[o]), std::nullopt, {}});
      continue;
    }
    c.fail(run_error_code::unsupported_type, "a floating output of an integer op is not supported");
  }
  return r;
}

/// DequantizeLinear: y = (x - zero_point) scale, per tensor or per axis. The scale is quantized as a
/// multiplier M per channel (quantize_weights) and y = round((x - zp) M 2^(f - f_M)). x is exact,
/// so the error is the distance to (x - zp) scale alone.
std::vector<int_value> op_dequantize_linear(const int_context& c) {
  const int_value& x = c.input(0);
  if (x.is_fixed()) c.fail(run_error_code::unsupported_type, "x must be an integer tensor");
  const tensor scale = plain_input(c, 1);
  const int_value* zp = c.optional(2);
  if (zp && zp->is_fixed()) c.fail(run_error_code::unsupported_type, "x_zero_point must be an integer tensor");
  (void)c.reference({&x.t, &scale, zp ? &zp->t : nullptr});  // the reference's checks of shapes and axis
  if (scale.is_integer() || scale.size() == 0) c.invalid("x_scale must be floating");
  const std::size_t channels = scale.size();
  std::int64_t inner = 1;
  if (channels > 1) {
    const attribute* a = c.n.find("axis");
    std::int64_t axis = a ? a->i : 1;
    const auto rank = static_cast<std::int64_t>(x.t.shape.size());
    if (axis < 0) axis += rank;
    inner = ops::product(x.t.shape, static_cast<std::size_t>(axis) + 1, x.t.shape.size());
  }
  const quantized_weights m = quantize_weights(
      c, scale.data, channels, [](std::size_t i) { return i; }, {}, 0);
  std::vector<std::int64_t> acc(x.t.ints.size());
  for (std::size_t i = 0; i < acc.size(); ++i) {
    const std::size_t ch =
        channels == 1 ? 0 : static_cast<std::size_t>(static_cast<std::int64_t>(i) / inner) % channels;
    acc[i] = (x.t.ints[i] - (zp ? zp->t.ints[ch] : 0)) * m.q[ch];
  }
  int_value r = requantize_channels(c, x.t.shape, acc, m.frac, inner, c.out_frac());
  set_error(c, r, c.reference_on_reals(), {});  // x is exact: only the own term
  return {r};
}

}  // namespace

/// The classical-ML ops (ai.onnx.ml): the reference op on the reals of the fixed-point input. Its
/// comparisons with thresholds t are exact integer comparisons q <= floor(t 2^f) in disguise; its
/// aggregation and post-transform are computed on the reals and quantized once at the output's
/// frac. Error bound: the distance to the op on the input's reals, exact when the input is a graph
/// input or constant; a tree's output is not continuous, so an input carrying an error gives an
/// infinite bound.
std::vector<int_value> op_on_reals(const int_context& c) {
  std::vector<tensor> storage(c.in.size());
  std::vector<const tensor*> ins(c.in.size(), nullptr);
  bool exact_inputs = true;
  for (std::size_t i = 0; i < c.in.size(); ++i) {
    if (!c.in[i]) continue;
    storage[i] = c.in[i]->is_fixed() ? c.in[i]->dequantized() : c.in[i]->t;
    ins[i] = &storage[i];
    if (c.bounds() && c.in[i]->is_fixed()) {
      for (double e : c.errors(i).data) exact_inputs = exact_inputs && e == 0;
    }
  }
  std::vector<tensor> outs = c.reference(ins);
  std::vector<int_value> r;
  for (std::size_t o = 0; o < outs.size(); ++o) {
    if (outs[o].is_integer()) {
      r.push_back(int_value{std::move(outs[o]), std::nullopt, {}});
      continue;
    }
    const int f = c.out_frac(o);
    std::vector<std::int64_t> q(outs[o].data.size());
    for (std::size_t i = 0; i < q.size(); ++i) q[i] = fixed::quantize(outs[o].data[i], f);
    int_value v = fixed_tensor(outs[o].shape, std::move(q), f);
    c.check_range(v, o);
    if (c.bounds()) {
      tensor sens = outs[o];
      for (auto& s : sens.data) s = exact_inputs ? 0.0 : std::numeric_limits<double>::infinity();
      set_error(c, v, c.reference_on_reals(o), sens);
    }
    r.push_back(std::move(v));
  }
  return r;
}

void add_exact_ops(int_op_table& t) {
  for (const char* name : {"LinearClassifier", "LinearRegressor", "TreeEnsembleClassifier", "TreeEnsembleRegressor",
                           "Normalizer", "Scaler"}) {
    t.emplace(ops::op_key("ai.onnx.ml", name), op_on_reals);
  }
  for (const char* name : {"Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Slice", "Gather", "Identity",
                           "Dropout", "MaxPool", "Relu", "ArgMax", "ReduceMax"}) {
    t.emplace(name, op_data0);
  }
  for (const char* name : {"Max", "Min", "Concat"}) t.emplace(name, op_common_frac);
  t.emplace("Clip", op_clip);
  t.emplace("Pad", op_pad);
  t.emplace("Cast", op_cast);
  // QuantizeLinear rounds the exact input where it is a graph input or constant (ONNX Runtime's
  // rounding of the given values), the reals the fixed-point integers stand for otherwise.
  for (const char* name : {"Shape", "QuantizeLinear", "QLinearMatMul", "QLinearConv", "MatMulInteger", "ConvInteger"})
    t.emplace(name, op_exact);
  t.emplace("DequantizeLinear", op_dequantize_linear);
}

}  // namespace ciro::zkml::int_ops
