#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <string>
#include <vector>

#include "air/air.hpp"
#include "air/lookup.hpp"
#include "air/symbolic_builder.hpp"
#include "core/check.hpp"
#include "field/babybear.hpp"

/// The LogUp argument as constraints (Haboeck 2022, "Multivariate lookups based on logarithmic
/// derivatives"), written once for every builder.
///
/// A table's eval() states interactions k = 0 .. K-1: a bus b_k, a tuple (v_1, ..., v_t) and a
/// multiplicity m_k, with sign s_k = +1 for send and -1 for receive. With challenges z and gamma
/// in the extension field E (drawn after the main traces are committed), the fingerprint and the
/// denominator of an interaction are
///     phi_k = b_k + sum_{j=1..t} gamma^j v_j,      d_k = z - phi_k,
/// and the table's running sum is the sum over its rows of sum_k s_k m_k / d_k. A set of tables
/// is balanced exactly when (up to the soundness error of docs/protocol.md) the totals of all
/// tables add up to zero.
///
/// The auxiliary trace: the interactions are split, in eval() order, into batches S_0, S_1, ...
/// whose constraint degree stays within a limit (see logup_layout). Each batch has a helper
/// column h_S = sum_{k in S} s_k m_k / d_k, and one accumulator column acc holds the running sum
/// acc[i] = sum_{r <= i} sum_S h_S[r]. Every aux column is an element of E stored as its D base
/// coordinates. The constraints (E-valued, each asserted coordinate by coordinate, so D base
/// constraints each) are, in this order:
///     for each batch S:  h_S * prod_{k in S} d_k - sum_{k in S} s_k m_k prod_{j in S, j != k} d_j = 0
///     first row:         acc - sum_S h_S = 0
///     transition:        acc' - acc - sum_S h_S' = 0
///     last row:          acc - total = 0
/// where total, the table's sum, is carried by the proof.
namespace ciro::air {

/// One interaction as the symbolic pass saw it.
struct interaction_shape {
  std::uint32_t bus_id = 0;
  std::string bus_name;
  bool is_send = true;
  std::size_t tuple_length = 0;
  /// max over the tuple's entries of their degree (the degree of d_k).
  unsigned tuple_degree = 0;
  unsigned multiplicity_degree = 0;
};

/// Interaction values as a builder of value type Expr saw them: tuple entries are stored flat.
template <class Expr>
struct interaction_record {
  bus bus_;
  bool is_send = true;
  std::size_t tuple_begin = 0, tuple_length = 0;
  Expr multiplicity{};
};

/// A builder adapter: forwards local/next/public_value/constant/assert_* to the inner builder,
/// maps fixed(c) to inner.local(main_width + c) (fixed columns follow the main columns), and
/// records send/receive. With forward_asserts = false the table's own constraints are dropped
/// (the prover's aux-trace pass only needs the interactions).
template <class B>
class interaction_collector {
 public:
  using expr = typename B::expr;

  /// With public_columns = c, public_value(i) reads inner.local(c + i) instead of
  /// inner.public_value(i) (stacked instances keep their public values in columns).
  interaction_collector(B& inner, std::size_t main_width, std::size_t num_fixed, bool forward_asserts = true,
                        std::optional<std::size_t> public_columns = std::nullopt)
      : inner_(inner),
        main_width_(main_width),
        num_fixed_(num_fixed),
        forward_asserts_(forward_asserts),
        public_columns_(public_columns) {}

  expr local(std::size_t c) const {
    CIRO_CHECK(c < main_width_);
    return inner_.local(c);
  }
  expr next(std::size_t c) const {
    CIRO_CHECK(c < main_width_);
    return inner_.next(c);
  }
  expr fixed(std::size_t c) const {
    CIRO_CHECK(c < num_fixed_);
    return inner_.local(main_width_ + c);
  }
  expr fixed_next(std::size_t c) const {
    CIRO_CHECK(c < num_fixed_);
    return inner_.next(main_width_ + c);
  }
  expr public_value(std::size_t i) const {
    return public_columns_ ? inner_.local(*public_columns_ + i) : inner_.public_value(i);
  }
  expr constant(field::babybear x) const { return inner_.constant(x); }
  void assert_zero(const expr& e) {
    if (forward_asserts_) inner_.assert_zero(e);
  }
  void assert_zero_first(const expr& e) {
    if (forward_asserts_) inner_.assert_zero_first(e);
  }
  void assert_zero_last(const expr& e) {
    if (forward_asserts_) inner_.assert_zero_last(e);
  }
  void assert_zero_transition(const expr& e) {
    if (forward_asserts_) inner_.assert_zero_transition(e);
  }

