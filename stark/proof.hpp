#pragma once

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

/// What a proof claims: the AIR (by name), the trace length and the public values.
struct statement {
  std::string air_name;
  std::uint32_t log_rows = 0;
  std::vector<field::babybear> public_values;
  friend bool operator==(const statement&, const statement&) = default;
};

/// A STARK proof over the challenge field E (BabyBear^4 or BabyBear^5); see docs/protocol.md.
template <class E>
struct proof {
  stark_params params;
  statement stmt;
  hash::digest trace_root{};
  hash::digest quotient_root{};
  /// The trace columns at zeta and at zeta * w; the quotient's base columns at zeta.
  std::vector<E> trace_local, trace_next, quotient_at_zeta;
  /// Openings of the trace and quotient LDE rows at the queried rows (sorted, unique).
  hash::batch_opening trace_opening, quotient_opening;
  fri::fri_proof<E> fri;
};

/// The version of the binary proof format written by encode() (and the only one decode reads).
inline constexpr std::uint32_t proof_format_version = 1;

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

/// The canonical binary encoding (format version 1). Layout, all integers u32 little-endian and
/// field elements canonical u32 (extension elements as their coefficients, lowest first):
///   "CIRO", version, extension degree D,
///   params: log_blowup, num_queries, pow_bits, log_arity, log_final_poly_len,
///   statement: name length (1..64) and name bytes ([a-z0-9_-]), log_rows, number of public
///     values (<= 4096) and the values,
///   trace_root (8), quotient_root (8),
///   trace width w (<= 4096) then trace_local (w) and trace_next (w),
///   quotient column count k (<= 64) then quotient_at_zeta (k),
///   trace opening and quotient opening, each: number of rows r (<= num_queries), each row's
///     length then elements, number of siblings s (<= num_queries * 28), the digests,
///   FRI proof length in bytes, then fri::fri_proof::encode's bytes.
/// Every proof has exactly one encoding: decode(encode(p)) == p and decode rejects anything
/// encode would not write.
template <class E>
std::vector<std::uint8_t> encode(const proof<E>& p);

/// The extension degree D a proof file declares (its third word), or an error.
ciro::result<std::uint32_t, decode_error_code> peek_extension_degree(std::span<const std::uint8_t> bytes);

/// Decodes a proof file written by encode(). Bounds every length by the parameters before
/// allocating; never reads past the end.
template <class E>
ciro::result<proof<E>, decode_error_code> decode(std::span<const std::uint8_t> bytes);

}  // namespace ciro::stark
