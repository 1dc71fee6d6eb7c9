#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "air/air.hpp"
#include "air/lookup.hpp"
#include "air/range_check.hpp"
#include "core/check.hpp"
#include "field/babybear.hpp"
#include "kernels/matrix.hpp"

/// The tables a model is proven with (docs/zkml.md, "Proving"). The lowering (zkml/lowering.hpp)
/// turns the integer inference into steps over a flat array of values, each value with an
/// address; these AIRs check the steps. Values move between steps on the tensor bus as (address,
/// value): the step that computes a value sends it once with its number of readers (a fixed column:
/// the wiring is part of the circuit), every reader receives it once. Because every sender's
/// address column is fixed and every address has exactly one sender, the bus balances only if
/// every reader reads the value its producer computed.
///
/// Every value on the tensor bus is an activation q with |q| <= bound (the activation limit,
/// 2^15 - 1 by default, or a tighter bound): the step that computes it range-checks q + bound and
/// bound - q with the 16-bit range table. So every product and sum the tables form is an exact
/// integer (the lowering refuses weights whose sums could leave (p - 1) / 2).
///
/// The weights, the wiring and every rescaling constant are fixed columns: a circuit is compiled
/// once per model and quantization, and its verifying key commits to them.
namespace ciro::zkml {

/// (address, value): every value of the lowered model.
inline constexpr air::bus tensor_bus{20, "tensor"};
/// (position, value): the model's inputs and outputs, matched against the statement's public
/// lookups (stark/public_lookups.hpp).
inline constexpr air::bus io_bus{21, "io"};
/// (function, x, f(x)): the element-wise functions' tables.
inline constexpr air::bus function_bus{22, "function"};
/// (id, feature, threshold, if_true, if_false, leaf, weights...): the tree ensembles' nodes.
inline constexpr air::bus tree_node_bus{23, "tree-node"};
/// (step, feature, x): the features of each input row of a tree ensemble.
inline constexpr air::bus tree_feature_bus{24, "tree-feature"};
/// (step, s): the exact sums of the multiply-accumulate table, each rounded by the rounding table.
inline constexpr air::bus accumulator_bus{25, "accumulator"};

/// A table's fixed columns, shared by the circuit's copies of its AIR. Null in an AIR rebuilt
/// from its name by a verifier (which only needs the verifying key's commitment to them).
using fixed_columns = std::shared_ptr<const kernels::row_major_matrix<field::babybear>>;

namespace detail {

/// What the model tables share: their fixed trace, fixed at construction with its height.
class fixed_trace_holder {
 public:
  fixed_trace_holder(fixed_columns fixed, std::size_t width) : fixed_(std::move(fixed)), width_(width) {
    CIRO_CHECK(!fixed_ || fixed_->width() == width_);
  }
  /// The number of fixed columns.
  std::size_t num_fixed_columns() const { return width_; }
  /// The table has exactly the height of its fixed trace (any height when rebuilt from its name).
  bool accepts_log_rows(unsigned log_rows) const { return !fixed_ || fixed_->rows() == std::size_t{1} << log_rows; }
  /// The fixed trace. Precondition: the AIR was built with it, for 2^log_rows rows (CIRO_CHECK).
  kernels::row_major_matrix<field::babybear> fixed_trace(unsigned log_rows) const {
    CIRO_CHECK(fixed_ && fixed_->rows() == std::size_t{1} << log_rows);
    return *fixed_;
  }

 private:
  fixed_columns fixed_;
  std::size_t width_;
};

/// The rounding of affine_air and dot_air, columns given: the constraint
/// end (mul s + add - div y - r_lo - 2^16 r_hi) = 0 ...
template <class B, class Expr>
void assert_rounding(B& b, const Expr& s, const Expr& y, const Expr& r_lo, const Expr& r_hi, const Expr& end,
                     const Expr& mul, const Expr& add, const Expr& div) {
  b.assert_zero(end * (mul * s + add - div * y - r_lo - b.constant(field::babybear::from_canonical(65536)) * r_hi));
}

/// ... and its interactions: sends (address_y, y) on the tensor bus with readers_y, and (y + bound),
/// (bound - y), (r_lo), (r_lo + k_lo), (r_hi), (r_hi + k_hi) on range16 with end. `f(j)` is fixed
/// column end + j (end, mul, add, div, bound, k_lo, k_hi, address_y, readers_y).
template <class B, class Expr, class Fixed>
void send_rounded(B& b, const Expr& y, const Expr& r_lo, const Expr& r_hi, const Fixed& f) {
  const Expr end = f(0), bound = f(4);
  b.send(tensor_bus, {f(7), y}, f(8));
  b.send(air::range16_bus, {y + bound}, end);
  b.send(air::range16_bus, {bound - y}, end);
  b.send(air::range16_bus, {r_lo}, end);
  b.send(air::range16_bus, {r_lo + f(5)}, end);
  b.send(air::range16_bus, {r_hi}, end);
  b.send(air::range16_bus, {r_hi + f(6)}, end);
}

}  // namespace detail

/// The model's inputs and outputs ("zkml-io"): one row per input or output element.
///
/// Main columns:  0  v, the element.
/// Fixed columns: 0 position (inputs first, in graph order, then outputs), 1 address,
///                2 tensor_mult (an input's number of readers; -1 for an output, which reads),
///                3 io_mult (-1 for an input, +1 for an output), 4 check (1 for an input),
///                5 bound (the activation limit).
/// Buses, in order: sends (address, v) on tensor_bus with tensor_mult; sends (position, v) on
///                io_bus with io_mult; sends (v + bound) and (bound - v) on range16 with check.
/// Public values: 8, read by no constraint (see num_public_values).
/// With the statement's public lookups (+1 (position, x) per input element x, -1 (position, y)
/// per output element y) the io bus balances only if the table's inputs and outputs are the
/// public ones; the range checks keep the inputs within the bound like every other value.
struct io_air : detail::fixed_trace_holder {
  static constexpr std::size_t fixed_position = 0, fixed_address = 1, fixed_tensor_mult = 2, fixed_io_mult = 3,
                               fixed_check = 4, fixed_bound = 5, num_fixed = 6;
  explicit io_air(fixed_columns fixed = nullptr) : fixed_trace_holder(std::move(fixed), num_fixed) {}
  std::string_view name() const { return "zkml-io"; }
  std::size_t width() const { return 1; }
  /// 8 public values that no constraint reads: the transcript absorbs them, which binds a proof
  /// to them (a model proof's statement digest).
  std::size_t num_public_values() const { return 8; }

