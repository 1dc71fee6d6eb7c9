#pragma once

#include <bit>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "field/babybear.hpp"
#include "hash/merkle_hasher.hpp"
#include "hash/merkle_tree.hpp"
#include "hash/sponge.hpp"
#include "kernels/backend.hpp"
#include "kernels/matrix.hpp"
#include "stark/params.hpp"
#include "stark/proof.hpp"
#include "stark/table.hpp"

/// Circuits (the shape of a multi-table statement) and their keys. A circuit is a list of table
/// instances, each a table kind (an AIR) at a height; a batch of N jobs is a circuit of N
/// instances. The keys are made once per circuit by setup(): the verifying key holds the
/// commitment to every fixed column and the tables' shapes, and its digest is bound into every
/// proof; the proving key also keeps the fixed columns' LDEs and Merkle tree, so proofs never
/// recommit them.
namespace ciro::stark {

/// One table of a circuit: its kind, the height 2^log_rows of each instance, and how many
/// instances (a power of two) are stacked in it: instance j holds rows j 2^log_rows ..
/// (j + 1) 2^log_rows - 1 of one trace, with its own public values (stark/public_columns.hpp).
/// Stacking keeps a batch of N small jobs as narrow as one job: one trace, one set of opened
/// columns, so a batch proof is about the size of a single proof of the same total height.
template <class E>
struct table_instance {
  std::shared_ptr<const table<E>> kind;
  unsigned log_rows = 0;
  unsigned instances = 1;

  bool stacked() const { return instances > 1; }
  unsigned log_instances() const { return static_cast<unsigned>(std::countr_zero(instances)); }
  /// log2 of the trace's height: log_rows + log2(instances).
  unsigned log_height() const { return log_rows + log_instances(); }
};

/// The verifier's view of a circuit: parameters, the tables, the fixed-column commitment, and
/// the digest of all of it.
template <class E>
struct verifying_key {
  stark_params params;
  std::vector<table_instance<E>> tables;
  /// Root of the Merkle tree over the fixed columns' LDEs of the tables that have fixed columns
  /// (in table order, committed with bit-reversed rows); zero when no table has any.
  hash::digest fixed_root{};
  /// hash_elements of: "ciro-vk", proof_format_version, the params, the number of tables, per
  /// table its name (length, bytes), log_rows, instances, main, fixed and aux widths, public
  /// values, the constraint count and max degree, the interactions (bus id, send/receive, tuple
  /// length), and fixed_root.
  hash::digest digest{};

  /// The indices of the tables with fixed columns / with lookups, in table order.
  std::vector<std::size_t> tables_with_fixed() const;
  std::vector<std::size_t> tables_with_lookups() const;
  /// The security estimate's view of the circuit (params.hpp), with `public_lookups` more
  /// fractions in the LogUp sum.
  statement_size size(std::size_t public_lookups = 0) const;
  /// The log quotient degree of table t.
  unsigned log_quotient_degree(std::size_t t) const;
  /// The number of instances over all tables (the witnesses a proof takes).
  std::size_t num_instances() const;
};

/// The prover's key: the verifying key and the fixed columns (traces, LDEs, their tree).
template <class E>
struct proving_key {
  verifying_key<E> vk;
  /// Per table with fixed columns (tables_with_fixed() order): the trace (the instance's fixed
  /// trace repeated for each stacked instance) and its LDE.
  std::vector<kernels::row_major_matrix<field::babybear>> fixed_traces, fixed_ldes;
  /// The tree over fixed_ldes; empty when no table has fixed columns.
  std::optional<hash::merkle_tree> fixed_tree;
};

/// Why a circuit was refused.
enum class setup_error_code : std::uint8_t {
  invalid_circuit,  ///< no tables, too many, a table too tall for the field or the parameters
  invalid_params,   ///< the parameters cannot prove some table (blowup below its quotient degree, FRI)
};
using setup_error = ciro::error<setup_error_code>;

/// Checks the circuit against the parameters and makes its keys: fits params to the tables'
/// heights (stark::fitted), computes the fixed columns, their LDEs and tree. The key is returned
/// behind a shared pointer because the tree references the LDEs it holds. Cost: the fixed
/// columns' LDE and commitment (once per circuit).
template <class E>
ciro::result<std::shared_ptr<const proving_key<E>>, setup_error_code> setup(std::vector<table_instance<E>> tables,
                                                                            const stark_params& params,
                                                                            kernels::backend& backend,
                                                                            hash::merkle_hasher& hasher);

/// The verifying key of a circuit whose fixed columns a verifier knows only by their commitment
/// `fixed_root` (a proof that carries it, checked by other means): the checks and fitted parameters
/// of setup(), the digest over the given root. Cost: the tables' shapes only.
template <class E>
ciro::result<verifying_key<E>, setup_error_code> describe(std::vector<table_instance<E>> tables,
                                                          const stark_params& params, const hash::digest& fixed_root);

}  // namespace ciro::stark