  /// Sends `tuple` with multiplicity m on `b`.
  void send(const bus& b, std::initializer_list<expr> tuple, const expr& m) { record(b, true, tuple, m); }
  /// Receives `tuple` with multiplicity m on `b` (a send of multiplicity -m).
  void receive(const bus& b, std::initializer_list<expr> tuple, const expr& m) { record(b, false, tuple, m); }
  /// The same for a tuple held in any range of expr (variable-length tuples).
  template <class Tuple>
  void send(const bus& b, const Tuple& tuple, const expr& m) {
    record(b, true, tuple, m);
  }
  template <class Tuple>
  void receive(const bus& b, const Tuple& tuple, const expr& m) {
    record(b, false, tuple, m);
  }

  /// The interactions recorded since construction or clear(), in eval() order.
  const std::vector<interaction_record<expr>>& interactions() const { return interactions_; }
  /// Entry j of interaction i's tuple.
  const expr& tuple_entry(const interaction_record<expr>& r, std::size_t j) const {
    return tuple_values_[r.tuple_begin + j];
  }
  /// Forgets the recorded interactions (keeps the storage).
  void clear() {
    interactions_.clear();
    tuple_values_.clear();
  }

 private:
  template <class Tuple>
  void record(const bus& b, bool is_send, const Tuple& tuple, const expr& m) {
    interaction_record<expr> r{b, is_send, tuple_values_.size(), 0, m};
    for (const expr& e : tuple) tuple_values_.push_back(e), ++r.tuple_length;
    interactions_.push_back(r);
  }

  B& inner_;
  std::size_t main_width_, num_fixed_;
  bool forward_asserts_;
  std::optional<std::size_t> public_columns_;
  std::vector<interaction_record<expr>> interactions_;
  std::vector<expr> tuple_values_;
};

/// How a table's interactions are laid out in its auxiliary trace.
struct logup_layout {
  std::vector<interaction_shape> interactions;
  /// batches[s] lists the interactions of helper column s (indices into `interactions`).
  std::vector<std::vector<std::size_t>> batches;
  /// The longest tuple (the number of powers of gamma the constraints read).
  std::size_t max_tuple_length = 0;

  bool empty() const { return interactions.empty(); }
  /// Aux columns in E: one helper per batch and the accumulator (none without interactions).
  std::size_t num_ext_columns() const { return empty() ? 0 : batches.size() + 1; }
  /// The degree of batch S's constraint: max(1 + sum deg d_k, max_k deg m_k + sum_{j != k} deg d_j).
  unsigned batch_degree(const std::vector<std::size_t>& batch) const {
    unsigned sum = 0;
    for (const std::size_t k : batch) sum += interactions[k].tuple_degree;
    unsigned d = 1 + sum;
    for (const std::size_t k : batch)
      d = std::max(d, interactions[k].multiplicity_degree + sum - interactions[k].tuple_degree);
    return d;
  }
};

/// Analyses `a`'s interactions and batches them greedily in eval() order: an interaction joins
/// the current batch while the batch's degree stays <= max_degree (a batch of one interaction
/// may exceed it). Cost: one symbolic eval().
template <air A>
logup_layout analyse_lookups(const A& a, unsigned max_degree) {
  const std::size_t f = num_fixed_columns(a);
  symbolic_builder inner(a.width() + f, a.num_public_values());
  interaction_collector<symbolic_builder> c(inner, a.width(), f, false);
  a.eval(c);
  logup_layout layout;
  for (const auto& r : c.interactions()) {
    interaction_shape s{r.bus_.id, std::string(r.bus_.name), r.is_send, r.tuple_length, 0, r.multiplicity.degree};
    for (std::size_t j = 0; j < r.tuple_length; ++j)
      s.tuple_degree = std::max(s.tuple_degree, c.tuple_entry(r, j).degree);
    layout.max_tuple_length = std::max(layout.max_tuple_length, r.tuple_length);
    layout.interactions.push_back(std::move(s));
  }
  for (std::size_t k = 0; k < layout.interactions.size(); ++k) {
    if (!layout.batches.empty()) {
      auto candidate = layout.batches.back();
      candidate.push_back(k);
      if (layout.batch_degree(candidate) <= max_degree) {
        layout.batches.back() = std::move(candidate);
        continue;
      }
    }
    layout.batches.push_back({k});
  }
  return layout;
}

/// An element of the degree-D extension x^D - W as D builder values (coordinates, lowest first),
/// with the arithmetic the LogUp constraints need, written with the builder's own operations.
template <class B, unsigned D, std::uint64_t W>
struct ext_expr {
  using expr = typename B::expr;
  std::array<expr, D> c;