  template <class B>
  void eval(B& b) const {
    const auto v = b.local(0);
    b.send(tensor_bus, {b.fixed(fixed_address), v}, b.fixed(fixed_tensor_mult));
    b.send(io_bus, {b.fixed(fixed_position), v}, b.fixed(fixed_io_mult));
    b.send(air::range16_bus, {v + b.fixed(fixed_bound)}, b.fixed(fixed_check));
    b.send(air::range16_bus, {b.fixed(fixed_bound) - v}, b.fixed(fixed_check));
  }
};

/// Affine steps with rounding ("zkml-affine-L"): each step computes one value
///     y = floor((mul * (bias + sum_k w_k x_k) + add) / div),     |y| <= bound,
/// over one or more consecutive rows of L lanes (x_k read from the tensor bus at fixed addresses,
/// w_k fixed). Gemm, MatMul, Conv, BatchNormalization, sums, means and every rescaling are such
/// steps: a rounding shift by s is mul = 1, add = 2^(s-1), div = 2^s; a multiplication by 2^t is
/// mul = 2^t; a mean of n is mul = 2, add = n, div = 2n.
///
/// Main columns:  0 .. L-1  x_l;  L  s, the running sum bias + sum w x up to this row of the step;
///                L+1 y;  L+2 r_lo;  L+3 r_hi  (y and the remainder r = r_lo + 2^16 r_hi on a
///                step's last row).
/// Fixed columns: 0 .. L-1 address_l; L .. 2L-1 active_l; 2L .. 3L-1 w_l; then bias (on a step's
///                first row), end (1 on its last row), mul, add, div, bound, k_lo, k_hi,
///                address_y, readers_y (on the last row).
/// Constraints:   first row: s = bias + sum_l w_l x_l;
///                transition: s' = (1 - end) s + bias' + sum_l w_l' x_l';
///                every row: end (mul s + add - div y - r_lo - 2^16 r_hi) = 0.
/// Buses, in order: per lane receives (address_l, x_l) with active_l; sends (address_y, y) with
///                readers_y; sends (y + bound), (bound - y), (r_lo), (r_lo + k_lo), (r_hi),
///                (r_hi + k_hi) on range16 with end.
/// The remainder's checks give 0 <= r < div: for div <= 2^16, k_lo = 2^16 - div and k_hi =
/// 2^16 - 1 (so r_hi = 0); for div = 2^16 d (d <= 2^16), k_lo = 0 and k_hi = 2^16 - d. Every |x|
/// is bounded by its value's range check, and the lowering requires mul (|bias| + sum |w| bound_x)
/// + add + 2 div <= (p - 1) / 2 and bound <= (p - 1) / 2 / div: the numerator N = mul s + add is
/// then an exact integer, the true floor y is within the bound, and any other y' div + r' in range
/// differs from N by less than p, so y is the only solution modulo p.
struct affine_air : detail::fixed_trace_holder {
  /// Fixed columns after the lanes' 3L.
  enum extra : std::size_t { bias, end, mul, add, div, bound, k_lo, k_hi, address_y, readers_y, num_extra };

  explicit affine_air(std::size_t lanes, fixed_columns fixed = nullptr)
      : fixed_trace_holder(std::move(fixed), 3 * lanes + num_extra), lanes_(lanes), name_("zkml-affine-" + std::to_string(lanes)) {
    CIRO_CHECK(lanes >= 1 && lanes <= 64);
  }
  std::string_view name() const { return name_; }
  std::size_t width() const { return lanes_ + 4; }
  std::size_t num_public_values() const { return 0; }
  std::size_t lanes() const { return lanes_; }
  /// Column indices.
  std::size_t col_s() const { return lanes_; }
  std::size_t fixed_extra(extra e) const { return 3 * lanes_ + e; }

  template <class B>
  void eval(B& b) const {
    using expr = typename B::expr;
    const std::size_t L = lanes_;
    auto f = [&](extra e) { return b.fixed(fixed_extra(e)); };
    expr dot = b.constant(field::babybear::zero()), dot_next = dot;
    for (std::size_t l = 0; l < L; ++l) {
      dot = dot + b.fixed(2 * L + l) * b.local(l);
      dot_next = dot_next + b.fixed_next(2 * L + l) * b.next(l);
    }
    const expr s = b.local(L), y = b.local(L + 1), r_lo = b.local(L + 2), r_hi = b.local(L + 3);
    const expr one = b.constant(field::babybear::one());
    b.assert_zero_first(s - f(bias) - dot);
    b.assert_zero_transition(b.next(L) - (one - f(end)) * s - b.fixed_next(fixed_extra(bias)) - dot_next);
    detail::assert_rounding(b, s, y, r_lo, r_hi, f(end), f(mul), f(add), f(div));
    for (std::size_t l = 0; l < L; ++l) b.receive(tensor_bus, {b.fixed(l), b.local(l)}, b.fixed(L + l));
    detail::send_rounded(b, y, r_lo, r_hi, [&](std::size_t j) { return b.fixed(fixed_extra(end) + j); });
  }

