#pragma once

#include "hash/challenger.hpp"
#include "stark/params.hpp"
#include "stark/proof.hpp"

namespace ciro::stark {

/// Starts a proof's Fiat-Shamir transcript: binds the protocol version, the parameters and the
/// statement, so that no challenge can be reused across statements or parameter sets. Observes,
/// in this order: the domain tag "ciro-stark" (one element per byte), proof_format_version,
/// extension_degree, log_blowup, num_queries, pow_bits, log_arity, log_final_poly_len, the AIR
/// name's length and bytes, log_rows, the trace width, the number of public values and the
/// values.
inline hash::challenger start_transcript(const stark_params& params, const statement& stmt, std::size_t width) {
  hash::challenger ch;
  auto observe_u32 = [&](std::uint64_t v) { ch.observe(field::babybear::from_u64(v)); };
  for (const char c : std::string_view("ciro-stark")) observe_u32(static_cast<unsigned char>(c));
  for (const std::uint64_t v :
       {std::uint64_t{proof_format_version}, std::uint64_t{params.extension_degree}, std::uint64_t{params.log_blowup},
        std::uint64_t{params.num_queries}, std::uint64_t{params.pow_bits}, std::uint64_t{params.log_arity},
        std::uint64_t{params.log_final_poly_len}}) {
    observe_u32(v);
  }
  observe_u32(stmt.air_name.size());
  for (const char c : stmt.air_name) observe_u32(static_cast<unsigned char>(c));
  observe_u32(stmt.log_rows);
  observe_u32(width);
  observe_u32(stmt.public_values.size());
  ch.observe(std::span<const field::babybear>(stmt.public_values));
  return ch;
}

/// The rows of the trace and quotient LDEs that FRI's queries open: the LDE is committed in
/// natural order while FRI's position q stands for the point g * w_N^bitrev(q), so query q opens
/// row bitrev(q). Returned sorted and without repeats (the batch-opening order).
inline std::vector<std::size_t> opened_rows(std::span<const std::size_t> query_indices, unsigned log_lde) {
  std::vector<std::size_t> rows;
  for (const std::size_t q : query_indices) {
    std::size_t r = 0;
    for (unsigned i = 0; i < log_lde; ++i) r |= ((q >> i) & 1) << (log_lde - 1 - i);
    rows.push_back(r);
  }
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  return rows;
}

}  // namespace ciro::stark