  static ext_expr constant(B& b, const std::array<field::babybear, D>& x) {
    ext_expr r;
    for (unsigned i = 0; i < D; ++i) r.c[i] = b.constant(x[i]);
    return r;
  }
  static ext_expr from_base(B& b, const expr& x) {
    ext_expr r;
    r.c[0] = x;
    for (unsigned i = 1; i < D; ++i) r.c[i] = b.constant(field::babybear::zero());
    return r;
  }
  friend ext_expr operator+(const ext_expr& x, const ext_expr& y) {
    ext_expr r;
    for (unsigned i = 0; i < D; ++i) r.c[i] = x.c[i] + y.c[i];
    return r;
  }
  friend ext_expr operator-(const ext_expr& x, const ext_expr& y) {
    ext_expr r;
    for (unsigned i = 0; i < D; ++i) r.c[i] = x.c[i] - y.c[i];
    return r;
  }
  /// x * s for a base-field value s.
  ext_expr scaled(const expr& s) const {
    ext_expr r;
    for (unsigned i = 0; i < D; ++i) r.c[i] = c[i] * s;
    return r;
  }
  /// x * y mod (X^D - W): D^2 products, the high half folded with W.
  ext_expr times(B& b, const ext_expr& y) const {
    std::array<expr, 2 * D - 1> full;
    for (unsigned k = 0; k < 2 * D - 1; ++k) {
      bool first = true;
      for (unsigned i = 0; i < D; ++i) {
        if (k < i || k - i >= D) continue;
        const expr p = c[i] * y.c[k - i];
        full[k] = first ? p : full[k] + p;
        first = false;
      }
    }
    ext_expr r;
    const expr w = b.constant(field::babybear::from_u64(W));
    for (unsigned i = 0; i < D; ++i) r.c[i] = i + D < 2 * D - 1 ? full[i] + w * full[i + D] : full[i];
    return r;
  }
};

/// The AIR a table is proven as: its own constraints over [main | fixed] columns, followed (with
/// lookups) by the LogUp constraints of the file comment over the aux columns. Columns:
///   [0, w)                    the table's main columns;
///   [w, w + f)                its fixed columns (b.fixed(c) is column w + c);
///   [w + f, w + f + D a)      the aux columns: helper s at w + f + D s, the accumulator last.
/// Public values: the table's own, then (with lookups) the challenge slots, D coordinates each:
///   z, gamma^1, ..., gamma^T (T = max_tuple_length), total.
///
/// Stacked (several instances of the table in one trace, each with its own public values and
/// LogUp total): the table's own public values and the total are read from public columns
///   [w + f + D a, + k)        public value i of the row's instance (k = own public values),
///   [.., + D)                 (with lookups) the instance's total,
/// which the prover and the verifier compute themselves (never committed); the public values are
/// then only the challenge slots z, gamma^1 .. gamma^T.
/// E is the challenge field (a binomial extension: E::degree, E::w_value).
template <air A, class E>
class logup_air {
 public:
  static constexpr unsigned D = E::degree;

  /// With with_lookups = false the interactions are ignored: the AIR checks the table's own
  /// constraints over [main | fixed] only (the debug checker's view).
  logup_air(const A& inner, logup_layout layout, bool with_lookups = true, bool stacked = false)
      : inner_(inner), layout_(std::move(layout)), with_lookups_(with_lookups && !layout_.empty()), stacked_(stacked) {}

  std::string_view name() const { return inner_.name(); }
  std::size_t main_width() const { return inner_.width(); }
  std::size_t num_fixed() const { return num_fixed_columns(inner_); }
  std::size_t aux_width() const { return with_lookups_ ? D * layout_.num_ext_columns() : 0; }
  /// The public columns of a stacked table (0 otherwise).
  std::size_t public_columns() const { return stacked_ ? inner_.num_public_values() + (with_lookups_ ? D : 0) : 0; }
  std::size_t width() const { return main_width() + num_fixed() + aux_width() + public_columns(); }
  std::size_t num_public_values() const {
    const std::size_t challenges = with_lookups_ ? D * (layout_.max_tuple_length + (stacked_ ? 1 : 2)) : 0;
    return (stacked_ ? 0 : inner_.num_public_values()) + challenges;
  }
  const logup_layout& layout() const { return layout_; }