 private:
  std::size_t lanes_;
  std::string name_;
};

/// Affine steps that read the same values, M at a time ("zkml-mac-LxM"): the sums
///     s_m = bias_m + sum_k w_mk x_k,     m < M,
/// over one or more consecutive rows of L lanes, each x_k read once from the tensor bus for all M
/// sums (the output channels of a convolution at one position, the columns of a matrix product
/// for one row). Each sum is sent exact on the accumulator bus; the rounding table rounds it.
/// A multiply-add costs 1/M of a lookup instead of one.
///
/// Main columns:  0 .. L-1 x_l;  L .. L+M-1 s_m, the running sums up to this row of the step.
/// Fixed columns: 0 .. L-1 address_l;  L .. 2L-1 active_l;  2L + M l + m: w_ml (lane l, sum m);
///                then bias_m (on a step's first row, M columns), end (1 on its last row),
///                id_m (the affine step of sum m), send_m (1 on the last row for each sum used).
/// Constraints:   first row: s_m = bias_m + sum_l w_ml x_l;
///                transition: s_m' = (1 - end) s_m + bias_m' + sum_l w_ml' x_l'.
/// Buses, in order: per lane receives (address_l, x_l) on tensor_bus with active_l; per sum sends
///                (id_m, s_m) on accumulator_bus with send_m.
/// The lowering bounds every sum (its numerator check), so each s_m is an exact integer.
class mac_air : public detail::fixed_trace_holder {
 public:
  /// Preconditions: 1 <= lanes, sums <= 64 (CIRO_CHECK).
  mac_air(std::size_t lanes, std::size_t sums, fixed_columns fixed = nullptr)
      : fixed_trace_holder(std::move(fixed), 2 * lanes + lanes * sums + 3 * sums + 1),
        lanes_(lanes),
        sums_(sums),
        name_("zkml-mac-" + std::to_string(lanes) + "x" + std::to_string(sums)) {
    CIRO_CHECK(lanes >= 1 && lanes <= 64 && sums >= 1 && sums <= 64);
  }
  std::string_view name() const { return name_; }
  std::size_t width() const { return lanes_ + sums_; }
  std::size_t num_public_values() const { return 0; }
  std::size_t lanes() const { return lanes_; }
  std::size_t sums() const { return sums_; }
  /// Fixed column indices.
  std::size_t fixed_weight(std::size_t l, std::size_t m) const { return 2 * lanes_ + sums_ * l + m; }
  std::size_t fixed_bias(std::size_t m) const { return 2 * lanes_ + lanes_ * sums_ + m; }
  std::size_t fixed_end() const { return 2 * lanes_ + lanes_ * sums_ + sums_; }
  std::size_t fixed_id(std::size_t m) const { return fixed_end() + 1 + m; }
  std::size_t fixed_send(std::size_t m) const { return fixed_end() + 1 + sums_ + m; }

  template <class B>
  void eval(B& b) const {
    using expr = typename B::expr;
    const std::size_t L = lanes_;
    const expr one = b.constant(field::babybear::one());
    for (std::size_t m = 0; m < sums_; ++m) {
      expr dot = b.fixed(fixed_bias(m)), dot_next = b.fixed_next(fixed_bias(m));
      for (std::size_t l = 0; l < L; ++l) {
        dot = dot + b.fixed(fixed_weight(l, m)) * b.local(l);
        dot_next = dot_next + b.fixed_next(fixed_weight(l, m)) * b.next(l);
      }
      const expr s = b.local(L + m);
      b.assert_zero_first(s - dot);
      b.assert_zero_transition(b.next(L + m) - (one - b.fixed(fixed_end())) * s - dot_next);
    }
    for (std::size_t l = 0; l < L; ++l) b.receive(tensor_bus, {b.fixed(l), b.local(l)}, b.fixed(L + l));
    for (std::size_t m = 0; m < sums_; ++m)
      b.send(accumulator_bus, {b.fixed(fixed_id(m)), b.local(L + m)}, b.fixed(fixed_send(m)));
  }

 private:
  std::size_t lanes_, sums_;
  std::string name_;
};

/// The roundings of the multiply-accumulate table's sums ("zkml-round-R"): R per row, each
///     y = floor((mul * s + add) / div),     |y| <= bound,
/// with affine_air's checks.
///
/// Main columns:  per lane at 4l: s, y, r_lo, r_hi.
/// Fixed columns: per lane at 10l: active, mul, add, div, bound, k_lo, k_hi, address_y, readers_y
///                (affine_air's rounding columns from end on), id (the sum's affine step).
/// Constraints:   per lane: active (mul s + add - div y - r_lo - 2^16 r_hi) = 0.
/// Buses, per lane in order: receives (id, s) on accumulator_bus with active; then affine_air's
///                rounding sends with active for end.
class round_air : public detail::fixed_trace_holder {
 public:
  static constexpr std::size_t main_per_lane = 4, fixed_per_lane = 10, fixed_id = 9;
  /// Preconditions: 1 <= lanes <= 64 (CIRO_CHECK).
  explicit round_air(std::size_t lanes, fixed_columns fixed = nullptr)
      : fixed_trace_holder(std::move(fixed), fixed_per_lane * lanes), lanes_(lanes), name_("zkml-round-" + std::to_string(lanes)) {
    CIRO_CHECK(lanes >= 1 && lanes <= 64);
  }
  std::string_view name() const { return name_; }
  std::size_t width() const { return main_per_lane * lanes_; }
  std::size_t num_public_values() const { return 0; }
  std::size_t lanes() const { return lanes_; }

