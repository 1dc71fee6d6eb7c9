#include "zkml/model_circuit.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <bit>
#include <iterator>
#include <optional>
#include <span>
#include <unordered_map>
#include <string_view>

#include "air/range_check.hpp"
#include "field/extension.hpp"
#include "stark/table.hpp"
#include "zkml/model_tables.hpp"

namespace ciro::zkml {

using field::babybear;
using matrix = kernels::row_major_matrix<babybear>;

babybear to_field(std::int64_t v) {
  const auto p = static_cast<std::int64_t>(babybear::modulus);
  const std::int64_t r = v % p;
  return babybear::from_u64(static_cast<std::uint64_t>(r < 0 ? r + p : r));
}

namespace {

constexpr std::uint32_t r16 = 1u << 16;

/// log2 of the height of a table of `rows` rows: at least 8 rows.
unsigned log_height(std::size_t rows) {
  return static_cast<unsigned>(std::countr_zero(std::bit_ceil(std::max<std::size_t>(rows, 8))));
}

}  // namespace

std::size_t lookup_table_lanes(unsigned tallest) {
  const unsigned floor = function_table_air::table_log_rows - static_cast<unsigned>(std::countr_zero(max_lookup_lanes));
  return std::size_t{1} << (function_table_air::table_log_rows - std::clamp(tallest, floor, function_table_air::table_log_rows));
}

namespace {

std::size_t affine_rows(const affine_step& s, std::size_t lanes) {
  return std::max<std::size_t>(1, (s.num_terms + lanes - 1) / lanes);
}

/// k_lo and k_hi of an affine step's remainder checks (affine_air).
std::pair<std::int64_t, std::int64_t> remainder_offsets(std::int64_t div) {
  if (div <= r16) return {r16 - div, r16 - 1};
  return {0, r16 - div / r16};
}

/// The fixed columns of a rounding (affine_air and dot_air share their order from `end` on: end,
/// mul, add, div, bound, k_lo, k_hi, address_y, readers_y) on a step's last row.
template <class Step>
void write_rounding(kernels::row_major_matrix<babybear>& f, std::size_t row, std::size_t end_column, const Step& s,
                    std::uint32_t readers) {
  const auto [k_lo, k_hi] = remainder_offsets(s.div);
  const std::int64_t values[] = {1, s.mul, s.add, s.div, s.bound, k_lo, k_hi, s.out, readers};
  for (std::size_t j = 0; j < std::size(values); ++j) f.at(row, end_column + j) = to_field(values[j]);
}

/// The witness of a rounding y = floor((mul sum + add) / div) on a step's last row: y, r_lo, r_hi
/// at `y_column` .. + 2, and the six range-checked values, in the tables' order.
template <class Step>
std::array<std::uint32_t, 6> write_rounding_witness(kernels::row_major_matrix<babybear>& m, std::size_t row,
                                                    std::size_t y_column, const Step& s, std::int64_t sum,
                                                    std::int64_t y) {
  const std::int64_t rem = s.mul * sum + s.add - y * s.div;
  CIRO_CHECK(rem >= 0 && rem < s.div);
  const std::int64_t r_lo = rem % r16, r_hi = rem / r16;
  m.at(row, y_column) = to_field(y);
  m.at(row, y_column + 1) = to_field(r_lo);
  m.at(row, y_column + 2) = to_field(r_hi);
  const auto [k_lo, k_hi] = remainder_offsets(s.div);
  std::array<std::uint32_t, 6> out{};
  const std::int64_t checked[] = {y + s.bound, s.bound - y, r_lo, r_lo + k_lo, r_hi, r_hi + k_hi};
  for (std::size_t j = 0; j < out.size(); ++j) {
    CIRO_CHECK(checked[j] >= 0 && checked[j] < r16);
    out[j] = static_cast<std::uint32_t>(checked[j]);
  }
  return out;
}

std::size_t num_io_rows(const program& p) {
  std::size_t n = 0;
  for (const auto& t : p.inputs) n += t.addresses.size();
  for (const auto& t : p.outputs) n += t.addresses.size();
  return n;
}

}  // namespace

template <class E>
model_circuit<E>::model_circuit(std::shared_ptr<const program> prog) : program_(std::move(prog)) {
  const program& p = *program_;
  readers_.assign(p.num_values, 0);
  for (address a : p.pair_a) ++readers_[a];
  for (address a : p.pair_b) ++readers_[a];
  for (const auto& s : p.select) {
    ++readers_[s.a];
    if (s.b_is_value) ++readers_[s.b];
  }
  for (const auto& s : p.function) ++readers_[s.in];
  for (const auto& s : p.trees)
    for (address a : s.features) ++readers_[a];
  for (const auto& s : p.divide) {
    ++readers_[s.a];
    ++readers_[s.d];
  }
  for (const auto& t : p.outputs)
    for (address a : t.addresses) ++readers_[a];

  // Affine steps of more than narrow_affine_lanes terms that read the same addresses in the same
  // order (hashed, then compared), in groups of up to mac_sums_, ordered by their first step.
  affine_mac_.assign(p.affine.size(), false);
  {
    const auto terms_of = [&](const affine_step& s) {
      return std::span<const address>(p.term_address.data() + s.first_term, s.num_terms);
    };
    std::unordered_map<std::uint64_t, std::vector<std::size_t>> by_hash;  // hash -> indexes into groups
    std::vector<std::vector<std::uint32_t>> groups;
    for (std::size_t i = 0; i < p.affine.size(); ++i) {
      if (p.affine[i].num_terms <= narrow_affine_lanes) continue;
      const std::span<const address> t = terms_of(p.affine[i]);
      std::uint64_t h = 0xcbf2'9ce4'8422'2325ULL ^ t.size();  // FNV-1a over the addresses
      for (const address a : t) h = (h ^ a) * 0x100'0000'01b3ULL;
      std::vector<std::size_t>& candidates = by_hash[h];
      const auto same = std::find_if(candidates.begin(), candidates.end(), [&](std::size_t g) {
        const std::span<const address> u = terms_of(p.affine[groups[g][0]]);
        return std::equal(t.begin(), t.end(), u.begin(), u.end());
      });
      if (same != candidates.end()) {
        groups[*same].push_back(static_cast<std::uint32_t>(i));
      } else {
        candidates.push_back(groups.size());
        groups.push_back({static_cast<std::uint32_t>(i)});
      }
    }
    std::size_t grouped = 0;  // multiply-adds
    for (const auto& g : groups)
      if (g.size() >= 2) grouped += g.size() * p.affine[g[0]].num_terms;
    mac_sums_ = grouped >= mac_wide_threshold ? wide_mac_sums : narrow_mac_sums;
    for (const auto& g : groups) {
      if (g.size() < 2) continue;
      for (std::size_t k = 0; k < g.size(); k += mac_sums_) {
        if (k + 1 == g.size()) break;  // a last step alone shares nothing: the affine table takes it
        mac_group c{mac_rows_, std::vector<std::uint32_t>(g.begin() + static_cast<std::ptrdiff_t>(k),
                                                          g.begin() + static_cast<std::ptrdiff_t>(std::min(g.size(), k + mac_sums_)))};
        for (const std::uint32_t i : c.steps) affine_mac_[i] = true;
        mac_rows_ += affine_rows(p.affine[c.steps[0]], mac_lanes);
        mac_groups_.push_back(std::move(c));
      }
    }
  }

  // An affine step reads its terms; a multiply-accumulate group reads them once for its steps.
  for (std::size_t i = 0; i < p.affine.size(); ++i) {
    if (affine_mac_[i]) continue;
    for (std::uint32_t k = 0; k < p.affine[i].num_terms; ++k) ++readers_[p.term_address[p.affine[i].first_term + k]];
  }
  for (const auto& g : mac_groups_) {
    const affine_step& s = p.affine[g.steps[0]];
    for (std::uint32_t k = 0; k < s.num_terms; ++k) ++readers_[p.term_address[s.first_term + k]];
  }

  affine_row_.resize(p.affine.size());
  affine_wide_.resize(p.affine.size());
  for (std::size_t i = 0; i < p.affine.size(); ++i) {
    if (affine_mac_[i]) continue;
    const bool wide = p.affine[i].num_terms > narrow_affine_lanes;
    affine_wide_[i] = wide;
    std::size_t& rows = wide ? wide_rows_ : narrow_rows_;
    affine_row_[i] = static_cast<std::uint32_t>(rows);
    rows += affine_rows(p.affine[i], wide ? wide_affine_lanes : narrow_affine_lanes);
  }

  dot_row_.resize(p.dot.size());
  for (std::size_t i = 0; i < p.dot.size(); ++i) {
    dot_row_[i] = static_cast<std::uint32_t>(dot_rows_);
    dot_rows_ += std::max<std::size_t>(1, (p.dot[i].num_pairs + dot_lanes - 1) / dot_lanes);
  }

  const auto fixed_of = [](matrix m) { return std::make_shared<const matrix>(std::move(m)); };
  const auto to = [](std::int64_t v) { return to_field(v); };
  const auto add_table = [&](std::shared_ptr<const stark::table<E>> kind, unsigned log_rows) {
    tables_.push_back({std::move(kind), log_rows, 1});
    return static_cast<int>(tables_.size() - 1);
  };

  // io
  {
    const unsigned lr = log_height(num_io_rows(p));
    matrix f(std::size_t{1} << lr, io_air::num_fixed);
    std::size_t row = 0;
    for (const auto& t : p.inputs) {
      for (address a : t.addresses) {
        f.at(row, io_air::fixed_position) = babybear::from_u64(row);
        f.at(row, io_air::fixed_address) = babybear::from_u64(a);
        f.at(row, io_air::fixed_tensor_mult) = babybear::from_u64(readers_[a]);
        f.at(row, io_air::fixed_io_mult) = to(-1);
        f.at(row, io_air::fixed_check) = babybear::one();
        f.at(row, io_air::fixed_bound) = to(p.limit);
        ++row;
      }
    }
    for (const auto& t : p.outputs) {
      for (address a : t.addresses) {
        f.at(row, io_air::fixed_position) = babybear::from_u64(row);
        f.at(row, io_air::fixed_address) = babybear::from_u64(a);
        f.at(row, io_air::fixed_tensor_mult) = to(-1);
        f.at(row, io_air::fixed_io_mult) = babybear::one();
        f.at(row, io_air::fixed_bound) = to(p.limit);
        ++row;
      }
    }
    io_table_ = add_table(stark::make_table<E>(io_air(fixed_of(std::move(f)))), lr);
  }

  // multiply-accumulate and its roundings
  if (!mac_groups_.empty()) {
    const mac_air shape(mac_lanes, mac_sums_);
    const unsigned lr = log_height(mac_rows_);
    matrix f(std::size_t{1} << lr, shape.num_fixed_columns());
    tbb::parallel_for(std::size_t{0}, mac_groups_.size(), [&](std::size_t g) {
      const mac_group& c = mac_groups_[g];
      const affine_step& first = p.affine[c.steps[0]];
      const std::size_t n = affine_rows(first, mac_lanes);
      for (std::size_t j = 0; j < n; ++j) {
        const std::size_t r = c.first_row + j;
        for (std::size_t l = 0; l < mac_lanes; ++l) {
          const std::size_t k = j * mac_lanes + l;
          if (k >= first.num_terms) break;
          f.at(r, l) = babybear::from_u64(p.term_address[first.first_term + k]);
          f.at(r, mac_lanes + l) = babybear::one();
          for (std::size_t m = 0; m < c.steps.size(); ++m)
            f.at(r, shape.fixed_weight(l, m)) = to(p.term_weight[p.affine[c.steps[m]].first_term + k]);
        }
      }
      const std::size_t last = c.first_row + n - 1;
      f.at(last, shape.fixed_end()) = babybear::one();
      for (std::size_t m = 0; m < c.steps.size(); ++m) {
        f.at(c.first_row, shape.fixed_bias(m)) = to(p.affine[c.steps[m]].bias);
        f.at(last, shape.fixed_id(m)) = babybear::from_u64(c.steps[m]);
        f.at(last, shape.fixed_send(m)) = babybear::one();
      }
    });
    mac_table_ = add_table(stark::make_table<E>(mac_air(mac_lanes, mac_sums_, fixed_of(std::move(f)))), lr);

    std::size_t roundings = 0;
    for (const auto& c : mac_groups_) roundings += c.steps.size();
    const unsigned round_lr = log_height((roundings + round_lanes - 1) / round_lanes);
    matrix g(std::size_t{1} << round_lr, round_air::fixed_per_lane * round_lanes);
    std::size_t k = 0;
    for (const auto& c : mac_groups_) {
      for (const std::uint32_t i : c.steps) {
        const std::size_t r = k / round_lanes, col = round_air::fixed_per_lane * (k % round_lanes);
        write_rounding(g, r, col, p.affine[i], readers_[p.affine[i].out]);
        g.at(r, col + round_air::fixed_id) = babybear::from_u64(i);
        ++k;
      }
    }
    round_table_ = add_table(stark::make_table<E>(round_air(round_lanes, fixed_of(std::move(g)))), round_lr);
  }

  // affine (wide, narrow)
  for (const bool wide : {true, false}) {
    const std::size_t rows = wide ? wide_rows_ : narrow_rows_;
    if (rows == 0) continue;
    const std::size_t L = wide ? wide_affine_lanes : narrow_affine_lanes;
    const affine_air shape(L);
    const unsigned lr = log_height(rows);
    matrix f(std::size_t{1} << lr, shape.num_fixed_columns());
    tbb::parallel_for(std::size_t{0}, p.affine.size(), [&](std::size_t i) {
      if (affine_mac_[i] || affine_wide_[i] != wide) return;
      const affine_step& s = p.affine[i];
      const std::size_t first = affine_row_[i], n = affine_rows(s, L);
      for (std::size_t j = 0; j < n; ++j) {
        const std::size_t r = first + j;
        for (std::size_t l = 0; l < L; ++l) {
          const std::size_t k = j * L + l;
          if (k >= s.num_terms) break;
          f.at(r, l) = babybear::from_u64(p.term_address[s.first_term + k]);
          f.at(r, L + l) = babybear::one();
          f.at(r, 2 * L + l) = to(p.term_weight[s.first_term + k]);
        }
      }
      f.at(first, shape.fixed_extra(affine_air::bias)) = to(s.bias);
      write_rounding(f, first + n - 1, shape.fixed_extra(affine_air::end), s, readers_[s.out]);
    });
    const int t = add_table(stark::make_table<E>(affine_air(L, fixed_of(std::move(f)))), lr);
    (wide ? wide_table_ : narrow_table_) = t;
  }

  // dot
  if (!p.dot.empty()) {
    const std::size_t L = dot_lanes;
    const dot_air shape(L);
    const unsigned lr = log_height(dot_rows_);
    matrix f(std::size_t{1} << lr, shape.num_fixed_columns());
    tbb::parallel_for(std::size_t{0}, p.dot.size(), [&](std::size_t i) {
      const dot_step& s = p.dot[i];
      const std::size_t first = dot_row_[i], n = std::max<std::size_t>(1, (s.num_pairs + L - 1) / L);
      for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t l = 0; l < L && j * L + l < s.num_pairs; ++l) {
          const std::size_t k = s.first_pair + j * L + l;
          f.at(first + j, l) = babybear::from_u64(p.pair_a[k]);
          f.at(first + j, L + l) = babybear::from_u64(p.pair_b[k]);
          f.at(first + j, 2 * L + l) = babybear::one();
        }
      }
      write_rounding(f, first + n - 1, shape.fixed_extra(dot_air::end), s, readers_[s.out]);
    });
    dot_table_ = add_table(stark::make_table<E>(dot_air(L, fixed_of(std::move(f)))), lr);
  }

  // divide
  if (!p.divide.empty()) {
    const unsigned lr = log_height((p.divide.size() + divide_lanes - 1) / divide_lanes);
    matrix f(std::size_t{1} << lr, divide_air::fixed_per_lane * divide_lanes);
    for (std::size_t i = 0; i < p.divide.size(); ++i) {
      const divide_step& s = p.divide[i];
      const std::size_t r = i / divide_lanes, c = divide_air::fixed_per_lane * (i % divide_lanes);
      f.at(r, c + divide_air::address_a) = babybear::from_u64(s.a);
      f.at(r, c + divide_air::address_d) = babybear::from_u64(s.d);
      f.at(r, c + divide_air::address_y) = babybear::from_u64(s.out);
      f.at(r, c + divide_air::active) = babybear::one();
      f.at(r, c + divide_air::scale) = to(std::int64_t{2} << s.shift);
      f.at(r, c + divide_air::bound) = to(s.bound);
      f.at(r, c + divide_air::d_max) = to(s.d_max);
      f.at(r, c + divide_air::readers_y) = babybear::from_u64(readers_[s.out]);
    }
    divide_table_ = add_table(stark::make_table<E>(divide_air(divide_lanes, fixed_of(std::move(f)))), lr);
  }

  // select
  if (!p.select.empty()) {
    const unsigned lr = log_height((p.select.size() + select_lanes - 1) / select_lanes);
    matrix f(std::size_t{1} << lr, select_air::fixed_per_lane * select_lanes);
    for (std::size_t i = 0; i < p.select.size(); ++i) {
      const select_step& s = p.select[i];
      const std::size_t r = i / select_lanes, c = select_air::fixed_per_lane * (i % select_lanes);
      f.at(r, c + select_air::address_a) = babybear::from_u64(s.a);
      f.at(r, c + select_air::address_b) = babybear::from_u64(s.b_is_value ? s.b : 0);
      f.at(r, c + select_air::address_y) = babybear::from_u64(s.out);
      f.at(r, c + select_air::active) = babybear::one();
      f.at(r, c + select_air::use_b) = s.b_is_value ? babybear::one() : babybear::zero();
      f.at(r, c + select_air::b_const) = to(s.b_const);
      f.at(r, c + select_air::sign) = to(s.is_max ? 1 : -1);
      f.at(r, c + select_air::readers_y) = babybear::from_u64(readers_[s.out]);
    }
    select_table_ = add_table(stark::make_table<E>(select_air(select_lanes, fixed_of(std::move(f)))), lr);
  }

  // apply and the function tables
  if (!p.function.empty()) {
    const unsigned lr = log_height((p.function.size() + apply_lanes - 1) / apply_lanes);
    matrix f(std::size_t{1} << lr, apply_air::fixed_per_lane * apply_lanes);
    for (std::size_t i = 0; i < p.function.size(); ++i) {
      const function_step& s = p.function[i];
      const std::size_t r = i / apply_lanes, c = apply_air::fixed_per_lane * (i % apply_lanes);
      f.at(r, c + apply_air::address_x) = babybear::from_u64(s.in);
      f.at(r, c + apply_air::address_y) = babybear::from_u64(s.out);
      f.at(r, c + apply_air::active) = babybear::one();
      f.at(r, c + apply_air::function) = babybear::from_u64(s.function);
      f.at(r, c + apply_air::readers_y) = babybear::from_u64(readers_[s.out]);
    }
    apply_table_ = add_table(stark::make_table<E>(apply_air(apply_lanes, fixed_of(std::move(f)))), lr);
  }

  // the tree ensembles: walks, nodes, features
  if (!p.trees.empty()) {
    const std::size_t K = p.tree_classes;
    const tree_walk_air walk(K);
    std::size_t walk_rows = 0;
    for (const auto& s : p.trees)
      for (std::uint32_t t = s.first_tree; t < s.first_tree + s.num_trees; ++t) walk_rows += p.tree_depths[t] + 1;
    const unsigned lr = log_height(walk_rows);
    matrix f(std::size_t{1} << lr, walk.num_fixed_columns());
    std::size_t r = 0;
    for (std::size_t i = 0; i < p.trees.size(); ++i) {
      const trees_step& s = p.trees[i];
      for (std::uint32_t t = s.first_tree; t < s.first_tree + s.num_trees; ++t) {
        for (std::uint32_t j = 0; j <= p.tree_depths[t]; ++j, ++r) {
          f.at(r, tree_walk_air::active) = babybear::one();
          f.at(r, tree_walk_air::step) = babybear::from_u64(i);
          f.at(r, tree_walk_air::bound) = to(s.bound);
          f.at(r, tree_walk_air::keep) = babybear::one();
          if (j == 0) {
            f.at(r, tree_walk_air::first) = babybear::one();
            f.at(r, tree_walk_air::root) = babybear::from_u64(p.tree_roots[t]);
          }
          if (j < p.tree_depths[t]) f.at(r, tree_walk_air::follow) = babybear::one();
          if (j == p.tree_depths[t]) f.at(r, tree_walk_air::last) = babybear::one();
        }
      }
      // The step's last row: no sum carried over, the scores sent.
      f.at(r - 1, tree_walk_air::keep) = babybear::zero();
      f.at(r - 1, tree_walk_air::emit) = babybear::one();
      for (std::size_t k = 0; k < s.out.size(); ++k) {
        f.at(r - 1, walk.fixed_class(k, 0)) = babybear::from_u64(s.out[k]);
        f.at(r - 1, walk.fixed_class(k, 1)) = babybear::from_u64(readers_[s.out[k]]);
        f.at(r - 1, walk.fixed_class(k, 2)) = to(s.base[k]);
      }
    }
    tree_walk_table_ = add_table(stark::make_table<E>(tree_walk_air(K, fixed_of(std::move(f)))), lr);

    // The nodes, in as many lanes as keep their table no taller than the walks' (at most
    // max_node_lanes).
    const std::size_t nodes = p.tree_nodes.size();
    node_lanes_ = std::min<std::size_t>(max_node_lanes, std::bit_ceil((nodes + (std::size_t{1} << lr) - 1) >> lr));
    const tree_node_air node_shape(K, node_lanes_);
    const unsigned node_lr = log_height((nodes + node_lanes_ - 1) / node_lanes_);
    matrix g(std::size_t{1} << node_lr, node_shape.num_fixed_columns());
    tbb::parallel_for(std::size_t{0}, g.rows() * node_lanes_, [&](std::size_t slot) {
      const std::size_t i = std::min(slot, nodes - 1);  // the lanes after the last node repeat it
      const tree_node_entry& e = p.tree_nodes[i];
      const std::size_t c = node_shape.fixed_per_lane() * (slot % node_lanes_), row = slot / node_lanes_;
      g.at(row, c + tree_node_air::fixed_id) = babybear::from_u64(i);
      g.at(row, c + tree_node_air::fixed_feature) = babybear::from_u64(e.feature);
      g.at(row, c + tree_node_air::fixed_threshold) = to(e.threshold);
      g.at(row, c + tree_node_air::fixed_if_true) = babybear::from_u64(e.if_true);
      g.at(row, c + tree_node_air::fixed_if_false) = babybear::from_u64(e.if_false);
      g.at(row, c + tree_node_air::fixed_leaf) = e.leaf ? babybear::one() : babybear::zero();
      for (std::size_t k = 0; k < K; ++k) g.at(row, c + tree_node_air::fixed_weights + k) = to(e.weights[k]);
    });
    tree_nodes_table_ = add_table(stark::make_table<E>(tree_node_air(K, node_lanes_, fixed_of(std::move(g)))), node_lr);

    // The features, one row each per step.
    std::size_t feature_rows = 0;
    for (const auto& s : p.trees) feature_rows += s.features.size();
    const unsigned feature_lr = log_height(feature_rows);
    matrix h(std::size_t{1} << feature_lr, tree_feature_air::num_fixed);
    std::size_t row = 0;
    for (std::size_t i = 0; i < p.trees.size(); ++i) {
      for (std::size_t x = 0; x < p.trees[i].features.size(); ++x, ++row) {
        h.at(row, tree_feature_air::fixed_address) = babybear::from_u64(p.trees[i].features[x]);
        h.at(row, tree_feature_air::fixed_step) = babybear::from_u64(i);
        h.at(row, tree_feature_air::fixed_feature) = babybear::from_u64(x);
        h.at(row, tree_feature_air::fixed_active) = babybear::one();
      }
    }
    tree_features_table_ = add_table(stark::make_table<E>(tree_feature_air(fixed_of(std::move(h)))), feature_lr);
  }

  // The function and range tables, as short as the other tables (lookup_table_lanes).
  unsigned tallest = 0;
  for (const auto& t : tables_) tallest = std::max(tallest, t.log_rows);
  lookup_lanes_ = lookup_table_lanes(tallest);
  const std::size_t lookup_rows = r16 / lookup_lanes_;
  if (!p.function.empty()) {
    const std::size_t K = p.functions.size(), per_lane = 1 + 2 * K;
    matrix g(lookup_rows, per_lane * lookup_lanes_);
    tbb::parallel_for(std::uint32_t{0}, r16, [&](std::uint32_t v) {
      const std::size_t r = v % lookup_rows, c = per_lane * (v / lookup_rows);
      const std::int64_t x = static_cast<std::int64_t>(v) - (1 << 15);
      g.at(r, c) = to(x);
      if (x < -p.limit || x > p.limit) return;
      for (std::size_t k = 0; k < K; ++k) {
        const auto& y = p.functions[k].values[static_cast<std::size_t>(x + p.limit)];
        if (!y) continue;
        g.at(r, c + 1 + 2 * k) = to(*y);
        g.at(r, c + 2 + 2 * k) = babybear::one();
      }
    });
    const function_table_air functions(K, lookup_lanes_, fixed_of(std::move(g)));
    functions_table_ = add_table(stark::make_table<E>(functions), functions.log_rows());
  }

  const air::range_table_air range(lookup_lanes_);
  range_table_ = add_table(stark::make_table<E>(range), range.log_rows());
}