  template <class B>
  void eval(B& b) const {
    const std::size_t aux0 = main_width() + num_fixed(), pub_col0 = aux0 + aux_width();
    interaction_collector<B> c(b, main_width(), num_fixed(), true,
                               stacked_ ? std::optional<std::size_t>(pub_col0) : std::nullopt);
    inner_.eval(c);
    if (!with_lookups_) return;
    using X = ext_expr<B, D, E::w_value>;
    const std::size_t pub0 = stacked_ ? 0 : inner_.num_public_values();
    const auto challenge = [&](std::size_t slot) {
      X r;
      for (unsigned i = 0; i < D; ++i) r.c[i] = b.public_value(pub0 + D * slot + i);
      return r;
    };
    const auto aux = [&](std::size_t col, bool next) {
      X r;
      for (unsigned i = 0; i < D; ++i) r.c[i] = next ? b.next(aux0 + D * col + i) : b.local(aux0 + D * col + i);
      return r;
    };
    const auto assert_ext = [&](const X& x, constraint_kind kind) {
      for (unsigned i = 0; i < D; ++i) {
        switch (kind) {
          case constraint_kind::all:
            b.assert_zero(x.c[i]);
            break;
          case constraint_kind::first:
            b.assert_zero_first(x.c[i]);
            break;
          case constraint_kind::last:
            b.assert_zero_last(x.c[i]);
            break;
          case constraint_kind::transition:
            b.assert_zero_transition(x.c[i]);
            break;
        }
      }
    };
    const X z = challenge(0);
    std::vector<X> gamma_powers;
    for (std::size_t j = 1; j <= layout_.max_tuple_length; ++j) gamma_powers.push_back(challenge(j));
    X total;
    if (stacked_) {
      for (unsigned i = 0; i < D; ++i) total.c[i] = b.local(pub_col0 + inner_.num_public_values() + i);
    } else {
      total = challenge(layout_.max_tuple_length + 1);
    }
    const auto& records = c.interactions();
    std::vector<X> d(records.size());
    for (std::size_t k = 0; k < records.size(); ++k) {
      std::array<field::babybear, D> bus_id{};
      bus_id[0] = field::babybear::from_u64(records[k].bus_.id);
      X phi = X::constant(b, bus_id);
      for (std::size_t j = 0; j < records[k].tuple_length; ++j)
        phi = phi + gamma_powers[j].scaled(c.tuple_entry(records[k], j));
      d[k] = z - phi;
    }
    X sum_h, sum_h_next;
    for (std::size_t s = 0; s < layout_.batches.size(); ++s) {
      const auto& batch = layout_.batches[s];
      X den = d[batch[0]];
      for (std::size_t i = 1; i < batch.size(); ++i) den = den.times(b, d[batch[i]]);
      X num;
      for (std::size_t i = 0; i < batch.size(); ++i) {
        const auto& r = records[batch[i]];
        X term = X::from_base(b, r.multiplicity);
        for (std::size_t j = 0; j < batch.size(); ++j) {
          if (j != i) term = term.times(b, d[batch[j]]);
        }
        num = i == 0 ? (r.is_send ? term : X::from_base(b, b.constant(field::babybear::zero())) - term)
                     : (r.is_send ? num + term : num - term);
      }
      const X h = aux(s, false), h_next = aux(s, true);
      assert_ext(h.times(b, den) - num, constraint_kind::all);
      sum_h = s == 0 ? h : sum_h + h;
      sum_h_next = s == 0 ? h_next : sum_h_next + h_next;
    }
    const std::size_t acc_col = layout_.batches.size();
    const X acc = aux(acc_col, false), acc_next = aux(acc_col, true);
    assert_ext(acc - sum_h, constraint_kind::first);
    assert_ext(acc_next - acc - sum_h_next, constraint_kind::transition);
    assert_ext(acc - total, constraint_kind::last);
  }

 private:
  A inner_;
  logup_layout layout_;
  bool with_lookups_;
  bool stacked_;
};

/// The builder the prover's aux-trace pass and the bus checker evaluate interactions with: plain
/// base-field values of one row pair of [main | fixed]; constraints are ignored.
class row_value_builder {
 public:
  using expr = field::babybear;

  row_value_builder(std::size_t main_width, std::span<const field::babybear> public_values)
      : main_width_(main_width), public_values_(public_values) {}
  /// Points the builder at a row: main and fixed rows at i and at i + 1 (cyclically).
  void set_row(const field::babybear* main, const field::babybear* main_next, const field::babybear* fixed,
               const field::babybear* fixed_next) {
    main_ = main, main_next_ = main_next, fixed_ = fixed, fixed_next_ = fixed_next;
  }
  expr local(std::size_t c) const { return c < main_width_ ? main_[c] : fixed_[c - main_width_]; }
  expr next(std::size_t c) const { return c < main_width_ ? main_next_[c] : fixed_next_[c - main_width_]; }
  expr public_value(std::size_t i) const { return public_values_[i]; }
  expr constant(field::babybear x) const { return x; }
  void assert_zero(const expr&) {}
  void assert_zero_first(const expr&) {}
  void assert_zero_last(const expr&) {}
  void assert_zero_transition(const expr&) {}

 private:
  std::size_t main_width_;
  std::span<const field::babybear> public_values_;
  const field::babybear *main_ = nullptr, *main_next_ = nullptr, *fixed_ = nullptr, *fixed_next_ = nullptr;
};
static_assert(builder<row_value_builder>);

}  // namespace ciro::air