  template <class B>
  void eval(B& b) const {
    for (std::size_t l = 0; l < lanes_; ++l) {
      const auto f = [&](std::size_t j) { return b.fixed(fixed_per_lane * l + j); };
      const auto s = b.local(main_per_lane * l), y = b.local(main_per_lane * l + 1),
                 r_lo = b.local(main_per_lane * l + 2), r_hi = b.local(main_per_lane * l + 3);
      detail::assert_rounding(b, s, y, r_lo, r_hi, f(0), f(1), f(2), f(3));
      b.receive(accumulator_bus, {f(fixed_id), s}, f(0));
      detail::send_rounded(b, y, r_lo, r_hi, f);
    }
  }

 private:
  std::size_t lanes_;
  std::string name_;
};

/// Products of activations ("zkml-dot-L"): each step computes one value
///     y = floor((mul * sum_k a_k b_k + add) / div),     |y| <= bound,
/// over one or more consecutive rows of L lanes, a_k and b_k both read from the tensor bus (Mul of
/// two activations, MatMul of two activations). The rounding and its checks are affine_air's.
///
/// Main columns:  0 .. L-1 a_l; L .. 2L-1 b_l; 2L s (the running sum); 2L+1 y; 2L+2 r_lo; 2L+3 r_hi.
/// Fixed columns: 0 .. L-1 address_a_l; L .. 2L-1 address_b_l; 2L .. 3L-1 active_l; then end, mul,
///                add, div, bound, k_lo, k_hi, address_y, readers_y.
/// Constraints:   per lane (1 - active_l) a_l = 0 (an unused lane adds nothing); first row:
///                s = sum_l a_l b_l; transition: s' = (1 - end) s + sum_l a_l' b_l'; every row:
///                end (mul s + add - div y - r_lo - 2^16 r_hi) = 0.
/// Buses, in order: per lane receives (address_a_l, a_l) and (address_b_l, b_l) with active_l;
///                sends (address_y, y) with readers_y; the six range checks of affine_air with end.
/// The lowering shifts the operands first so that sum_k |a_k| |b_k| <= (p - 1) / 2 for every value
/// within the operands' range-checked bounds.
struct dot_air : detail::fixed_trace_holder {
  enum extra : std::size_t { end, mul, add, div, bound, k_lo, k_hi, address_y, readers_y, num_extra };

  explicit dot_air(std::size_t lanes, fixed_columns fixed = nullptr)
      : fixed_trace_holder(std::move(fixed), 3 * lanes + num_extra), lanes_(lanes), name_("zkml-dot-" + std::to_string(lanes)) {
    CIRO_CHECK(lanes >= 1 && lanes <= 64);
  }
  std::string_view name() const { return name_; }
  std::size_t width() const { return 2 * lanes_ + 4; }
  std::size_t num_public_values() const { return 0; }
  std::size_t lanes() const { return lanes_; }
  std::size_t fixed_extra(extra e) const { return 3 * lanes_ + e; }

  template <class B>
  void eval(B& b) const {
    using expr = typename B::expr;
    const std::size_t L = lanes_;
    auto f = [&](extra e) { return b.fixed(fixed_extra(e)); };
    expr dot = b.constant(field::babybear::zero()), dot_next = dot;
    for (std::size_t l = 0; l < L; ++l) {
      dot = dot + b.local(l) * b.local(L + l);
      dot_next = dot_next + b.next(l) * b.next(L + l);
    }
    const expr s = b.local(2 * L), y = b.local(2 * L + 1), r_lo = b.local(2 * L + 2), r_hi = b.local(2 * L + 3);
    const expr one = b.constant(field::babybear::one());
    for (std::size_t l = 0; l < L; ++l) b.assert_zero((one - b.fixed(2 * L + l)) * b.local(l));
    b.assert_zero_first(s - dot);
    b.assert_zero_transition(b.next(2 * L) - (one - f(end)) * s - dot_next);
    detail::assert_rounding(b, s, y, r_lo, r_hi, f(end), f(mul), f(add), f(div));
    for (std::size_t l = 0; l < L; ++l) {
      b.receive(tensor_bus, {b.fixed(l), b.local(l)}, b.fixed(2 * L + l));
      b.receive(tensor_bus, {b.fixed(L + l), b.local(L + l)}, b.fixed(2 * L + l));
    }
    detail::send_rounded(b, y, r_lo, r_hi, [&](std::size_t j) { return b.fixed(fixed_extra(end) + j); });
  }

