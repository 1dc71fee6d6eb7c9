#pragma once

#include <bit>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "field/babybear.hpp"
#include "fri/fri.hpp"
#include "hash/merkle_tree.hpp"
#include "hash/sponge.hpp"
#include "stark/params.hpp"

namespace ciro::stark {

/// What a proof claims about one table: its AIR (by name), the height of each instance, its
/// public values (instance by instance: `instances` times the AIR's count) and the number of
/// instances stacked in it (a power of two).
struct table_statement {
  std::string air_name;
  std::uint32_t log_rows = 0;
  std::vector<field::babybear> public_values;
  std::uint32_t instances = 1;
  /// log2 of the trace's height.
  std::uint32_t log_height() const { return log_rows + static_cast<std::uint32_t>(std::countr_zero(instances)); }
  friend bool operator==(const table_statement&, const table_statement&) = default;
};

/// What a proof claims: every table (instance) of the statement, in circuit order.
struct statement {
  std::vector<table_statement> tables;
  friend bool operator==(const statement&, const statement&) = default;
};

/// One table's out-of-domain openings: its [main | fixed | aux] columns at zeta and at zeta w
/// (w the generator of the table's trace domain), and its quotient's base columns at zeta.
template <class E>
struct table_openings {
  std::vector<E> local, next, quotient;
  friend bool operator==(const table_openings&, const table_openings&) = default;
};

/// A multi-table STARK proof over the challenge field E (BabyBear^4 or BabyBear^5); see
/// docs/protocol.md for the protocol, message by message.
template <class E>
struct proof {
  stark_params params;
  /// The digest of the verifying key the proof was made for.
  hash::digest vk_digest{};
  statement stmt;
  /// Commitments: all main traces; all aux (LogUp) traces (zero when no table has lookups); all
  /// quotients.
  hash::digest main_root{}, aux_root{}, quotient_root{};
  /// The LogUp total of each instance of each table that has lookups, in table order.
  std::vector<E> lookup_totals;
  /// One entry per table.
  std::vector<table_openings<E>> openings;
  /// Openings of the committed rows at the queried positions (sorted, unique): main, aux,
  /// quotient, and the verifying key's fixed columns.
  hash::batch_opening main_opening, aux_opening, quotient_opening, fixed_opening;
  fri::fri_proof<E> fri;
  friend bool operator==(const proof&, const proof&) = default;
};

/// The version of the binary proof format written by encode() (and the only one decode reads).
inline constexpr std::uint32_t proof_format_version = 2;

/// Limits every decoder and verifier enforces (they bound allocation and work).
inline constexpr std::size_t max_tables = 4096;
inline constexpr std::size_t max_name_length = 64;
inline constexpr std::size_t max_public_values = 4096;
inline constexpr std::size_t max_table_width = 4096;
inline constexpr std::size_t max_quotient_columns = 64;

/// Why a proof file was rejected before verification started.
enum class decode_error_code : std::uint8_t {
  truncated,        ///< the file ends before the proof does
  bad_magic,        ///< the file does not start with "CIRO"
  unknown_version,  ///< a format version this build does not read
  out_of_bounds,    ///< a length or count beyond what the parameters allow
  non_canonical,    ///< a field element >= p, or a non-canonical string
  trailing_bytes,   ///< bytes after the end of the proof
  bad_fri,          ///< the FRI part does not decode
};
const char* to_string(decode_error_code code);
using decode_error = ciro::error<decode_error_code>;

/// The canonical binary encoding (format version 2). All integers are u32 little-endian, field
/// elements canonical u32, extension elements their D coefficients (lowest first), digests 8
/// elements:
///   "CIRO", version (2), extension degree D,
///   params: log_blowup, num_queries, pow_bits, log_arity, log_final_poly_len,
///   vk_digest,
///   number of tables t (1..4096), then per table: name length (1..64) and name bytes
///     ([a-z0-9_-]), log_rows (<= 27), instances (a power of two, 1..4096), number of public
///     values (<= 4096 per instance) and the values,
///   main_root, aux_root, quotient_root,
///   number of lookup totals (<= 2^20) and the totals,
///   per table: opened width W (<= 4096), local (W), next (W), quotient column count
///     (1..64) and the quotient values,
///   main, aux, quotient and fixed openings, each: number of rows r (<= num_queries), per row
///     the number of matrices (<= t) and per matrix its length then elements, then the number of
///     siblings (<= r * 28) and the digests,
///   FRI proof length in bytes, then fri::fri_proof::encode's bytes.
/// Every proof has exactly one encoding: decode(encode(p)) == p and decode rejects anything
/// encode would not write. Version 1 files are refused ("unsupported format version 1").
template <class E>
std::vector<std::uint8_t> encode(const proof<E>& p);

/// The extension degree D a proof file declares (its third word), or an error.
ciro::result<std::uint32_t, decode_error_code> peek_extension_degree(std::span<const std::uint8_t> bytes);

/// Decodes a proof file written by encode(). Bounds every length before allocating (by the
/// limits above and by the bytes left); never reads past the end.
template <class E>
ciro::result<proof<E>, decode_error_code> decode(std::span<const std::uint8_t> bytes);

/// The distinct LDE log heights of a statement's tables, tallest first (FRI's inputs).
std::vector<unsigned> lde_log_heights(const statement& stmt, unsigned log_blowup);

}  // namespace ciro::stark
