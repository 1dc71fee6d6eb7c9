#include "stark/logup_trace.hpp"

#include <tbb/parallel_for.h>

#include <map>
#include <unordered_map>

#include "core/check.hpp"
#include "field/batch_inverse.hpp"
#include "field/extension.hpp"

namespace ciro::stark {
namespace {

using field::babybear;

/// The total tuple length of a layout (entries per row in interactions_on_rows' output).
std::size_t tuple_entries(const air::logup_layout& layout) {
  std::size_t t = 0;
  for (const auto& i : layout.interactions) t += i.tuple_length;
  return t;
}

}  // namespace

template <class E>
aux_trace<E> build_aux_trace(const table<E>& kind, kernels::matrix_view<const babybear> main,
                             kernels::matrix_view<const babybear> fixed, std::span<const babybear> public_values, E z,
                             std::span<const E> gamma_powers) {
  constexpr unsigned D = E::degree;
  const air::logup_layout& layout = kind.lookups();
  CIRO_CHECK(!layout.empty() && gamma_powers.size() >= layout.max_tuple_length);
  const std::size_t n = main.rows, K = layout.interactions.size(), T = tuple_entries(layout);
  const std::size_t batches = layout.batches.size(), width = D * (batches + 1);
  aux_trace<E> out{kernels::row_major_matrix<babybear>(n, width, ciro::uninitialized), E::zero()};
  // Which batch each interaction feeds, and its sign.
  std::vector<std::size_t> batch_of(K);
  for (std::size_t s = 0; s < batches; ++s) {
    for (const std::size_t k : layout.batches[s]) batch_of[k] = s;
  }
  constexpr std::size_t block = 1024;
  const std::size_t blocks = (n + block - 1) / block;
  std::vector<E> block_sums(blocks, E::zero());
  tbb::parallel_for(std::size_t{0}, blocks, [&](std::size_t b) {
    const std::size_t lo = b * block, hi = std::min(n, lo + block), rows = hi - lo;
    std::vector<babybear> m(rows * K), v(rows * T);
    kind.interactions_on_rows(main, fixed, public_values, lo, hi, m, v);
    std::vector<E> d(rows * K), inv(rows * K);
    // An interaction of multiplicity 0 adds nothing: its denominator is left 0, which
    // batch_inverse skips (many rows of lookup-heavy tables use only some of their interactions).
    for (std::size_t r = 0; r < rows; ++r) {
      std::size_t at = r * T;
      for (std::size_t k = 0; k < K; ++k) {
        const std::size_t len = layout.interactions[k].tuple_length;
        if (m[r * K + k].is_zero()) {
          d[r * K + k] = E::zero();
          at += len;
          continue;
        }
        E phi = E::from_base(babybear::from_u64(layout.interactions[k].bus_id));
        for (std::size_t j = 0; j < len; ++j) phi += gamma_powers[j] * v[at++];
        d[r * K + k] = z - phi;
        CIRO_CHECK(!d[r * K + k].is_zero());  // z equals a fingerprint: negligible for random z
      }
    }
    field::batch_inverse<E>(d, inv);
    E running = E::zero();
    std::vector<E> h(batches);
    for (std::size_t r = 0; r < rows; ++r) {
      std::fill(h.begin(), h.end(), E::zero());
      for (std::size_t k = 0; k < K; ++k) {
        if (m[r * K + k].is_zero()) continue;
        const E term = inv[r * K + k] * m[r * K + k];
        if (layout.interactions[k].is_send) {
          h[batch_of[k]] += term;
        } else {
          h[batch_of[k]] -= term;
        }
      }
      babybear* row = out.trace.row(lo + r).data();
      for (std::size_t s = 0; s < batches; ++s) {
        for (unsigned j = 0; j < D; ++j) row[D * s + j] = h[s].coeff(j);
        running += h[s];
      }
      // The accumulator holds the block-local prefix for now; the block offsets are added below.
      for (unsigned j = 0; j < D; ++j) row[D * batches + j] = running.coeff(j);
    }
    block_sums[b] = running;
  });
  std::vector<E> offsets(blocks, E::zero());
  for (std::size_t b = 1; b < blocks; ++b) offsets[b] = offsets[b - 1] + block_sums[b - 1];
  tbb::parallel_for(std::size_t{1}, std::max<std::size_t>(blocks, 1), [&](std::size_t b) {
    for (std::size_t r = b * block; r < std::min(n, (b + 1) * block); ++r) {
      babybear* acc = out.trace.row(r).data() + D * batches;
      const E value = E::from_coeffs(acc) + offsets[b];
      for (unsigned j = 0; j < D; ++j) acc[j] = value.coeff(j);
    }
  });
  out.total = offsets.back() + block_sums.back();
  return out;
}

template <class E>
std::vector<babybear> augmented_public_values(const table<E>& kind, std::span<const babybear> own, E z,
                                              std::span<const E> gamma_powers, E total, bool stacked) {
  std::vector<babybear> out;
  if (!stacked) out.assign(own.begin(), own.end());
  const air::logup_layout& layout = kind.lookups();
  if (layout.empty()) return out;
  auto put = [&](const E& x) {
    for (unsigned j = 0; j < E::degree; ++j) out.push_back(x.coeff(j));
  };
  put(z);
  for (std::size_t j = 0; j < layout.max_tuple_length; ++j) put(gamma_powers[j]);
  if (!stacked) put(total);
  return out;
}

template <class E>
std::optional<std::string> check_buses(std::span<const table<E>* const> kinds, std::span<const table_rows> rows,
                                       std::span<const public_lookup> public_lookups) {
  CIRO_CHECK(kinds.size() == rows.size());
  struct balance {
    babybear sent = babybear::zero(), received = babybear::zero();
  };
  struct tuple_hash {
    std::size_t operator()(const std::vector<std::uint32_t>& key) const {
      std::size_t h = 0x9e3779b97f4a7c15ull;
      for (const std::uint32_t x : key) h = (h ^ x) * 0x100000001b3ull;
      return h;
    }
  };
  // Key: bus id, then the tuple's canonical values.
  std::unordered_map<std::vector<std::uint32_t>, balance, tuple_hash> sums;
  std::map<std::uint32_t, std::string> bus_names;
  for (std::size_t t = 0; t < kinds.size(); ++t) {
    const table<E>& kind = *kinds[t];
    const air::logup_layout& layout = kind.lookups();
    if (layout.empty()) continue;
    const std::size_t n = rows[t].main.rows, K = layout.interactions.size(), T = tuple_entries(layout);
    for (const auto& i : layout.interactions) bus_names[i.bus_id] = i.bus_name;
    constexpr std::size_t block = 4096;
    std::vector<babybear> m, v;
    for (std::size_t lo = 0; lo < n; lo += block) {
      const std::size_t hi = std::min(n, lo + block);
      m.resize((hi - lo) * K);
      v.resize((hi - lo) * T);
      kind.interactions_on_rows(rows[t].main, rows[t].fixed, rows[t].public_values, lo, hi, m, v);
      std::size_t at = 0;
      std::vector<std::uint32_t> key;
      for (std::size_t r = 0; r < hi - lo; ++r) {
        for (std::size_t k = 0; k < K; ++k) {
          const auto& shape = layout.interactions[k];
          key.assign(1, shape.bus_id);
          for (std::size_t j = 0; j < shape.tuple_length; ++j) key.push_back(v[at++].to_canonical());
          const babybear mult = m[r * K + k];
          if (mult.is_zero()) continue;
          balance& b = sums[key];
          if (shape.is_send) {
            b.sent += mult;
          } else {
            b.received += mult;
          }
        }
      }
    }
  }
  for (const public_lookup& l : public_lookups) {
    std::vector<std::uint32_t> key(1, l.bus_id);
    for (const babybear& x : l.tuple) key.push_back(x.to_canonical());
    sums[key].sent += l.multiplicity;
    bus_names.try_emplace(l.bus_id, "public");
  }
  // Report the smallest unbalanced key, so the message does not depend on hash order.
  const std::vector<std::uint32_t>* worst = nullptr;
  for (const auto& [key, b] : sums) {
    if (b.sent != b.received && (worst == nullptr || key < *worst)) worst = &key;
  }
  if (worst == nullptr) return std::nullopt;
  const balance& b = sums.at(*worst);
  std::string tuple;
  for (std::size_t j = 1; j < worst->size(); ++j) tuple += (j > 1 ? ", " : "") + std::to_string((*worst)[j]);
  return "bus '" + bus_names[(*worst)[0]] + "' is unbalanced: tuple (" + tuple + ") is sent " +
         std::to_string(b.sent.to_canonical()) + " times and received " + std::to_string(b.received.to_canonical()) +
         " times";
}

#define CIRO_INSTANTIATE_LOGUP(E)                                                                           \
  template aux_trace<E> build_aux_trace(const table<E>&, kernels::matrix_view<const babybear>,              \
                                        kernels::matrix_view<const babybear>, std::span<const babybear>, E, \
                                        std::span<const E>);                                                \
  template std::vector<babybear> augmented_public_values(const table<E>&, std::span<const babybear>, E,     \
                                                         std::span<const E>, E, bool);                      \
  template std::optional<std::string> check_buses(std::span<const table<E>* const>, std::span<const table_rows>, \
                                                 std::span<const public_lookup>);
CIRO_INSTANTIATE_LOGUP(field::babybear4)
CIRO_INSTANTIATE_LOGUP(field::babybear5)
#undef CIRO_INSTANTIATE_LOGUP

}  // namespace ciro::stark