 private:
  std::size_t lanes_;
  std::string name_;
};

/// Selections ("zkml-select-L"): y = max(a, b) or min(a, b) per lane, b read from the tensor bus
/// or a constant. ReLU (max with 0), Max, Min, Clip and MaxPool (a chain of maxima) are such
/// steps.
///
/// Main columns, per lane l at 5l: a, b, y, d_a, d_b.
/// Fixed columns, per lane at 8l: address_a, address_b, address_y, active, use_b (b from the
///                bus), b_const, sign (+1 max, -1 min, 0 inactive), readers_y.
/// Constraints, per lane: active (y - a)(y - b) = 0; (1 - use_b)(b - b_const) = 0;
///                d_a = sign (y - a); d_b = sign (y - b).
/// Buses, per lane in order: receives (address_a, a) with active; receives (address_b, b) with
///                use_b; sends (address_y, y) with readers_y; sends (d_a) and (d_b) on range16
///                with active.
/// y is a or b, and both differences are in [0, 2^16) (exact: |a|, |b| <= 2^15), so y is the
/// maximum (sign +1) or the minimum (sign -1).
struct select_air : detail::fixed_trace_holder {
  static constexpr std::size_t main_per_lane = 5, fixed_per_lane = 8;
  enum lane_fixed : std::size_t { address_a, address_b, address_y, active, use_b, b_const, sign, readers_y };

  explicit select_air(std::size_t lanes, fixed_columns fixed = nullptr)
      : fixed_trace_holder(std::move(fixed), fixed_per_lane * lanes), lanes_(lanes), name_("zkml-select-" + std::to_string(lanes)) {
    CIRO_CHECK(lanes >= 1 && lanes <= 64);
  }
  std::string_view name() const { return name_; }
  std::size_t width() const { return main_per_lane * lanes_; }
  std::size_t num_public_values() const { return 0; }
  std::size_t lanes() const { return lanes_; }

  template <class B>
  void eval(B& b) const {
    const auto one = b.constant(field::babybear::one());
    for (std::size_t l = 0; l < lanes_; ++l) {
      auto f = [&](lane_fixed c) { return b.fixed(fixed_per_lane * l + c); };
      const auto a = b.local(main_per_lane * l), bv = b.local(main_per_lane * l + 1), y = b.local(main_per_lane * l + 2),
                 da = b.local(main_per_lane * l + 3), db = b.local(main_per_lane * l + 4);
      b.assert_zero(f(active) * (y - a) * (y - bv));
      b.assert_zero((one - f(use_b)) * (bv - f(b_const)));
      b.assert_zero(da - f(sign) * (y - a));
      b.assert_zero(db - f(sign) * (y - bv));
    }
    for (std::size_t l = 0; l < lanes_; ++l) {
      auto f = [&](lane_fixed c) { return b.fixed(fixed_per_lane * l + c); };
      b.receive(tensor_bus, {f(address_a), b.local(main_per_lane * l)}, f(active));
      b.receive(tensor_bus, {f(address_b), b.local(main_per_lane * l + 1)}, f(use_b));
      b.send(tensor_bus, {f(address_y), b.local(main_per_lane * l + 2)}, f(readers_y));
      b.send(air::range16_bus, {b.local(main_per_lane * l + 3)}, f(active));
      b.send(air::range16_bus, {b.local(main_per_lane * l + 4)}, f(active));
    }
  }

 private:
  std::size_t lanes_;
  std::string name_;
};

/// Divisions of activations ("zkml-divide-L"): y = div_round(a 2^shift, d) per lane, a and d read
/// from the tensor bus (Div of two activations, Softmax's normalization).
///
/// Main columns, per lane l at 4l: a, d, y, r.
/// Fixed columns, per lane at 8l: address_a, address_d, address_y, active, scale (2^(shift+1)),
///                bound, d_max, readers_y.
/// Constraints, per lane: scale a + d - 2 d y - r = 0.
/// Buses, per lane in order: receives (address_a, a) and (address_d, d) with active; sends
///                (address_y, y) with readers_y; sends (y + bound), (bound - y), (r), (2d - 1 - r),
///                (d - 1), (d_max - d) on range16 with active.
/// The checks give |y| <= bound, 1 <= d <= d_max and 0 <= r < 2d (d_max <= 2^15). With |a| <=
/// bound_a from a's own check, the lowering keeps scale bound_a + 3 d_max + 2 d_max bound <= p - 1:
/// scale a + d - 2 d y - r is then an exact integer of magnitude below p, zero only over the
/// integers, so y = floor((2^(shift+1) a + d) / 2d) = div_round(a 2^shift, d), the only solution.
struct divide_air : detail::fixed_trace_holder {
  static constexpr std::size_t main_per_lane = 4, fixed_per_lane = 8;
  enum lane_fixed : std::size_t { address_a, address_d, address_y, active, scale, bound, d_max, readers_y };

  explicit divide_air(std::size_t lanes, fixed_columns fixed = nullptr)
      : fixed_trace_holder(std::move(fixed), fixed_per_lane * lanes), lanes_(lanes), name_("zkml-divide-" + std::to_string(lanes)) {
    CIRO_CHECK(lanes >= 1 && lanes <= 64);
  }
  std::string_view name() const { return name_; }
  std::size_t width() const { return main_per_lane * lanes_; }
  std::size_t num_public_values() const { return 0; }
  std::size_t lanes() const { return lanes_; }

