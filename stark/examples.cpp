#include "stark/examples.hpp"

#include <tbb/parallel_for.h>

#include <array>

#include "air/fibonacci.hpp"
#include "air/permutation.hpp"
#include "air/poseidon2_air.hpp"
#include "air/range_check.hpp"
#include "field/extension.hpp"

namespace ciro::stark {
namespace {

using field::babybear;

constexpr std::array<std::string_view, 4> names{"fibonacci", "poseidon2", "range-check", "permutation"};

/// The range table has exactly 2^16 rows.
constexpr unsigned range_table_log_rows = 16;
/// Values per row of the range-check example's table (log2): 16 values, so that a row's 16
/// lookups fill eight helper columns of two interactions each (degree 3, the fast profile's
/// limit), and at 2^20 values the table has the range table's 2^16 rows: one LDE height, one
/// DEEP function, fewer and shorter trees than with 4 or 8 values per row (0.39 s and 0.26 s
/// for prove.range16.2^20 with 8 and 16 values per row on 2 cores).
constexpr unsigned log_values_per_row = 4;

}  // namespace

std::span<const std::string_view> example_names() { return names; }

template <class E>
std::shared_ptr<const table<E>> table_by_name(std::string_view air_name) {
  static const std::shared_ptr<const table<E>> fibonacci = make_table<E>(air::fibonacci_air{});
  static const std::shared_ptr<const table<E>> poseidon2 = make_table<E>(air::poseidon2_air{});
  static const std::shared_ptr<const table<E>> range_check =
      make_table<E>(air::range_check_air{1u << log_values_per_row});
  static const std::shared_ptr<const table<E>> range_table = make_table<E>(air::range_table_air{});
  static const std::shared_ptr<const table<E>> left = make_table<E>(air::permutation_left_air{});
  static const std::shared_ptr<const table<E>> right = make_table<E>(air::permutation_right_air{});
  for (const auto& t : {fibonacci, poseidon2, range_check, range_table, left, right}) {
    if (t->name() == air_name) return t;
  }
  return nullptr;
}

bool example_batches(std::string_view name) { return name == "fibonacci" || name == "poseidon2"; }

template <class E>
ciro::result<example_statement<E>, int> make_example(std::string_view name, unsigned log_rows, unsigned instances,
                                                     bool with_witnesses) {
  std::vector<unsigned> seeds(instances <= max_tables ? instances : 0);
  for (unsigned i = 0; i < seeds.size(); ++i) seeds[i] = i;
  return make_example<E>(name, log_rows, seeds, with_witnesses);
}

template <class E>
ciro::result<example_statement<E>, int> make_example(std::string_view name, unsigned log_rows,
                                                     std::span<const unsigned> seeds, bool with_witnesses) {
  using failure = ciro::error<int>;
  const auto instances = static_cast<unsigned>(seeds.size());
  if (instances == 0 || instances > max_tables) {
    return failure{0, "an example has 1 to " + std::to_string(max_tables) + " instances"};
  }
  // The instances are stacked in tables of 2^k instances each: the binary expansion of their
  // number, largest first (1000 = 512 + 256 + 128 + 64 + 32 + 8).
  std::vector<unsigned> stacks;
  for (unsigned bit = 1u << 12; bit > 0; bit >>= 1) {
    if (instances & bit) stacks.push_back(bit);
  }
  example_statement<E> out;
  unsigned first = 0;  // the index of the stack's first instance
  if (name == "fibonacci" || name == "poseidon2") {
    if (log_rows < 1 || log_rows > 24) return failure{0, std::string(name) + " takes 1 to 24 as log_rows"};
    const auto kind = table_by_name<E>(name == "fibonacci" ? air::fibonacci_air{}.name() : air::poseidon2_air{}.name());
    for (const unsigned stack : stacks) out.tables.push_back({kind, log_rows, stack});
    if (!with_witnesses) return out;
    if (name == "poseidon2") {
      std::vector<std::array<babybear, 16>> inputs(instances);
      for (unsigned i = 0; i < instances; ++i) {
        for (unsigned j = 0; j < 16; ++j) inputs[i][j] = babybear::from_u64(16ull * seeds[i] + j);
      }
      out.witnesses = air::generate_poseidon2_traces(log_rows, inputs);
    } else {
      out.witnesses.resize(instances);
      tbb::parallel_for(0u, instances, [&](unsigned i) {
        out.witnesses[i] = air::generate_fibonacci_trace(log_rows, babybear::from_u64(seeds[i]), babybear::one());
      });
    }
    return out;
  }
  if (name == "range-check" || name == "permutation") {
    if (log_rows < 4 || log_rows > 22) return failure{0, std::string(name) + " takes 4 to 22 as log_rows"};
    // A table that cannot be stacked (one row, or an AIR that reads the next row outside its
    // transitions) takes its instances as tables of their own.
    const auto add = [&](std::string_view air_name, unsigned log_table, unsigned stack) {
      auto kind = table_by_name<E>(air_name);
      const bool stacks = log_table > 0 && kind->stackable();
      for (unsigned i = 0; i < (stacks ? 1 : stack); ++i) out.tables.push_back({kind, log_table, stacks ? stack : 1});
    };
    for (const unsigned stack : stacks) {
      if (name == "range-check") {
        add("range-check", log_rows - log_values_per_row, stack);
      } else {
        add("permutation-left", log_rows, stack);
        add("permutation-right", log_rows, stack);
      }
      add("range16-table", range_table_log_rows, stack);
      if (!with_witnesses) continue;
      // Witnesses table by table: every instance of the stack's first table, then of the next.
      std::vector<std::vector<air::witness>> per_table(name == "range-check" ? 2 : 3);
      for (unsigned i = first; i < first + stack; ++i) {
        if (name == "range-check") {
          auto w = air::generate_range_check(log_rows, seeds[i], 1u << log_values_per_row);
          per_table[0].push_back(std::move(w.values));
          per_table[1].push_back(std::move(w.table));
        } else {
          auto w = air::generate_permutation(log_rows, seeds[i]);
          per_table[0].push_back(std::move(w.left));
          per_table[1].push_back(std::move(w.right));
          per_table[2].push_back(std::move(w.table));
        }
      }
      for (auto& ws : per_table) {
        for (auto& w : ws) out.witnesses.push_back(std::move(w));
      }
      first += stack;
    }
    return out;
  }
  return failure{0, "unknown statement '" + std::string(name) + "' (fibonacci, poseidon2, range-check or permutation)"};
}

#define CIRO_INSTANTIATE_EXAMPLES(E)                                           \
  template std::shared_ptr<const table<E>> table_by_name<E>(std::string_view); \
  template ciro::result<example_statement<E>, int> make_example<E>(std::string_view, unsigned, unsigned, bool); \
  template ciro::result<example_statement<E>, int> make_example<E>(std::string_view, unsigned, std::span<const unsigned>, bool);
CIRO_INSTANTIATE_EXAMPLES(field::babybear4)
CIRO_INSTANTIATE_EXAMPLES(field::babybear5)
#undef CIRO_INSTANTIATE_EXAMPLES

}  // namespace ciro::stark