template <class E>
std::vector<air::witness> model_circuit<E>::witnesses(const std::vector<std::int64_t>& v,
                                                      const std::vector<babybear>& statement_digest) const {
  const program& p = *program_;
  CIRO_CHECK(v.size() == p.num_values && statement_digest.size() == statement_digest_size);
  std::vector<air::witness> out(tables_.size());
  for (std::size_t t = 0; t < tables_.size(); ++t)
    out[t].trace = matrix(std::size_t{1} << tables_[t].log_rows, tables_[t].kind->main_width());
  out[static_cast<std::size_t>(io_table_)].public_values = statement_digest;
  // Range lookups, per table (filled in parallel, counted at the end).
  std::vector<std::vector<std::uint32_t>> ranges(p.affine.size());
  const auto to = [](std::int64_t x) { return to_field(x); };
  const auto range = [](std::int64_t x) {
    CIRO_CHECK(x >= 0 && x < r16);
    return static_cast<std::uint32_t>(x);
  };
  std::vector<std::uint32_t> io_ranges;
  {
    matrix& m = out[static_cast<std::size_t>(io_table_)].trace;
    std::size_t row = 0;
    for (const auto& t : p.inputs) {
      for (address a : t.addresses) {
        m.at(row++, 0) = to(v[a]);
        io_ranges.push_back(range(v[a] + p.limit));
        io_ranges.push_back(range(p.limit - v[a]));
      }
    }
    for (const auto& t : p.outputs)
      for (address a : t.addresses) m.at(row++, 0) = to(v[a]);
  }
  if (mac_table_ >= 0) {
    matrix& m = out[static_cast<std::size_t>(mac_table_)].trace;
    matrix& rounds = out[static_cast<std::size_t>(round_table_)].trace;
    // Each group's place among the roundings: its steps' lanes follow the groups' order.
    std::vector<std::size_t> first_rounding(mac_groups_.size() + 1, 0);
    for (std::size_t g = 0; g < mac_groups_.size(); ++g) first_rounding[g + 1] = first_rounding[g] + mac_groups_[g].steps.size();
    tbb::parallel_for(std::size_t{0}, mac_groups_.size(), [&](std::size_t g) {
      const mac_group& c = mac_groups_[g];
      const affine_step& first = p.affine[c.steps[0]];
      const std::size_t n = affine_rows(first, mac_lanes);
      std::array<std::int64_t, wide_mac_sums> sum{};
      for (std::size_t k = 0; k < c.steps.size(); ++k) sum[k] = p.affine[c.steps[k]].bias;
      for (std::size_t j = 0; j < n; ++j) {
        const std::size_t r = c.first_row + j;
        for (std::size_t l = 0; l < mac_lanes; ++l) {
          const std::size_t t = j * mac_lanes + l;
          if (t >= first.num_terms) break;
          const std::int64_t x = v[p.term_address[first.first_term + t]];
          m.at(r, l) = to(x);
          for (std::size_t k = 0; k < c.steps.size(); ++k) sum[k] += p.term_weight[p.affine[c.steps[k]].first_term + t] * x;
        }
        for (std::size_t k = 0; k < c.steps.size(); ++k) m.at(r, mac_lanes + k) = to(sum[k]);
      }
      for (std::size_t k = 0; k < c.steps.size(); ++k) {
        const std::uint32_t i = c.steps[k];
        const std::size_t lane = first_rounding[g] + k;
        const std::size_t r = lane / round_lanes, col = round_air::main_per_lane * (lane % round_lanes);
        rounds.at(r, col) = to(sum[k]);
        const auto checked = write_rounding_witness(rounds, r, col + 1, p.affine[i], sum[k], v[p.affine[i].out]);
        ranges[i].assign(checked.begin(), checked.end());
      }
    });
  }
  for (const bool wide : {true, false}) {
    const int table = wide ? wide_table_ : narrow_table_;
    if (table < 0) continue;
    const std::size_t L = wide ? wide_affine_lanes : narrow_affine_lanes;
    matrix& m = out[static_cast<std::size_t>(table)].trace;
    tbb::parallel_for(std::size_t{0}, p.affine.size(), [&](std::size_t i) {
      if (affine_mac_[i] || affine_wide_[i] != wide) return;
      const affine_step& s = p.affine[i];
      const std::size_t first = affine_row_[i], n = affine_rows(s, L);
      std::int64_t sum = s.bias;
      for (std::size_t j = 0; j < n; ++j) {
        const std::size_t r = first + j;
        for (std::size_t l = 0; l < L; ++l) {
          const std::size_t k = j * L + l;
          if (k >= s.num_terms) break;
          const std::int64_t x = v[p.term_address[s.first_term + k]];
          m.at(r, l) = to(x);
          sum += p.term_weight[s.first_term + k] * x;
        }
        m.at(r, L) = to(sum);
      }
      const auto checked = write_rounding_witness(m, first + n - 1, L + 1, s, sum, v[s.out]);
      ranges[i].assign(checked.begin(), checked.end());
    });
  }
  std::vector<std::vector<std::uint32_t>> dot_ranges(p.dot.size());
  if (dot_table_ >= 0) {
    const std::size_t L = dot_lanes;
    matrix& m = out[static_cast<std::size_t>(dot_table_)].trace;
    tbb::parallel_for(std::size_t{0}, p.dot.size(), [&](std::size_t i) {
      const dot_step& s = p.dot[i];
      const std::size_t first = dot_row_[i], n = std::max<std::size_t>(1, (s.num_pairs + L - 1) / L);
      std::int64_t sum = 0;
      for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t l = 0; l < L && j * L + l < s.num_pairs; ++l) {
          const std::size_t k = s.first_pair + j * L + l;
          const std::int64_t a = v[p.pair_a[k]], bv = v[p.pair_b[k]];
          m.at(first + j, l) = to(a);
          m.at(first + j, L + l) = to(bv);
          sum += a * bv;
        }
        m.at(first + j, 2 * L) = to(sum);
      }
      const auto checked = write_rounding_witness(m, first + n - 1, 2 * L + 1, s, sum, v[s.out]);
      dot_ranges[i].assign(checked.begin(), checked.end());
    });
  }
  std::vector<std::uint32_t> divide_ranges;
  if (divide_table_ >= 0) {
    matrix& m = out[static_cast<std::size_t>(divide_table_)].trace;
    divide_ranges.resize(6 * p.divide.size());
    tbb::parallel_for(std::size_t{0}, p.divide.size(), [&](std::size_t i) {
      const divide_step& s = p.divide[i];
      const std::size_t r = i / divide_lanes, c = divide_air::main_per_lane * (i % divide_lanes);
      const std::int64_t a = v[s.a], d = v[s.d], y = v[s.out];
      const std::int64_t rem = (a << (s.shift + 1)) + d - 2 * d * y;
      m.at(r, c) = to(a);
      m.at(r, c + 1) = to(d);
      m.at(r, c + 2) = to(y);
      m.at(r, c + 3) = to(rem);
      const std::int64_t checked[] = {y + s.bound, s.bound - y, rem, 2 * d - 1 - rem, d - 1, s.d_max - d};
      for (std::size_t j = 0; j < 6; ++j) divide_ranges[6 * i + j] = range(checked[j]);
    });
  }
  std::vector<std::uint32_t> select_ranges;
  if (select_table_ >= 0) {
    matrix& m = out[static_cast<std::size_t>(select_table_)].trace;
    select_ranges.resize(2 * p.select.size());
    tbb::parallel_for(std::size_t{0}, p.select.size(), [&](std::size_t i) {
      const select_step& s = p.select[i];
      const std::size_t r = i / select_lanes, c = select_air::main_per_lane * (i % select_lanes);
      const std::int64_t a = v[s.a], b = s.b_is_value ? v[s.b] : s.b_const, y = v[s.out];
      const std::int64_t sign = s.is_max ? 1 : -1;
      m.at(r, c) = to(a);
      m.at(r, c + 1) = to(b);
      m.at(r, c + 2) = to(y);
      m.at(r, c + 3) = to(sign * (y - a));
      m.at(r, c + 4) = to(sign * (y - b));
      select_ranges[2 * i] = range(sign * (y - a));
      select_ranges[2 * i + 1] = range(sign * (y - b));
    });
  }
  if (apply_table_ >= 0) {
    matrix& m = out[static_cast<std::size_t>(apply_table_)].trace;
    matrix& counts = out[static_cast<std::size_t>(functions_table_)].trace;
    const std::size_t K = p.functions.size(), lookup_rows = r16 / lookup_lanes_;
    std::vector<std::uint32_t> hits(static_cast<std::size_t>(r16) * K, 0);
    for (std::size_t i = 0; i < p.function.size(); ++i) {
      const function_step& s = p.function[i];
      const std::size_t r = i / apply_lanes, c = apply_air::main_per_lane * (i % apply_lanes);
      m.at(r, c) = to(v[s.in]);
      m.at(r, c + 1) = to(v[s.out]);
      ++hits[static_cast<std::size_t>(v[s.in] + (1 << 15)) * K + s.function];
    }
    // Input v = x + 2^15 sits on row v mod lookup_rows of lane v div lookup_rows.
    for (std::size_t x = 0; x < r16; ++x)
      for (std::size_t k = 0; k < K; ++k)
        counts.at(x % lookup_rows, K * (x / lookup_rows) + k) = babybear::from_u64(hits[x * K + k]);
  }
  std::vector<std::uint32_t> tree_ranges;
  if (tree_walk_table_ >= 0) {
    const std::size_t K = p.tree_classes;
    const tree_walk_air walk(K);
    matrix& m = out[static_cast<std::size_t>(tree_walk_table_)].trace;
    matrix& node_counts = out[static_cast<std::size_t>(tree_nodes_table_)].trace;
    matrix& features = out[static_cast<std::size_t>(tree_features_table_)].trace;
    std::size_t r = 0, feature_row = 0;
    for (const auto& s : p.trees) {
      std::vector<std::int64_t> acc(K, 0);
      for (std::size_t x = 0; x < s.features.size(); ++x) features.at(feature_row + x, 0) = to(v[s.features[x]]);
      for (std::uint32_t t = s.first_tree; t < s.first_tree + s.num_trees; ++t) {
        std::uint32_t node = p.tree_roots[t];
        for (std::uint32_t j = 0; j <= p.tree_depths[t]; ++j, ++r) {
          const tree_node_entry& e = p.tree_nodes[node];
          const std::int64_t x = v[s.features[e.feature]];
          const bool bit = x <= e.threshold;
          const std::int64_t d = bit ? e.threshold - x : x - e.threshold - 1;
          m.at(r, 0) = babybear::from_u64(node);
          m.at(r, 1) = babybear::from_u64(e.feature);
          m.at(r, 2) = to(e.threshold);
          m.at(r, 3) = babybear::from_u64(e.if_true);
          m.at(r, 4) = babybear::from_u64(e.if_false);
          m.at(r, 5) = e.leaf ? babybear::one() : babybear::zero();
          for (std::size_t k = 0; k < K; ++k) m.at(r, walk.col_weight(k)) = to(e.weights[k]);
          m.at(r, walk.col_x()) = to(x);
          m.at(r, walk.col_b()) = bit ? babybear::one() : babybear::zero();
          m.at(r, walk.col_d()) = to(d);
          m.at(r, walk.col_child()) = babybear::from_u64(bit ? e.if_true : e.if_false);
          if (j == p.tree_depths[t]) {
            CIRO_CHECK(e.leaf);
            for (std::size_t k = 0; k < K; ++k) acc[k] += e.weights[k];
          }
          for (std::size_t k = 0; k < K; ++k) m.at(r, walk.col_acc(k)) = to(acc[k]);
          node_counts.at(node / node_lanes_, node % node_lanes_) += babybear::one();
          features.at(feature_row + e.feature, 1) += babybear::one();
          tree_ranges.push_back(range(d));
          node = bit ? e.if_true : e.if_false;
        }
      }
      for (std::size_t k = 0; k < s.out.size(); ++k) {
        tree_ranges.push_back(range(v[s.out[k]] + s.bound));
        tree_ranges.push_back(range(s.bound - v[s.out[k]]));
      }
      feature_row += s.features.size();
    }
    // Padding rows: b = 1 and d = threshold - x = 0 satisfy the row's constraints.
    for (; r < m.rows(); ++r) m.at(r, walk.col_b()) = babybear::one();
  }
  std::vector<std::uint32_t> all = std::move(io_ranges);
  all.insert(all.end(), tree_ranges.begin(), tree_ranges.end());
  for (const auto& r : ranges) all.insert(all.end(), r.begin(), r.end());
  for (const auto& r : dot_ranges) all.insert(all.end(), r.begin(), r.end());
  all.insert(all.end(), divide_ranges.begin(), divide_ranges.end());
  all.insert(all.end(), select_ranges.begin(), select_ranges.end());
  out[static_cast<std::size_t>(range_table_)] = air::range_table_witness(all, lookup_lanes_);
  return out;
}