  template <class B>
  void eval(B& b) const {
    const auto one = b.constant(field::babybear::one()), two = b.constant(field::babybear::from_u64(2));
    for (std::size_t l = 0; l < lanes_; ++l) {
      auto f = [&](lane_fixed c) { return b.fixed(fixed_per_lane * l + c); };
      const auto a = b.local(main_per_lane * l), d = b.local(main_per_lane * l + 1), y = b.local(main_per_lane * l + 2),
                 r = b.local(main_per_lane * l + 3);
      b.assert_zero(f(scale) * a + d - two * d * y - r);
    }
    for (std::size_t l = 0; l < lanes_; ++l) {
      auto f = [&](lane_fixed c) { return b.fixed(fixed_per_lane * l + c); };
      const auto a = b.local(main_per_lane * l), d = b.local(main_per_lane * l + 1), y = b.local(main_per_lane * l + 2),
                 r = b.local(main_per_lane * l + 3);
      b.receive(tensor_bus, {f(address_a), a}, f(active));
      b.receive(tensor_bus, {f(address_d), d}, f(active));
      b.send(tensor_bus, {f(address_y), y}, f(readers_y));
      b.send(air::range16_bus, {y + f(bound)}, f(active));
      b.send(air::range16_bus, {f(bound) - y}, f(active));
      b.send(air::range16_bus, {r}, f(active));
      b.send(air::range16_bus, {two * d - one - r}, f(active));
      b.send(air::range16_bus, {d - one}, f(active));
      b.send(air::range16_bus, {f(d_max) - d}, f(active));
    }
  }

 private:
  std::size_t lanes_;
  std::string name_;
};

/// Element-wise functions applied ("zkml-apply-L"): y = T_f[x] per lane, looked up in the
/// function table (function_table_air).
///
/// Main columns, per lane l at 2l: x, y.
/// Fixed columns, per lane at 5l: address_x, address_y, active, function, readers_y.
/// Buses, per lane in order: receives (address_x, x) with active; sends (address_y, y) with
///                readers_y; sends (function, x, y) on function_bus with active.
struct apply_air : detail::fixed_trace_holder {
  static constexpr std::size_t main_per_lane = 2, fixed_per_lane = 5;
  enum lane_fixed : std::size_t { address_x, address_y, active, function, readers_y };

  explicit apply_air(std::size_t lanes, fixed_columns fixed = nullptr)
      : fixed_trace_holder(std::move(fixed), fixed_per_lane * lanes), lanes_(lanes), name_("zkml-apply-" + std::to_string(lanes)) {
    CIRO_CHECK(lanes >= 1 && lanes <= 64);
  }
  std::string_view name() const { return name_; }
  std::size_t width() const { return main_per_lane * lanes_; }
  std::size_t num_public_values() const { return 0; }
  std::size_t lanes() const { return lanes_; }

  template <class B>
  void eval(B& b) const {
    for (std::size_t l = 0; l < lanes_; ++l) {
      auto f = [&](lane_fixed c) { return b.fixed(fixed_per_lane * l + c); };
      const auto x = b.local(main_per_lane * l), y = b.local(main_per_lane * l + 1);
      b.receive(tensor_bus, {f(address_x), x}, f(active));
      b.send(tensor_bus, {f(address_y), y}, f(readers_y));
      b.send(function_bus, {f(function), x, y}, f(active));
    }
  }

 private:
  std::size_t lanes_;
  std::string name_;
};

/// The tables of K element-wise functions ("zkml-functions-K", or "zkml-functions-K-xL" with L > 1
/// lanes): the 2^16 inputs x = v - 2^15 (v in [0, 2^16)) spread over L lanes of 2^16 / L rows as
/// the range table spreads its values (air/range_check.hpp: v on row v mod 2^16 / L of lane
/// v div 2^16 / L), with T_k(x) for each function k where it is defined.
///
/// Fixed columns: per lane l at (1 + 2K) l: x; then per function k at 1 + 2k: T_k(x), valid_k (1
///                where T_k(x) is defined and within the output's bound).
/// Main columns:  per lane l, per function k at K l + k: m, the number of lookups of (k, x).
/// Buses, per lane, per function in order: receives (k, x, T_k(x)) on function_bus with valid_k m.
class function_table_air : public detail::fixed_trace_holder {
 public:
  /// log2 of the number of inputs, and of the one-lane table's rows.
  static constexpr unsigned table_log_rows = 16;
  /// The tables of `functions` functions in `lanes` lanes. Preconditions: 1 <= functions <= 64;
  /// lanes is a power of two, at most air::range_table_air::max_lanes; `fixed`, when given, has
  /// 2^16 / lanes rows (CIRO_CHECK).
  function_table_air(std::size_t functions, std::size_t lanes, fixed_columns fixed = nullptr)
      : fixed_trace_holder(std::move(fixed), (1 + 2 * functions) * lanes),
        functions_(functions),
        lanes_(lanes),
        log_rows_(table_log_rows - static_cast<unsigned>(std::countr_zero(lanes))),
        name_("zkml-functions-" + std::to_string(functions) + (lanes == 1 ? "" : "-x" + std::to_string(lanes))) {
    CIRO_CHECK(functions >= 1 && functions <= 64);
    CIRO_CHECK(std::has_single_bit(lanes) && lanes <= air::range_table_air::max_lanes);
    CIRO_CHECK(fixed_trace_holder::accepts_log_rows(log_rows_));
  }
  std::string_view name() const { return name_; }
  std::size_t width() const { return functions_ * lanes_; }
  std::size_t num_public_values() const { return 0; }
  std::size_t functions() const { return functions_; }
  std::size_t lanes() const { return lanes_; }
  /// log2 of the table's rows: 16 - log2(lanes).
  unsigned log_rows() const { return log_rows_; }
  bool accepts_log_rows(unsigned log_rows) const {
    return log_rows == log_rows_ && fixed_trace_holder::accepts_log_rows(log_rows);
  }

