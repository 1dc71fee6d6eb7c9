// The integer inference's linear operators: Gemm, MatMul, Conv, BatchNormalization, Add, Sub, Sum,
// Neg, Mul, Div, PRelu, ReduceSum, ReduceMean, GlobalAveragePool, AveragePool. Products are
// accumulated exactly (the reference's float64 code runs on the integers, exact below 2^53, and
// every accumulator is checked against BabyBear's (p - 1) / 2), then rounded to the output's frac.
// The sensitivity of a linear op to input errors e is the op with |weights| applied to e; of a
// product of two activations, |a^| e_b + e_a |b^| + e_a e_b.

#include <algorithm>
#include <array>
#include <cmath>

#include "zkml/fixed_point.hpp"
#include "zkml/int_ops.hpp"

namespace ciro::zkml::int_ops {

namespace {

/// A copy of the node with the attribute `name` (of the kind of `a`) set.
node with_attribute(const node& n, attribute a) {
  node m = n;
  m.attributes.erase(
      std::remove_if(m.attributes.begin(), m.attributes.end(), [&](const attribute& x) { return x.name == a.name; }),
      m.attributes.end());
  m.attributes.push_back(std::move(a));
  return m;
}

node with_float(const node& n, const std::string& name, double v) {
  attribute a;
  a.name = name;
  a.type = attribute::kind::float_;
  a.f = v;
  return with_attribute(n, a);
}

node as_op(const node& n, const std::string& op) {
  node m = n;
  m.op_type = op;
  return m;
}

/// Operand i as a fixed-point tensor at frac `to`: a constant is quantized there from its exact
/// values, a computed tensor rescaled.
int_value operand_at(const int_context& c, std::size_t i, int to) {
  if (const tensor* k = c.constant(i)) {
    std::vector<std::int64_t> q(k->data.size());
    for (std::size_t j = 0; j < q.size(); ++j) {
      if (std::fabs(std::ldexp(k->data[j], to)) > static_cast<double>(fixed::field_half))
        c.unsupported("constant input " + std::to_string(i) + " is too large for the output's frac");
      q[j] = fixed::quantize(k->data[j], to);
    }
    return fixed_tensor(k->shape, std::move(q), to);
  }
  return rescale(c.fixed_input(i), to);
}

/// The reference op `op` (a copy of the node) on the given tensors.
tensor run_as(const int_context& c, const node& op, const std::vector<const tensor*>& ins) {
  return c.reference(ins, &op).at(0);
}

/// Add, Sub, Sum: every operand at the output's frac, then the exact sum. Sensitivity: the sum of
/// the operands' errors.
std::vector<int_value> op_sum(const int_context& c) {
  const int to = c.out_frac();
  std::vector<tensor> ints, errs;
  for (std::size_t i = 0; i < c.in.size(); ++i) {
    ints.push_back(as_float(operand_at(c, i, to)));
    if (c.bounds()) errs.push_back(c.errors(i));
  }
  std::vector<const tensor*> ptrs, eptrs;
  for (const auto& t : ints) ptrs.push_back(&t);
  for (const auto& t : errs) eptrs.push_back(&t);
  const tensor y = c.reference(ptrs).at(0);
  int_value r = fixed_tensor(y.shape, as_integers(c, y), to);
  c.check_range(r);
  if (c.bounds()) set_error(c, r, c.reference_on_reals(), run_as(c, as_op(c.n, "Sum"), eptrs));
  return {r};
}

std::vector<int_value> op_neg(const int_context& c) {
  int_value y = c.fixed_input(0);
  for (auto& q : y.t.ints) q = -q;
  return {y};
}


/// Mul (and Div by a constant, as a product with the reciprocal `k`): a * b with numpy
/// broadcasting, b a constant (quantized as a multiplier) or an activation (both shifted into the
/// field first).
std::vector<int_value> product(const int_context& c, std::size_t ia, std::size_t ib, const tensor* k) {
  const int_value& a = c.fixed_input(ia);
  const node mul = as_op(c.n, "Mul");
  auto ordered = [&](const tensor* x, const tensor* y) {
    return ia < ib ? std::vector<const tensor*>{x, y} : std::vector<const tensor*>{y, x};
  };
  if (k) {
    const quantized_weights w = multiplier(c, *k, *a.frac);
    const int_value wv = fixed_tensor(k->shape, w.q, w.frac[0]);
    const tensor fa = as_float(a), fb = as_float(wv);
    const tensor y = run_as(c, mul, ordered(&fa, &fb));
    int_value r = requantize(c, y.shape, as_integers(c, y), *a.frac + w.frac[0], c.out_frac());
    if (c.bounds()) {
      const tensor ra = c.real(ia), ea = c.errors(ia), ak = abs_of(*k);
      set_error(c, r, run_as(c, mul, ordered(&ra, k)), run_as(c, mul, ordered(&ea, &ak)));
    }
    return {r};
  }
  const int_value& b = c.fixed_input(ib);
  const auto [sa, sb] = product_shifts(c, 1, *a.frac, *b.frac);
  const int_value a2 = rescale(a, *a.frac - sa), b2 = rescale(b, *b.frac - sb);
  const tensor fa = as_float(a2), fb = as_float(b2);
  const tensor y = run_as(c, mul, ordered(&fa, &fb));
  int_value r = requantize(c, y.shape, as_integers(c, y), *a2.frac + *b2.frac, c.out_frac());
  if (c.bounds()) {
    const tensor ra = abs_of(c.real(ia)), rb = abs_of(c.real(ib)), ea = c.errors(ia), eb = c.errors(ib);
    const tensor s1 = run_as(c, mul, ordered(&ra, &eb)), s2 = run_as(c, mul, ordered(&ea, &rb)),
                 s3 = run_as(c, mul, ordered(&ea, &eb));
    tensor s = s1;
    for (std::size_t i = 0; i < s.data.size(); ++i) s.data[i] += s2.data[i] + s3.data[i];
    set_error(c, r, c.reference_on_reals(), s);
  }
  return {r};
}

std::vector<int_value> op_mul(const int_context& c) {
  if (c.constant(0) && !c.constant(1)) return product(c, 1, 0, c.constant(0));
  return product(c, 0, 1, c.constant(1));
}

std::vector<int_value> op_div(const int_context& c) {
  if (const tensor* k = c.constant(1)) {  // a / k = a * (1 / k), the reciprocal quantized as a weight
    tensor r = *k;
    for (auto& v : r.data) {
      if (v == 0) c.invalid("division by a zero constant");
      v = 1.0 / v;
    }
    return product(c, 0, 1, &r);
  }
  const int_value& a = c.fixed_input(0);
  const int_value& b0 = c.fixed_input(1);
  const auto shape = broadcast_shapes(a.t.shape, b0.t.shape);
  if (!shape) c.invalid("shapes do not broadcast");
  const auto ia = broadcast_map(a.t.shape, *shape), ib = broadcast_map(b0.t.shape, *shape);
  // The divisor one bit down, so that |q_b| <= divisor_limit; y = a / b at frac f: q_y =
  // round(q_a 2^s / q_b) with s = f + f_b - f_a, the numerator bounded for the proof's check
  // (division_shift_limit): s <= s_max (a lower frac, then scaled up exactly), s < 0 shifts q_a
  // down first.
  const int_value b = rescale(b0, *b0.frac - 1);
  const int to = c.out_frac();
  const int s = to + *b.frac - *a.frac;
  const int s_max = division_shift_limit(c.limit());
  const int_value a2 = s < 0 ? rescale(a, *a.frac + s) : a;
  const int shift = std::clamp(s, 0, s_max);
  const int frac = *a2.frac - *b.frac + shift;
  std::vector<std::int64_t> q(ia.size());
  for (std::size_t o = 0; o < q.size(); ++o) {
    const std::int64_t num = a2.t.ints[static_cast<std::size_t>(ia[o])] * (std::int64_t{1} << shift);
    c.check_accumulator(num);
    const std::int64_t den = b.t.ints[static_cast<std::size_t>(ib[o])];
    if (den == 0) c.invalid("division by zero (the divisor rounds to 0 at frac " + std::to_string(*b.frac) + ")");
    q[o] = den > 0 ? fixed::div_round(num, den) : fixed::div_round(-num, -den);
  }
  int_value r = requantize(c, *shape, q, frac, to);
  if (c.bounds()) {
    // |a^/b^ - a/b| <= (e_a |b^| + |a^| e_b) / (|b^| (|b^| - e_b)) when e_b < |b^|.
    const tensor ra = c.real(0), rb = c.real(1), ea = c.errors(0), eb = c.errors(1);
    tensor sens = tensor::floats(*shape, std::vector<double>(q.size()));
    for (std::size_t o = 0; o < q.size(); ++o) {
      const auto i = static_cast<std::size_t>(ia[o]), j = static_cast<std::size_t>(ib[o]);
      const double av = std::fabs(ra.data[i]), bv = std::fabs(rb.data[j]);
      sens.data[o] = bv > eb.data[j] ? (ea.data[i] * bv + av * eb.data[j]) / (bv * (bv - eb.data[j]))
                                     : std::numeric_limits<double>::infinity();
    }
    set_error(c, r, c.reference_on_reals(), sens);
  }
  return {r};
}

/// Gemm's C times beta, broadcast to [M, N] (empty without C), and its largest |value| per column.
std::vector<double> expanded_bias(const int_context& c, double beta, std::int64_t m, std::int64_t n,
                                  std::vector<double>& per_column) {
  per_column.assign(static_cast<std::size_t>(n), 0);
  if (!c.optional(2)) return {};
  const tensor* k = c.constant(2);
  if (!k) c.unsupported("a non-constant C is not supported by the integer inference");
  const shape_t out{m, n};
  if (!broadcasts_to(k->shape, out)) c.invalid("C does not broadcast to [M, N]");
  const auto map = broadcast_map(k->shape, out);
  std::vector<double> full(map.size());
  for (std::size_t o = 0; o < map.size(); ++o) {
    full[o] = beta * k->data[static_cast<std::size_t>(map[o])];
    auto& p = per_column[o % static_cast<std::size_t>(n)];
    p = std::max(p, std::fabs(full[o]));
  }
  return full;
}

/// A product of two activations summed over k terms (MatMul, Gemm with a computed B): both shifted
/// down so that the accumulator cannot wrap, then the reference's product on the integers.
std::vector<int_value> activation_product(const int_context& c, std::int64_t k) {
  const int_value& a = c.fixed_input(0);
  const int_value& b = c.fixed_input(1);
  const auto [sa, sb] = product_shifts(c, k, *a.frac, *b.frac);
  const int_value a2 = rescale(a, *a.frac - sa), b2 = rescale(b, *b.frac - sb);
  const tensor fa = as_float(a2), fb = as_float(b2);
  const tensor y = c.reference({&fa, &fb}).at(0);
  int_value r = requantize(c, y.shape, as_integers(c, y), *a2.frac + *b2.frac, c.out_frac());
  if (c.bounds()) {
    const tensor ra = abs_of(c.real(0)), rb = abs_of(c.real(1)), ea = c.errors(0), eb = c.errors(1);
    const tensor s1 = c.reference({&ra, &eb}).at(0), s2 = c.reference({&ea, &rb}).at(0),
                 s3 = c.reference({&ea, &eb}).at(0);
    tensor s = s1;
    for (std::size_t i = 0; i < s.data.size(); ++i) s.data[i] += s2.data[i] + s3.data[i];
    set_error(c, r, c.reference_on_reals(), s);
  }
  return {r};
}

std::vector<int_value> op_gemm(const int_context& c) {
  const double alpha = c.n.find("alpha") ? c.n.find("alpha")->f : 1.0;
  const double beta = c.n.find("beta") ? c.n.find("beta")->f : 1.0;
  const bool trans_a = c.n.find("transA") && c.n.find("transA")->i != 0;
  const bool trans_b = c.n.find("transB") && c.n.find("transB")->i != 0;
  const int_value& a = c.fixed_input(0);
  if (a.t.shape.size() != 2) c.invalid("A must be 2-D");
  const std::int64_t m = trans_a ? a.t.shape[1] : a.t.shape[0];
  const std::int64_t k = trans_a ? a.t.shape[0] : a.t.shape[1];
  const tensor* b = c.constant(1);
  if (!b) {
    if (alpha != 1.0 || c.optional(2)) c.unsupported("alpha != 1 or C with a non-constant B");
    return activation_product(c, k);
  }
  if (b->shape.size() != 2) c.invalid("B must be 2-D");
  const std::int64_t n = trans_b ? b->shape[0] : b->shape[1];
  std::vector<double> w(b->data.size());
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = alpha * b->data[i];
  const auto un = static_cast<std::size_t>(n), uk = static_cast<std::size_t>(k);
  const std::function<std::size_t(std::size_t)> channel_of = [&](std::size_t i) { return trans_b ? i / uk : i % un; };
  std::vector<double> bias_per_column;
  const std::vector<double> bias = expanded_bias(c, beta, m, n, bias_per_column);
  const quantized_weights qw = quantize_weights(c, w, un, channel_of, bias_per_column, *a.frac);
  const tensor fa = as_float(a), fb = as_float(fixed_tensor(b->shape, qw.q, 0));
  // The bias at each column's accumulator frac.
  tensor fc = tensor::floats({m, n}, std::vector<double>(bias.size()));
  for (std::size_t i = 0; i < bias.size(); ++i)
    fc.data[i] = static_cast<double>(fixed::quantize(bias[i], *a.frac + qw.frac[i % un]));
  const node plain = with_float(with_float(c.n, "alpha", 1.0), "beta", 1.0);
  std::vector<const tensor*> ins{&fa, &fb};
  if (!bias.empty()) ins.push_back(&fc);
  const tensor y = run_as(c, plain, ins);
  std::vector<int> fracs(un);
  for (std::size_t ch = 0; ch < un; ++ch) fracs[ch] = *a.frac + qw.frac[ch];
  int_value r = requantize_channels(c, y.shape, as_integers(c, y), fracs, 1, c.out_frac());
  if (c.bounds()) {
    const node sens_op = with_float(with_float(c.n, "alpha", std::fabs(alpha)), "beta", 0.0);
    const tensor ea = c.errors(0), ab = abs_of(*b);
    set_error(c, r, c.reference_on_reals(), run_as(c, sens_op, {&ea, &ab}));
  }
  return {r};
}

std::vector<int_value> op_matmul(const int_context& c) {
  const std::int64_t k = c.input(0).t.shape.empty() ? 1 : c.input(0).t.shape.back();
  const tensor* wb = c.constant(1);
  const tensor* wa = c.constant(0);
  if (!wb && !wa) return activation_product(c, k);
  // One operand constant: per output column when B is a constant matrix, one frac otherwise.
  const bool b_const = wb != nullptr;
  const std::size_t ia = b_const ? 0 : 1;
  const int_value& act = c.fixed_input(ia);
  const tensor& w = b_const ? *wb : *wa;
  const bool per_column = b_const && w.shape.size() == 2;
  const std::size_t channels = per_column ? static_cast<std::size_t>(w.shape[1]) : 1;
  const std::function<std::size_t(std::size_t)> channel_of = [&](std::size_t i) {
    return per_column ? i % channels : std::size_t{0};
  };
  const quantized_weights qw = quantize_weights(c, w.data, channels, channel_of, {}, *act.frac);
  const tensor fact = as_float(act), fw = as_float(fixed_tensor(w.shape, qw.q, 0));
  auto ordered = [&](const tensor* x, const tensor* y) {
    return b_const ? std::vector<const tensor*>{x, y} : std::vector<const tensor*>{y, x};
  };
  const tensor y = c.reference(ordered(&fact, &fw)).at(0);
  std::vector<int> fracs(channels);
  for (std::size_t ch = 0; ch < channels; ++ch) fracs[ch] = *act.frac + qw.frac[ch];
  int_value r = requantize_channels(c, y.shape, as_integers(c, y), fracs, 1, c.out_frac());
  if (c.bounds()) {
    const tensor e = c.errors(ia), aw = abs_of(w);
    set_error(c, r, c.reference_on_reals(), c.reference(ordered(&e, &aw)).at(0));
  }
  return {r};
}

std::vector<int_value> op_conv(const int_context& c) {
  const int_value& x = c.fixed_input(0);
  const tensor* w = c.constant(1);
  if (!w) c.unsupported("a non-constant weight W is not supported by the integer inference");
  if (c.optional(2) && !c.constant(2)) c.unsupported("a non-constant bias B is not supported");
  if (w->shape.empty() || w->shape[0] <= 0) c.invalid("W must have M > 0 output channels");
  const auto channels = static_cast<std::size_t>(w->shape[0]);
  const std::size_t per_channel = w->data.size() / channels;
  const std::function<std::size_t(std::size_t)> channel_of = [&](std::size_t i) { return i / per_channel; };
  const tensor* bias_t = c.constant(2);
  const std::vector<double> bias = bias_t ? bias_t->data : std::vector<double>{};
  if (!bias.empty() && bias.size() != channels) c.invalid("B must have M values");
  std::vector<double> bias_abs(bias.size());
  for (std::size_t i = 0; i < bias.size(); ++i) bias_abs[i] = std::fabs(bias[i]);
  const quantized_weights qw = quantize_weights(c, w->data, channels, channel_of, bias_abs, *x.frac);
  const tensor fx = as_float(x), fw = as_float(fixed_tensor(w->shape, qw.q, 0));
  tensor fb = tensor::floats({static_cast<std::int64_t>(bias.size())}, std::vector<double>(bias.size()));
  for (std::size_t i = 0; i < bias.size(); ++i)
    fb.data[i] = static_cast<double>(fixed::quantize(bias[i], *x.frac + qw.frac[i]));
  std::vector<const tensor*> ins{&fx, &fw};
  if (!bias.empty()) ins.push_back(&fb);
  const tensor y = c.reference(ins).at(0);
  std::vector<int> fracs(channels);
  for (std::size_t ch = 0; ch < channels; ++ch) fracs[ch] = *x.frac + qw.frac[ch];
  const std::int64_t inner = y.shape.size() > 2 ? ops::product(y.shape, 2, y.shape.size()) : 1;
  int_value r = requantize_channels(c, y.shape, as_integers(c, y), fracs, inner, c.out_frac());
  if (c.bounds()) {
    const tensor e = c.errors(0), aw = abs_of(*w);
    set_error(c, r, c.reference_on_reals(), c.reference({&e, &aw}).at(0));
  }
  return {r};
}

std::vector<int_value> op_batch_normalization(const int_context& c) {
  if (c.n.outputs.size() > 1) c.unsupported("training-mode outputs are not supported");
  const int_value& x = c.fixed_input(0);
  if (x.t.shape.size() < 2) c.invalid("X must have rank >= 2");
  std::array<const tensor*, 4> p{};
  for (std::size_t i = 0; i < 4; ++i) {
    p[i] = c.constant(i + 1);
    if (!p[i]) c.unsupported("a non-constant scale, bias, mean or variance is not supported");
  }
  const std::int64_t ch = x.t.shape[1];
  for (const tensor* t : p) {
    if (t->data.size() != static_cast<std::size_t>(ch)) c.invalid("parameters must have C values");
  }
  const double eps = c.n.find("epsilon") ? c.n.find("epsilon")->f : 1e-5;
  // y = a_c x + b_c with a_c = scale / sqrt(var + eps), b_c = B - mean a_c.
  std::vector<double> a(static_cast<std::size_t>(ch)), b(a.size()), b_abs(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!(p[3]->data[i] + eps > 0)) c.invalid("variance + epsilon must be positive");
    a[i] = p[0]->data[i] / std::sqrt(p[3]->data[i] + eps);
    b[i] = p[1]->data[i] - p[2]->data[i] * a[i];
    b_abs[i] = std::fabs(b[i]);
  }
  const quantized_weights qw = quantize_weights(
      c, a, a.size(), [](std::size_t i) { return i; }, b_abs, *x.frac);
  const std::int64_t inner = ops::product(x.t.shape, 2, x.t.shape.size());
  std::vector<std::int64_t> qb(a.size()), acc(x.t.ints.size());
  for (std::size_t i = 0; i < a.size(); ++i) qb[i] = fixed::quantize(b[i], *x.frac + qw.frac[i]);
  auto channel = [&](std::size_t i) { return static_cast<std::size_t>((static_cast<std::int64_t>(i) / inner) % ch); };
  for (std::size_t i = 0; i < acc.size(); ++i) acc[i] = x.t.ints[i] * qw.q[channel(i)] + qb[channel(i)];
  std::vector<int> fracs(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) fracs[i] = *x.frac + qw.frac[i];
  int_value r = requantize_channels(c, x.t.shape, acc, fracs, inner, c.out_frac());
  if (c.bounds()) {
    tensor sens = c.errors(0);
    for (std::size_t i = 0; i < sens.data.size(); ++i) sens.data[i] *= std::fabs(a[channel(i)]);
    set_error(c, r, c.reference_on_reals(), sens);
  }
  return {r};
}

/// PRelu: y = x for x >= 0, slope x otherwise; the slope (a constant, broadcast to X) quantized as a
/// multiplier, and x >= 0 scaled by the same power of two so that both branches share one frac.
/// Sensitivity: max(1, |slope|) e.
std::vector<int_value> op_prelu(const int_context& c) {
  const int_value& x = c.fixed_input(0);
  const tensor* slope = c.constant(1);
  if (!slope) c.unsupported("a non-constant slope is not supported by the integer inference");
  if (!broadcasts_to(slope->shape, x.t.shape)) c.invalid("slope does not broadcast to X");
  const quantized_weights w = multiplier(c, *slope, *x.frac, 1.0);  // the positive branch multiplies by 1
  if (w.frac[0] < 0) c.unsupported("slope too large for the integer inference");
  const auto map = broadcast_map(slope->shape, x.t.shape);
  std::vector<std::int64_t> acc(x.t.ints.size());
  for (std::size_t i = 0; i < acc.size(); ++i) {
    const std::int64_t q = x.t.ints[i];
    acc[i] = q >= 0 ? q * (std::int64_t{1} << w.frac[0]) : q * w.q[static_cast<std::size_t>(map[i])];
  }
  int_value r = requantize(c, x.t.shape, acc, *x.frac + w.frac[0], c.out_frac());
  if (c.bounds()) {
    tensor sens = c.errors(0);
    for (std::size_t i = 0; i < sens.data.size(); ++i)
      sens.data[i] *= std::max(1.0, std::fabs(slope->data[static_cast<std::size_t>(map[i])]));
    set_error(c, r, c.reference_on_reals(), sens);
  }
  return {r};
}

/// round(sum_i 2^(to - from) / n_i) for each sum: the mean of n_i values at frac `from`, at frac
/// `to` (at a lower frac when the numerator would leave the field, then scaled up exactly). An
/// empty window (n_i = 0) gives 0.
int_value mean_of_sums(const int_context& c, const shape_t& shape, const std::vector<std::int64_t>& sums,
                       const std::vector<std::int64_t>& counts, int from, int to) {
  std::int64_t n_max = 1;
  for (auto n : counts) n_max = std::max(n_max, n);
  const int s_max = mean_shift_limit(n_max, c.limit());
  const int s = std::min(to - from, s_max);
  std::vector<std::int64_t> q(sums.size());
  for (std::size_t i = 0; i < q.size(); ++i) {
    c.check_accumulator(sums[i]);
    const std::int64_t n = counts[i % counts.size()];
    if (n <= 0) continue;
    q[i] = s >= 0 ? fixed::div_round(sums[i] * (std::int64_t{1} << s), n)
                  : fixed::div_round(sums[i], n * (std::int64_t{1} << -s));
  }
  return requantize(c, shape, q, from + s, to);
}


/// Sensitivity of an averaging or summing op: the op itself applied to the input's errors.
void averaging_error(const int_context& c, int_value& r) {
  if (!c.bounds()) return;
  std::vector<tensor> storage(c.in.size());
  std::vector<const tensor*> ptrs(c.in.size(), nullptr);
  for (std::size_t i = 0; i < c.in.size(); ++i) {
    if (!c.in[i]) continue;
    storage[i] = i == 0 ? c.errors(0) : c.real(i);
    ptrs[i] = &storage[i];
  }
  set_error(c, r, c.reference_on_reals(), c.reference(ptrs).at(0));
}

std::vector<int_value> op_reduce(const int_context& c, bool mean) {
  const int_value& x0 = c.fixed_input(0);
  const auto total = static_cast<std::int64_t>(x0.t.ints.size());
  // The reference's result on the integers: sums exactly for ReduceSum; for ReduceMean the mean,
  // from which the exact sum is recovered (|sum| < 2^40, so mean * n is within 2^-12 of it).
  const int_value x = rescale(x0, *x0.frac - sum_shift(c, total));
  const tensor fx = as_float(x);
  std::vector<const tensor*> ins{&fx};
  for (std::size_t i = 1; i < c.in.size(); ++i) ins.push_back(c.in[i] ? &c.in[i]->t : nullptr);
  const tensor y = c.reference(ins).at(0);
  const std::int64_t n = y.data.empty() ? 1 : total / static_cast<std::int64_t>(y.data.size());
  if (n == 0) c.invalid("a reduction over no elements");
  std::vector<std::int64_t> sums(y.data.size());
  for (std::size_t i = 0; i < sums.size(); ++i)
    sums[i] = mean ? std::llround(y.data[i] * static_cast<double>(n)) : std::llround(y.data[i]);
  int_value r = mean ? mean_of_sums(c, y.shape, sums, {n}, *x.frac, c.out_frac())
                     : requantize(c, y.shape, sums, *x.frac, c.out_frac());
  averaging_error(c, r);
  return {r};
}

std::vector<int_value> op_global_average_pool(const int_context& c) {
  const int_value& x0 = c.fixed_input(0);
  if (x0.t.shape.size() < 3) c.invalid("X must have rank >= 3");
  const std::int64_t inner = ops::product(x0.t.shape, 2, x0.t.shape.size());
  const int_value x = rescale(x0, *x0.frac - sum_shift(c, inner));
  const std::int64_t nc = x.t.shape[0] * x.t.shape[1];
  shape_t out{x.t.shape[0], x.t.shape[1]};
  out.resize(x.t.shape.size(), 1);
  std::vector<std::int64_t> sums(static_cast<std::size_t>(nc), 0);
  for (std::int64_t i = 0; i < nc; ++i) {
    for (std::int64_t j = 0; j < inner; ++j)
      sums[static_cast<std::size_t>(i)] += x.t.ints[static_cast<std::size_t>(i * inner + j)];
  }
  int_value r = mean_of_sums(c, out, sums, {inner}, *x.frac, c.out_frac());
  averaging_error(c, r);
  return {r};
}

/// AveragePool: the window sums and counts of the reference's pool() (zkml/reference.cpp), whose
/// geometry it shares through ops::make_window, then the rounded means.
std::vector<int_value> op_average_pool(const int_context& c) {
  const int_value& x0 = c.fixed_input(0);
  if (c.n.outputs.size() > 1) c.invalid("AveragePool has one output");
  if (x0.t.shape.size() < 3) c.invalid("X must have rank >= 3");
  const attribute* ks = c.n.find("kernel_shape");
  if (!ks || ks->type != attribute::kind::ints) c.invalid("kernel_shape is required");
  std::int64_t window_size = 1;
  for (auto k : ks->ints) window_size *= std::max<std::int64_t>(k, 1);
  const int_value x = rescale(x0, *x0.frac - sum_shift(c, window_size));
  const tensor fx = as_float(x);
  (void)c.reference({&fx});  // the reference's checks of the attributes and shapes
  const ops::op_context oc{c.n, {&fx}};
  const bool ceil_mode = c.n.opset >= 10 && c.n.find("ceil_mode") && c.n.find("ceil_mode")->i != 0;
  const bool include_pad = c.n.find("count_include_pad") && c.n.find("count_include_pad")->i != 0;
  const ops::window w = ops::make_window(oc, x.t.shape, ks->ints, ceil_mode, false);
  const shape_t out_shape = ops::window_output_shape(w, x.t.shape[0], x.t.shape[1]);
  std::vector<std::int64_t> sums(static_cast<std::size_t>(num_elements(out_shape))), counts(sums.size());
  std::size_t o = 0;
  const std::int64_t planes = x.t.shape[0] * x.t.shape[1];
  for (std::int64_t p = 0; p < planes; ++p) {
    for (std::int64_t o0 = 0; o0 < w.out[0]; ++o0) {
      for (std::int64_t o1 = 0; o1 < w.out[1]; ++o1) {
        for (std::int64_t o2 = 0; o2 < w.out[2]; ++o2, ++o) {
          const std::array<std::int64_t, 3> start{o0 * w.stride[0] - w.pad_begin[0], o1 * w.stride[1] - w.pad_begin[1],
                                                  o2 * w.stride[2] - w.pad_begin[2]};
          std::int64_t sum = 0, count = 0;
          for (std::int64_t k0 = 0; k0 < w.kernel[0]; ++k0) {
            const std::int64_t i0 = start[0] + k0 * w.dilation[0];
            if (i0 < 0 || i0 >= w.in[0]) continue;
            for (std::int64_t k1 = 0; k1 < w.kernel[1]; ++k1) {
              const std::int64_t i1 = start[1] + k1 * w.dilation[1];
              if (i1 < 0 || i1 >= w.in[1]) continue;
              for (std::int64_t k2 = 0; k2 < w.kernel[2]; ++k2) {
                const std::int64_t i2 = start[2] + k2 * w.dilation[2];
                if (i2 < 0 || i2 >= w.in[2]) continue;
                sum += x.t.ints[static_cast<std::size_t>(((p * w.in[0] + i0) * w.in[1] + i1) * w.in[2] + i2)];
                ++count;
              }
            }
          }
          if (include_pad) {  // the window clipped to the padded input, as the reference counts it
            count = 1;
            for (std::size_t d = 0; d < 3; ++d) {
              const std::int64_t hi =
                  std::min(start[d] + (w.kernel[d] - 1) * w.dilation[d] + 1, w.in[d] + w.pad_end[d]);
              count *= (hi - start[d] + w.dilation[d] - 1) / w.dilation[d];
            }
          }
          sums[o] = sum;
          counts[o] = count;
        }
      }
    }
  }
  int_value r = mean_of_sums(c, out_shape, sums, counts, *x.frac, c.out_frac());
  averaging_error(c, r);
  return {r};
}

}  // namespace

