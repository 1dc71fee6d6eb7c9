#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "air/air.hpp"
#include "core/result.hpp"
#include "stark/circuit.hpp"
#include "stark/public_lookups.hpp"
#include "zkml/lowering.hpp"

/// A lowered model's circuit: its tables (zkml/model_tables.hpp and the 16-bit range table) with
/// their fixed columns, where every step of the program sits in them, and the witnesses of a run.
///
/// Tables, in this order (a table without steps is left out):
///   zkml-io             the inputs and outputs, one row per element;
///   zkml-mac-16xM       affine steps of more than 2 terms that read the same values as another
///                       (a convolution's output channels at one position, a matrix product's
///                       columns for one row), M = 4 or 8 sums at a time over 16 lanes per row;
///   zkml-round-4        the roundings of those sums, 4 per row;
///   zkml-affine-16      the other affine steps of more than 2 terms, 16 lanes per row;
///   zkml-affine-2       affine steps of at most 2 terms (rescalings, BatchNormalization, sums);
///   zkml-dot-4          products of activations, 4 pairs per row;
///   zkml-divide-2       divisions of activations, 2 per row;
///   zkml-select-4       selections, 4 per row;
///   zkml-apply-4        function applications, 4 per row;
///   zkml-tree-walk-K    the tree ensembles' walks, one row per node visited (K classes);
///   zkml-tree-nodes-K-xL the ensembles' nodes, L per row (as tall as the walks at most);
///   zkml-tree-features  the features the walks read, one row per feature of each input row;
///   zkml-functions-K-xL the K function tables (2^16 inputs in L lanes);
///   range16-table-xL    the 16-bit range table (2^16 values in L lanes).
/// The last two are as short as the tallest of the others allows (lookup_table_lanes): a small
/// model is not proven over a 2^16-row domain for the sake of its lookup tables.
/// The io table has 8 public values, the digest a proof binds its statement with (the model hash,
/// the quantization and the parity certificate, zkml/model_proof.hpp): the transcript absorbs them.
namespace ciro::zkml {

/// Lanes of the tables above.
inline constexpr std::size_t wide_affine_lanes = 16, narrow_affine_lanes = 2, dot_lanes = 4, select_lanes = 4,
                             apply_lanes = 4, divide_lanes = 2, mac_lanes = 16, round_lanes = 4;
/// The sums per row of the multiply-accumulate table: 8 for circuits with at least
/// mac_wide_threshold multiply-adds in it (fewer lookups per multiply-add), else 4 (narrower rows:
/// a smaller proof that verifies faster, docs/benchmarks.md).
inline constexpr std::size_t narrow_mac_sums = 4, wide_mac_sums = 8, mac_wide_threshold = std::size_t{1} << 20;
/// The most lanes of the function and range tables (2^12 rows), and of the tree node table: wider
/// rows make every opened row of a proof longer, which costs more than a shorter domain saves
/// (measured on the tree ensemble benchmark, docs/benchmarks.md).
inline constexpr std::size_t max_lookup_lanes = 16, max_node_lanes = 4;
/// The lanes of the function and range tables of a circuit whose other tables have at most
/// 2^tallest rows: 2^(16 - tallest), so that they are no taller, between 1 (tallest >= 16) and
/// max_lookup_lanes.
std::size_t lookup_table_lanes(unsigned tallest);
/// The io table's public values: a Poseidon2 digest.
inline constexpr std::size_t statement_digest_size = 8;

template <class E>
class model_circuit {
 public:
  /// The circuit of `p` (shared: the circuit keeps it for the witnesses).
  explicit model_circuit(std::shared_ptr<const program> p);

  /// The tables and heights, for stark::setup.
  [[nodiscard]] const std::vector<stark::table_instance<E>>& tables() const { return tables_; }
  [[nodiscard]] const program& lowered() const { return *program_; }

  /// The witnesses of the run whose value array is `values` (evaluate()'s), in table order, the io
  /// table's public values set to `statement_digest`.
  [[nodiscard]] std::vector<air::witness> witnesses(const std::vector<std::int64_t>& values,
                                                    const std::vector<field::babybear>& statement_digest) const;

 private:
  std::shared_ptr<const program> program_;
  std::vector<stark::table_instance<E>> tables_;
  /// Row of each affine step in its table (wide or narrow), lane position of each select and
  /// function step, readers of each address.
  std::vector<std::uint32_t> affine_row_;
  std::vector<bool> affine_wide_;
  /// The affine steps in the multiply-accumulate table: its groups of up to mac_sums_ steps that
  /// read the same addresses (each group's first row and steps), and whether each step is in one.
  struct mac_group {
    std::size_t first_row = 0;
    std::vector<std::uint32_t> steps;
  };
  std::vector<mac_group> mac_groups_;
  std::vector<bool> affine_mac_;
  std::size_t mac_rows_ = 0, mac_sums_ = narrow_mac_sums;
  std::vector<std::uint32_t> readers_;
  std::vector<std::uint32_t> dot_row_;
  std::size_t wide_rows_ = 0, narrow_rows_ = 0, dot_rows_ = 0;
  int io_table_ = -1, mac_table_ = -1, round_table_ = -1, wide_table_ = -1, narrow_table_ = -1, dot_table_ = -1, divide_table_ = -1, select_table_ = -1, apply_table_ = -1,
      functions_table_ = -1, range_table_ = -1, tree_walk_table_ = -1, tree_nodes_table_ = -1, tree_features_table_ = -1;
  /// The lanes of the tree node table.
  std::size_t node_lanes_ = 1;
  /// The lanes of the function and range tables (lookup_table_lanes).
  std::size_t lookup_lanes_ = 1;
};

/// The table kinds of a model circuit rebuilt from their names (as a proof names its tables), with
/// no fixed columns: what a verifier needs besides the fixed root. Null for a name that is not one.
template <class E>
std::shared_ptr<const stark::table<E>> model_table_by_name(std::string_view name);

/// The statement's public lookups: +1 (position, x) on the io bus per input element, -1
/// (position, y) per output element (positions: inputs in order, then outputs), the integers as
/// field elements.
std::vector<stark::public_lookup> io_lookups(const std::vector<std::vector<std::int64_t>>& inputs,
                                             const std::vector<std::vector<std::int64_t>>& outputs);

/// A signed integer as a field element (v mod p). Precondition: |v| < 2^62.
field::babybear to_field(std::int64_t v);

}  // namespace ciro::zkml