  template <class B>
  void eval(B& b) const {
    const std::size_t per_lane = 1 + 2 * functions_;
    for (std::size_t l = 0; l < lanes_; ++l) {
      for (std::size_t k = 0; k < functions_; ++k) {
        b.receive(function_bus,
                  {b.constant(field::babybear::from_u64(k)), b.fixed(per_lane * l), b.fixed(per_lane * l + 1 + 2 * k)},
                  b.fixed(per_lane * l + 2 + 2 * k) * b.local(functions_ * l + k));
      }
    }
  }

 private:
  std::size_t functions_;
  std::size_t lanes_;
  unsigned log_rows_;
  std::string name_;
};

/// The nodes of the program's tree ensembles ("zkml-tree-nodes-K", or "zkml-tree-nodes-K-xL" with
/// L > 1 lanes, zkml/lowering.hpp
/// tree_node_entry, K weights per node): L nodes per row, node i on row i / L, lane i mod L; the
/// lanes after the last node repeat it (a tuple that is fully fixed may appear twice).
///
/// Fixed columns: per lane l at (6 + K) l: id, feature, threshold, if_true, if_false, leaf, then
///                the K weights.
/// Main columns:  per lane l: m, the number of walk rows at the node.
/// Buses, per lane: receives (id, feature, threshold, if_true, if_false, leaf, w_0 .. w_K-1) on
///                tree_node_bus with m.
class tree_node_air : public detail::fixed_trace_holder {
 public:
  static constexpr std::size_t fixed_id = 0, fixed_feature = 1, fixed_threshold = 2, fixed_if_true = 3,
                               fixed_if_false = 4, fixed_leaf = 5, fixed_weights = 6;
  /// Preconditions: 1 <= classes <= 64, 1 <= lanes <= 64 (CIRO_CHECK).
  tree_node_air(std::size_t classes, std::size_t lanes, fixed_columns fixed = nullptr)
      : fixed_trace_holder(std::move(fixed), (6 + classes) * lanes),
        classes_(classes),
        lanes_(lanes),
        name_("zkml-tree-nodes-" + std::to_string(classes) + (lanes == 1 ? "" : "-x" + std::to_string(lanes))) {
    CIRO_CHECK(classes >= 1 && classes <= 64 && lanes >= 1 && lanes <= 64);
  }
  std::string_view name() const { return name_; }
  std::size_t width() const { return lanes_; }
  std::size_t num_public_values() const { return 0; }
  std::size_t classes() const { return classes_; }
  std::size_t lanes() const { return lanes_; }
  std::size_t fixed_per_lane() const { return 6 + classes_; }

  template <class B>
  void eval(B& b) const {
    for (std::size_t l = 0; l < lanes_; ++l) {
      std::vector<typename B::expr> tuple;
      for (std::size_t c = 0; c < fixed_per_lane(); ++c) tuple.push_back(b.fixed(fixed_per_lane() * l + c));
      b.receive(tree_node_bus, tuple, b.local(l));
    }
  }

 private:
  std::size_t classes_, lanes_;
  std::string name_;
};

/// The features of the tree ensembles' input rows ("zkml-tree-features"): one row per feature of
/// each trees step, read once from the tensor bus and served to the walks.
///
/// Main columns:  0 x, 1 m (the number of walk rows that read it).
/// Fixed columns: 0 address, 1 step (the trees step's index), 2 feature, 3 active (1 on a feature's
///                row, 0 on padding).
/// Constraints:   (1 - active) m = 0 (a padding row serves nothing).
/// Buses, in order: receives (address, x) on tensor_bus with active; receives (step, feature, x)
///                on tree_feature_bus with m.
struct tree_feature_air : detail::fixed_trace_holder {
  static constexpr std::size_t fixed_address = 0, fixed_step = 1, fixed_feature = 2, fixed_active = 3, num_fixed = 4;
  explicit tree_feature_air(fixed_columns fixed = nullptr) : fixed_trace_holder(std::move(fixed), num_fixed) {}
  std::string_view name() const { return "zkml-tree-features"; }
  std::size_t width() const { return 2; }
  std::size_t num_public_values() const { return 0; }