namespace {

/// A decimal number of 1 to 2 digits without a leading zero, or nothing.
std::optional<std::size_t> small_number(std::string_view digits) {
  if (digits.empty() || digits.size() > 2 || digits[0] == '0') return std::nullopt;
  std::size_t k = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    k = 10 * k + static_cast<std::size_t>(c - '0');
  }
  return k;
}

/// The lanes a table name ends with: "" for 1, "-xL" for L > 1 (a power of two up to max_lanes),
/// nothing for any other suffix (so every table has one name).
std::optional<std::size_t> lanes_suffix(std::string_view suffix) {
  if (suffix.empty()) return 1;
  if (!suffix.starts_with("-x")) return std::nullopt;
  const auto l = small_number(suffix.substr(2));
  if (!l || *l < 2 || !std::has_single_bit(*l) || *l > air::range_table_air::max_lanes) return std::nullopt;
  return l;
}

}  // namespace

template <class E>
std::shared_ptr<const stark::table<E>> model_table_by_name(std::string_view name) {
  static const auto kinds = [] {
    std::vector<std::shared_ptr<const stark::table<E>>> v;
    v.push_back(stark::make_table<E>(io_air()));
    v.push_back(stark::make_table<E>(mac_air(mac_lanes, narrow_mac_sums)));
    v.push_back(stark::make_table<E>(mac_air(mac_lanes, wide_mac_sums)));
    v.push_back(stark::make_table<E>(round_air(round_lanes)));
    v.push_back(stark::make_table<E>(affine_air(wide_affine_lanes)));
    v.push_back(stark::make_table<E>(affine_air(narrow_affine_lanes)));
    v.push_back(stark::make_table<E>(dot_air(dot_lanes)));
    v.push_back(stark::make_table<E>(divide_air(divide_lanes)));
    v.push_back(stark::make_table<E>(select_air(select_lanes)));
    v.push_back(stark::make_table<E>(apply_air(apply_lanes)));
    v.push_back(stark::make_table<E>(tree_feature_air()));
    return v;
  }();
  for (const auto& k : kinds)
    if (k->name() == name) return k;
  if (constexpr std::string_view range = "range16-table"; name.starts_with(range)) {
    const auto lanes = lanes_suffix(name.substr(range.size()));
    return lanes ? stark::make_table<E>(air::range_table_air(*lanes)) : nullptr;
  }
  if (constexpr std::string_view walk = "zkml-tree-walk-"; name.starts_with(walk)) {
    const auto k = small_number(name.substr(walk.size()));
    return k && *k <= 64 ? stark::make_table<E>(tree_walk_air(*k)) : nullptr;
  }
  if (constexpr std::string_view nodes = "zkml-tree-nodes-"; name.starts_with(nodes)) {
    const std::string_view rest = name.substr(nodes.size());
    const std::size_t dash = std::min(rest.find('-'), rest.size());
    const auto k = small_number(rest.substr(0, dash));
    const auto lanes = lanes_suffix(rest.substr(dash));
    if (!k || *k > 64 || !lanes || *lanes > max_node_lanes) return nullptr;
    return stark::make_table<E>(tree_node_air(*k, *lanes));
  }
  constexpr std::string_view prefix = "zkml-functions-";
  if (!name.starts_with(prefix)) return nullptr;
  const std::string_view rest = name.substr(prefix.size());
  const std::size_t dash = std::min(rest.find('-'), rest.size());
  const auto k = small_number(rest.substr(0, dash));
  const auto lanes = lanes_suffix(rest.substr(dash));
  if (!k || *k < 1 || *k > 64 || !lanes) return nullptr;
  return stark::make_table<E>(function_table_air(*k, *lanes));
}

std::vector<stark::public_lookup> io_lookups(const std::vector<std::vector<std::int64_t>>& inputs,
                                             const std::vector<std::vector<std::int64_t>>& outputs) {
  std::vector<stark::public_lookup> out;
  std::uint64_t position = 0;
  for (const auto& t : inputs)
    for (const std::int64_t x : t) out.push_back({io_bus.id, {babybear::from_u64(position++), to_field(x)}, babybear::one()});
  for (const auto& t : outputs)
    for (const std::int64_t y : t) out.push_back({io_bus.id, {babybear::from_u64(position++), to_field(y)}, to_field(-1)});
  return out;
}

template class model_circuit<field::babybear4>;
template class model_circuit<field::babybear5>;
template std::shared_ptr<const stark::table<field::babybear4>> model_table_by_name(std::string_view);
template std::shared_ptr<const stark::table<field::babybear5>> model_table_by_name(std::string_view);

}  // namespace ciro::zkml
