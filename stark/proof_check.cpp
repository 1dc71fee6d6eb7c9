#include "stark/proof_check.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "field/extension.hpp"
#include "hash/sponge.hpp"
#include "kernels/backend.hpp"
#include "stark/examples.hpp"
#include "stark/prover.hpp"
#include "stark/verifier.hpp"

namespace ciro::stark {

using field::babybear;

std::vector<babybear> public_values_of(const stark::statement& stmt) {
  std::vector<babybear> out;
  for (const auto& t : stmt.tables) out.insert(out.end(), t.public_values.begin(), t.public_values.end());
  return out;
}

std::string describe_public_values(std::span<const babybear> values) {
  if (values.size() <= 16) {
    std::string s = "[";
    for (std::size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + std::to_string(values[i].to_canonical());
    return s + "]";
  }
  const hash::digest d = hash::hash_elements(values);
  std::string hex;
  char buf[16];
  for (const auto& x : d) std::snprintf(buf, sizeof buf, "%08x", x.to_canonical()), hex += buf;
  return std::to_string(values.size()) + " values, digest 0x" + hex;
}

std::string describe_tables(const stark::statement& stmt) {
  std::string s;
  for (std::size_t i = 0; i < stmt.tables.size();) {
    std::size_t j = i, count = 0;
    while (j < stmt.tables.size() && stmt.tables[j].air_name == stmt.tables[i].air_name)
      count += stmt.tables[j++].instances;
    s += (s.empty() ? "" : ", ") + stmt.tables[i].air_name + (count > 1 ? " x " + std::to_string(count) : "");
    i = j;
  }
  return s;
}

std::size_t count_instances(const stark::statement& stmt) {
  std::size_t n = 0;
  for (const auto& t : stmt.tables) n += t.instances;
  return n;
}

std::string describe_heights(const stark::statement& stmt) {
  unsigned lo = 64, hi = 0;
  for (const auto& t : stmt.tables) lo = std::min(lo, t.log_rows), hi = std::max(hi, t.log_rows);
  return lo == hi ? "2^" + std::to_string(lo) + " rows"
                  : "2^" + std::to_string(lo) + " to 2^" + std::to_string(hi) + " rows";
}

namespace {

/// printf into a std::string (the check's one line).
template <class... A>
std::string line(const char* format, A... args) {
  char buf[1024];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

/// check_proof_file over the extension E.
template <class E>
proof_check check_over(std::span<const std::uint8_t> bytes, std::uint32_t min_bits,
                       const std::optional<std::vector<babybear>>& expected,
                       const std::optional<expected_statement>& statement) {
  const auto invalid = [](std::string m) { return proof_check{proof_check::invalid, std::move(m)}; };
  auto p = decode<E>(bytes);
  if (!p) return invalid(line("invalid: malformed proof (%s): %s", to_string(p.error().code), p.error().message.c_str()));
  const auto& stmt = p.value().stmt;
  std::optional<std::vector<babybear>> job_publics;  // a batch member's public values
  if (statement && statement->batch_first) {
    if (!example_batches(statement->air)) {
      return {proof_check::usage, "--batch-first: only fibonacci and poseidon2 jobs are proven in batches"};
    }
    auto alone = make_example<E>(statement->air, statement->log_rows, statement->instances, true);
    if (!alone) return {proof_check::usage, alone.error().message};
    job_publics.emplace();
    for (const auto& w : alone.value().witnesses) job_publics->insert(job_publics->end(), w.public_values.begin(), w.public_values.end());
    bool same = !stmt.tables.empty();
    for (const auto& t : stmt.tables) same = same && t.air_name == stmt.tables[0].air_name && t.log_rows == statement->log_rows;
    same = same && stmt.tables[0].air_name == alone.value().tables[0].kind->name() &&
           count_instances(stmt) >= std::size_t{*statement->batch_first} + statement->instances;
    if (!same) {
      return invalid(line("invalid: the proof is of %s (%s), not a batch holding --air %s --log-rows %u --instances %u from "
                          "instance %u",
                          describe_tables(stmt).c_str(), describe_heights(stmt).c_str(), statement->air.c_str(),
                          statement->log_rows, statement->instances, *statement->batch_first));
    }
  } else if (statement) {
    // The circuit `ciro prove` would build for these options, table by table.
    auto shape = make_example<E>(statement->air, statement->log_rows, statement->instances, false);
    if (!shape) return {proof_check::usage, shape.error().message};
    bool same = shape.value().tables.size() == stmt.tables.size();
    for (std::size_t t = 0; same && t < stmt.tables.size(); ++t) {
      const auto& want = shape.value().tables[t];
      same = want.kind->name() == stmt.tables[t].air_name && want.log_rows == stmt.tables[t].log_rows &&
             want.instances == stmt.tables[t].instances;
    }
    if (!same) {
      return invalid(line("invalid: the proof is of %s (%s), not of --air %s --log-rows %u --instances %u",
                          describe_tables(stmt).c_str(), describe_heights(stmt).c_str(), statement->air.c_str(),
                          statement->log_rows, statement->instances));
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<table_instance<E>> tables;
  std::uint64_t fixed_rows = 0;
  for (const auto& t : stmt.tables) {
    auto kind = table_by_name<E>(t.air_name);
    if (!kind) return invalid(line("invalid: the proof has a table of an unknown AIR '%s'", t.air_name.c_str()));
    if (kind->num_fixed() > 0) fixed_rows += std::uint64_t{1} << t.log_height();
    tables.push_back({std::move(kind), t.log_rows, t.instances});
  }
  // The verifying key commits to the fixed columns: bound that work for a hostile file.
  if (fixed_rows > max_fixed_rows) return invalid("invalid: the proof's circuit has more than 2^22 rows of fixed columns");
  auto backend = kernels::make_cpu_backend();
  stark_params params = p.value().params;
  auto pk = setup<E>(tables, params, *backend, backend->merkle());
  if (!pk) return invalid("invalid: " + pk.error().message);
  const auto r = verify(pk.value()->vk, p.value(), {.min_security_bits = min_bits});
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!r) return invalid(line("invalid: %s: %s", to_string(r.error().code), r.error().message.c_str()));
  const std::vector<babybear> publics = public_values_of(stmt);
  if (job_publics) {
    // Every instance of the batch's one AIR has the same number of public values, in instance order.
    const std::size_t per = job_publics->size() / statement->instances;
    const std::size_t from = per * *statement->batch_first;
    if (!std::equal(job_publics->begin(), job_publics->end(), publics.begin() + static_cast<std::ptrdiff_t>(from))) {
      return invalid(line("invalid: the batch's instances %u to %u are not --air %s --log-rows %u --instances %u (public "
                          "values differ)",
                          *statement->batch_first, *statement->batch_first + statement->instances - 1, statement->air.c_str(),
                          statement->log_rows, statement->instances));
    }
    const std::span<const babybear> mine(publics.data() + from, job_publics->size());
    if (expected && !std::equal(expected->begin(), expected->end(), mine.begin(), mine.end())) {
      return invalid(line("invalid: the job's public values are %s, not the %zu values of --public",
                          describe_public_values(mine).c_str(), expected->size()));
    }
    return {proof_check::valid, line("valid: instances %u to %u of a batch of %zu (%s), %s, public values %s, %u-bit security "
                                     "(verified in %.2f ms)",
                                     *statement->batch_first, *statement->batch_first + statement->instances - 1,
                                     count_instances(stmt), describe_tables(stmt).c_str(), describe_heights(stmt).c_str(),
                                     describe_public_values(mine).c_str(), r.value(), ms)};
  }
  if (expected && *expected != publics) {
    return invalid(line("invalid: the public values are %s, not the %zu values of --public",
                        describe_public_values(publics).c_str(), expected->size()));
  }
  const std::size_t instances = count_instances(stmt);
  bool one_air = true;
  for (const auto& t : stmt.tables) one_air = one_air && t.air_name == stmt.tables[0].air_name;
  const std::string what = instances == 1 ? stmt.tables[0].air_name
                                          : std::to_string(instances) + (one_air ? " instances (" : " tables (") +
                                                describe_tables(stmt) + ")";
  return {proof_check::valid, line("valid: %s, %s, public values %s, %u-bit security (verified in %.2f ms)", what.c_str(),
                                   describe_heights(stmt).c_str(), describe_public_values(publics).c_str(), r.value(), ms)};
}

}  // namespace

proof_check check_proof_file(std::span<const std::uint8_t> bytes, std::uint32_t min_bits,
                             const std::optional<std::vector<babybear>>& expected,
                             const std::optional<expected_statement>& statement) {
  const auto degree = peek_extension_degree(bytes);
  if (!degree) {
    return {proof_check::invalid,
            line("invalid: malformed proof (%s): %s", to_string(degree.error().code), degree.error().message.c_str())};
  }
  return degree.value() == 5 ? check_over<field::babybear5>(bytes, min_bits, expected, statement)
                             : check_over<field::babybear4>(bytes, min_bits, expected, statement);
}

}  // namespace ciro::stark