quantized_weights multiplier(const int_context& c, const tensor& k, int other_frac, double at_least) {
  double mx = at_least;
  for (double v : k.data) mx = std::max(mx, std::fabs(v));
  quantized_weights w = quantize_weights(
      c, {mx}, 1, [](std::size_t) { return std::size_t{0}; }, {}, other_frac);
  w.q.resize(k.data.size());
  for (std::size_t i = 0; i < k.data.size(); ++i) w.q[i] = fixed::quantize(k.data[i], w.frac[0]);
  return w;
}

int mean_shift_limit(std::int64_t n, std::int64_t limit) {
  const auto fits = [&](int s) {
    return std::ldexp(static_cast<double>(n) * static_cast<double>(limit), s + 1) + 5.0 * static_cast<double>(n) <=
           static_cast<double>(fixed::field_half);
  };
  int s = 0;
  while (s < 40 && fits(s + 1)) ++s;
  return s;
}

std::int64_t divisor_limit(std::int64_t limit) { return fixed::round_shift(limit, 1); }

int division_shift_limit(std::int64_t limit) {
  const double d = static_cast<double>(divisor_limit(limit)), l = static_cast<double>(limit);
  const auto fits = [&](int s) {
    return std::ldexp(l, s + 1) + 3 * d + 2 * d * l <= static_cast<double>(fixed::field_modulus - 1);
  };
  int s = 0;
  while (s < 40 && fits(s + 1)) ++s;
  return s;
}

int sum_shift(const int_context& c, std::int64_t n) {
  int s = 0;
  while (static_cast<double>(n) * static_cast<double>(s == 0 ? c.limit() : (c.limit() >> s) + 1) >
         static_cast<double>(fixed::field_half))
    ++s;
  return s;
}

void add_linear_ops(int_op_table& t) {
  t.emplace("Add", op_sum);
  t.emplace("Sub", op_sum);
  t.emplace("Sum", op_sum);
  t.emplace("Neg", op_neg);
  t.emplace("Mul", op_mul);
  t.emplace("Div", op_div);
  t.emplace("Gemm", op_gemm);
  t.emplace("MatMul", op_matmul);
  t.emplace("Conv", op_conv);
  t.emplace("BatchNormalization", op_batch_normalization);
  t.emplace("PRelu", op_prelu);
  t.emplace("ReduceSum", [](const int_context& c) { return op_reduce(c, false); });
  t.emplace("ReduceMean", [](const int_context& c) { return op_reduce(c, true); });
  t.emplace("GlobalAveragePool", op_global_average_pool);
  t.emplace("AveragePool", op_average_pool);
}

}  // namespace ciro::zkml::int_ops