  template <class B>
  void eval(B& b) const {
    const auto x = b.local(0), m = b.local(1), active = b.fixed(fixed_active);
    b.assert_zero((b.constant(field::babybear::one()) - active) * m);
    b.receive(tensor_bus, {b.fixed(fixed_address), x}, active);
    b.receive(tree_feature_bus, {b.fixed(fixed_step), b.fixed(fixed_feature), x}, m);
  }
};

/// The walks of the tree ensembles ("zkml-tree-walk-K"): for each trees step, for each of its
/// trees, depth + 1 rows, row j at the node the walk reaches after j branches (a leaf repeats
/// itself), the last row's leaf adding its weights to the step's K scores, which the step's last
/// row sends.
///
/// Main columns:  0 node, 1 feature, 2 threshold, 3 if_true, 4 if_false, 5 leaf, 6 .. 5+K w_k (the
///                node's tuple), 6+K x, 7+K b (x <= threshold), 8+K d, 9+K child (the node the
///                branch goes to), 10+K .. 9+2K acc_k (the step's scores so far, base excluded).
/// Fixed columns: 0 active, 1 first (a walk's first row), 2 root (there), 3 follow (the next row
///                continues this walk), 4 last (a walk's last row), 5 keep (the next row is of the
///                same step), 6 step (its index), 7 emit (the step's last row), 8 bound, then per
///                class k at 9 + 3k: address_k, readers_k, base_k.
/// Constraints:   b (1 - b) = 0;  d = b (threshold - x) + (1 - b) (x - threshold - 1);
///                child = if_false + b (if_true - if_false);
///                first (node - root) = 0;  last (1 - leaf) = 0;
///                transition: follow (node' - child) = 0;
///                first row: acc_k = last w_k;  transition: acc_k' = keep acc_k + last' w_k'.
/// Buses, in order: sends the node's tuple on tree_node_bus with active; sends (step, feature, x)
///                on tree_feature_bus with active; sends (d) on range16 with active; per class
///                sends (address_k, acc_k + base_k) on tensor_bus with readers_k, and
///                (acc_k + base_k + bound), (bound - acc_k - base_k) on range16 with emit.
/// With |x| <= limit and -limit - 1 <= threshold <= limit (limit < 2^15), d is below 2^16 exactly
/// for the b that states the comparison: every branch is the one the input takes, and the walk
/// that starts at the root ends, after the tree's depth, at the leaf the integer inference reaches.
class tree_walk_air : public detail::fixed_trace_holder {
 public:
  enum fixed_column : std::size_t { active, first, root, follow, last, keep, step, emit, bound, num_common };
  /// Preconditions: 1 <= classes <= 64 (CIRO_CHECK).
  explicit tree_walk_air(std::size_t classes, fixed_columns fixed = nullptr)
      : fixed_trace_holder(std::move(fixed), num_common + 3 * classes),
        classes_(classes),
        name_("zkml-tree-walk-" + std::to_string(classes)) {
    CIRO_CHECK(classes >= 1 && classes <= 64);
  }
  std::string_view name() const { return name_; }
  std::size_t width() const { return 10 + 2 * classes_; }
  std::size_t num_public_values() const { return 0; }
  std::size_t classes() const { return classes_; }
  /// Main columns.
  std::size_t col_weight(std::size_t k) const { return 6 + k; }
  std::size_t col_x() const { return 6 + classes_; }
  std::size_t col_b() const { return 7 + classes_; }
  std::size_t col_d() const { return 8 + classes_; }
  std::size_t col_child() const { return 9 + classes_; }
  std::size_t col_acc(std::size_t k) const { return 10 + classes_ + k; }
  /// Fixed columns of class k: address, readers, base.
  std::size_t fixed_class(std::size_t k, std::size_t j) const { return num_common + 3 * k + j; }

  template <class B>
  void eval(B& b) const {
    using expr = typename B::expr;
    const expr one = b.constant(field::babybear::one());
    const auto f = [&](fixed_column c) { return b.fixed(c); };
    const expr node = b.local(0), threshold = b.local(2), if_true = b.local(3), if_false = b.local(4), leaf = b.local(5);
    const expr x = b.local(col_x()), bit = b.local(col_b()), d = b.local(col_d());
    b.assert_zero(bit * (one - bit));
    b.assert_zero(d - bit * (threshold - x) - (one - bit) * (x - threshold - one));
    b.assert_zero(f(first) * (node - f(root)));
    b.assert_zero(f(last) * (one - leaf));
    const expr child = b.local(col_child());
    b.assert_zero(child - if_false - bit * (if_true - if_false));
    b.assert_zero_transition(f(follow) * (b.next(0) - child));
    for (std::size_t k = 0; k < classes_; ++k) {
      const expr acc = b.local(col_acc(k));
      b.assert_zero_first(acc - f(last) * b.local(col_weight(k)));
      b.assert_zero_transition(b.next(col_acc(k)) - f(keep) * acc - b.fixed_next(last) * b.next(col_weight(k)));
    }
    std::vector<expr> tuple;
    for (std::size_t c = 0; c < 6 + classes_; ++c) tuple.push_back(b.local(c));
    b.send(tree_node_bus, tuple, f(active));
    b.send(tree_feature_bus, {f(step), b.local(1), x}, f(active));
    b.send(air::range16_bus, {d}, f(active));
    for (std::size_t k = 0; k < classes_; ++k) {
      const expr score = b.local(col_acc(k)) + b.fixed(fixed_class(k, 2));
      b.send(tensor_bus, {b.fixed(fixed_class(k, 0)), score}, b.fixed(fixed_class(k, 1)));
      b.send(air::range16_bus, {score + f(bound)}, f(emit));
      b.send(air::range16_bus, {f(bound) - score}, f(emit));
    }
  }

 private:
  std::size_t classes_;
  std::string name_;
};

static_assert(air::air<io_air> && air::has_fixed_columns<io_air>);
static_assert(air::air<affine_air> && air::has_fixed_columns<affine_air>);
static_assert(air::air<mac_air> && air::has_fixed_columns<mac_air>);
static_assert(air::air<round_air> && air::has_fixed_columns<round_air>);
static_assert(air::air<select_air> && air::has_fixed_columns<select_air>);
static_assert(air::air<dot_air> && air::has_fixed_columns<dot_air>);
static_assert(air::air<apply_air> && air::has_fixed_columns<apply_air>);
static_assert(air::air<divide_air> && air::has_fixed_columns<divide_air>);
static_assert(air::air<function_table_air> && air::has_fixed_columns<function_table_air>);
static_assert(air::air<tree_node_air> && air::has_fixed_columns<tree_node_air>);
static_assert(air::air<tree_feature_air> && air::has_fixed_columns<tree_feature_air>);
static_assert(air::air<tree_walk_air> && air::has_fixed_columns<tree_walk_air>);

}  // namespace ciro::zkml
