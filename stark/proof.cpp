#include "stark/proof.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>

#include "field/extension.hpp"

namespace ciro::stark {
namespace {

constexpr std::size_t max_path_length = 28;  // log2 of the largest LDE (2^27 rows) + 1

class writer {
 public:
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void element(field::babybear x) { u32(x.to_canonical()); }
  template <class E>
  void ext(const E& x) {
    for (unsigned i = 0; i < E::degree; ++i) element(x.coeff(i));
  }
  void digest(const hash::digest& d) {
    for (const auto& x : d) element(x);
  }
  void raw(std::span<const std::uint8_t> b) { bytes_.insert(bytes_.end(), b.begin(), b.end()); }
  std::vector<std::uint8_t> take() { return std::move(bytes_); }

 private:
  std::vector<std::uint8_t> bytes_;
};

/// Reads from a byte span, never past its end; every failure is sticky and typed.
class reader {
 public:
  explicit reader(std::span<const std::uint8_t> b) : bytes_(b) {}
  bool ok() const { return !error_; }
  decode_error_code error() const { return *error_; }
  void fail(decode_error_code e) {
    if (!error_) error_ = e;
  }
  std::size_t remaining() const { return bytes_.size() - pos_; }

  std::uint32_t u32() {
    if (!ok()) return 0;
    if (remaining() < 4) {
      fail(decode_error_code::truncated);
      return 0;
    }
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(bytes_[pos_ + i]) << (8 * i);
    pos_ += 4;
    return v;
  }
  /// A count in [lo, hi], else out_of_bounds.
  std::uint32_t count(std::uint32_t lo, std::uint32_t hi) {
    const std::uint32_t v = u32();
    if (ok() && (v < lo || v > hi)) fail(decode_error_code::out_of_bounds);
    return ok() ? v : 0;
  }
  field::babybear element() {
    const std::uint32_t v = u32();
    const auto x = field::babybear::try_from_canonical(v);
    if (ok() && !x) fail(decode_error_code::non_canonical);
    return x.value_or(field::babybear::zero());
  }
  template <class E>
  E ext() {
    std::array<field::babybear, E::degree> c;
    for (auto& x : c) x = element();
    return E::from_coeffs(c);
  }
  hash::digest digest() {
    hash::digest d;
    for (auto& x : d) x = element();
    return d;
  }
  std::span<const std::uint8_t> raw(std::size_t n) {
    if (!ok()) return {};
    if (remaining() < n) {
      fail(decode_error_code::truncated);
      return {};
    }
    auto s = bytes_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
  std::optional<decode_error_code> error_;
};

bool valid_name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; }

void write_opening(writer& w, const hash::batch_opening& o) {
  w.u32(static_cast<std::uint32_t>(o.rows.size()));
  for (const auto& query : o.rows) {
    w.u32(static_cast<std::uint32_t>(query.size()));
    for (const auto& row : query) {
      w.u32(static_cast<std::uint32_t>(row.size()));
      for (const auto& x : row) w.element(x);
    }
  }
  w.u32(static_cast<std::uint32_t>(o.siblings.size()));
  for (const auto& d : o.siblings) w.digest(d);
}

hash::batch_opening read_opening(reader& r, std::uint32_t max_rows, std::uint32_t max_matrices) {
  hash::batch_opening o;
  const std::uint32_t rows = r.count(0, max_rows);
  for (std::uint32_t a = 0; a < rows && r.ok(); ++a) {
    auto& query = o.rows.emplace_back();
    const std::uint32_t matrices = r.count(0, max_matrices);
    for (std::uint32_t j = 0; j < matrices && r.ok(); ++j) {
      auto& row = query.emplace_back();
      const std::uint32_t width = r.count(0, std::min<std::size_t>(max_table_width * 16, r.remaining() / 4));
      row.reserve(width);
      for (std::uint32_t i = 0; i < width && r.ok(); ++i) row.push_back(r.element());
    }
  }
  const std::uint32_t siblings = r.count(0, std::min<std::size_t>(rows * max_path_length, r.remaining() / 32));
  o.siblings.reserve(siblings);
  for (std::uint32_t i = 0; i < siblings && r.ok(); ++i) o.siblings.push_back(r.digest());
  return o;
}

void write_string(writer& w, const std::string& s) {
  w.u32(static_cast<std::uint32_t>(s.size()));
  w.raw(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

}  // namespace

const char* to_string(decode_error_code code) {
  switch (code) {
    case decode_error_code::truncated:
      return "truncated";
    case decode_error_code::bad_magic:
      return "bad_magic";
    case decode_error_code::unknown_version:
      return "unknown_version";
    case decode_error_code::out_of_bounds:
      return "out_of_bounds";
    case decode_error_code::non_canonical:
      return "non_canonical";
    case decode_error_code::trailing_bytes:
      return "trailing_bytes";
    case decode_error_code::bad_fri:
      return "bad_fri";
  }
  return "unknown";
}

template <class E>
std::vector<std::uint8_t> encode(const proof<E>& p) {
  writer w;
  w.raw(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>("CIRO"), 4));
  w.u32(proof_format_version);
  w.u32(E::degree);
  const stark_params& pa = p.params;
  for (const std::uint32_t v : {pa.log_blowup, pa.num_queries, pa.pow_bits, pa.log_arity, pa.log_final_poly_len})
    w.u32(v);
  w.digest(p.vk_digest);
  w.u32(static_cast<std::uint32_t>(p.stmt.tables.size()));
  for (const auto& t : p.stmt.tables) {
    write_string(w, t.air_name);
    w.u32(t.log_rows);
    w.u32(t.instances);
    w.u32(static_cast<std::uint32_t>(t.public_values.size()));
    for (const auto& x : t.public_values) w.element(x);
  }
  w.digest(p.main_root);
  w.digest(p.aux_root);
  w.digest(p.quotient_root);
  w.u32(static_cast<std::uint32_t>(p.lookup_totals.size()));
  for (const auto& x : p.lookup_totals) w.ext(x);
  CIRO_CHECK(p.openings.size() == p.stmt.tables.size());
  for (const auto& o : p.openings) {
    CIRO_CHECK(o.local.size() == o.next.size());
    w.u32(static_cast<std::uint32_t>(o.local.size()));
    for (const auto& x : o.local) w.ext(x);
    for (const auto& x : o.next) w.ext(x);
    w.u32(static_cast<std::uint32_t>(o.quotient.size()));
    for (const auto& x : o.quotient) w.ext(x);
  }
  for (const auto* o : {&p.main_opening, &p.aux_opening, &p.quotient_opening, &p.fixed_opening}) write_opening(w, *o);
  std::vector<std::uint8_t> fri_bytes;
  p.fri.encode(fri_bytes);
  w.u32(static_cast<std::uint32_t>(fri_bytes.size()));
  w.raw(fri_bytes);
  return w.take();
}

std::vector<unsigned> lde_log_heights(const statement& stmt, unsigned log_blowup) {
  std::vector<unsigned> heights;
  for (const auto& t : stmt.tables) heights.push_back(t.log_height() + log_blowup);
  std::sort(heights.begin(), heights.end(), std::greater<>());
  heights.erase(std::unique(heights.begin(), heights.end()), heights.end());
  return heights;
}

ciro::result<std::uint32_t, decode_error_code> peek_extension_degree(std::span<const std::uint8_t> bytes) {
  reader r(bytes);
  const auto magic = r.raw(4);
  if (!r.ok()) return ciro::error<decode_error_code>{r.error(), "the file is shorter than a proof header"};
  if (std::memcmp(magic.data(), "CIRO", 4) != 0) {
    return ciro::error<decode_error_code>{decode_error_code::bad_magic, "not a Ciro proof (no CIRO magic)"};
  }
  const std::uint32_t version = r.u32();
  const std::uint32_t degree = r.u32();
  if (!r.ok()) return ciro::error<decode_error_code>{r.error(), "the file is shorter than a proof header"};
  if (version != proof_format_version) {
    return ciro::error<decode_error_code>{decode_error_code::unknown_version,
                                          "unsupported format version " + std::to_string(version) +
                                              " (this build reads version " + std::to_string(proof_format_version) +
                                              ")"};
  }
  if (degree != 4 && degree != 5) {
    return ciro::error<decode_error_code>{decode_error_code::out_of_bounds,
                                          "extension degree " + std::to_string(degree) + " (4 or 5 expected)"};
  }
  return degree;
}

template <class E>
ciro::result<proof<E>, decode_error_code> decode(std::span<const std::uint8_t> bytes) {
  auto degree = peek_extension_degree(bytes);
  if (!degree) return degree.error();
  if (degree.value() != E::degree) {
    return ciro::error<decode_error_code>{decode_error_code::out_of_bounds, "wrong extension degree"};
  }
  reader r(bytes.subspan(12));
  proof<E> p;
  stark_params& pa = p.params;
  pa.extension_degree = E::degree;
  pa.log_blowup = r.count(1, 8);
  pa.num_queries = r.count(1, fri::fri_max_queries);
  pa.pow_bits = r.count(0, hash::challenger::max_bits);
  pa.log_arity = r.count(1, 3);
  pa.log_final_poly_len = r.count(0, 16);
  p.vk_digest = r.digest();
  const std::uint32_t num_tables = r.count(1, static_cast<std::uint32_t>(max_tables));
  for (std::uint32_t t = 0; t < num_tables && r.ok(); ++t) {
    auto& ts = p.stmt.tables.emplace_back();
    const std::uint32_t name_length = r.count(1, max_name_length);
    const auto name = r.raw(name_length);
    ts.air_name.assign(name.begin(), name.end());
    for (const char c : ts.air_name) {
      if (!valid_name_char(c)) r.fail(decode_error_code::non_canonical);
    }
    ts.log_rows = r.count(0, field::babybear::two_adicity);
    ts.instances = r.count(1, static_cast<std::uint32_t>(max_tables));
    if (r.ok() && !std::has_single_bit(ts.instances)) r.fail(decode_error_code::out_of_bounds);
    const std::uint32_t num_public = r.count(
        0, static_cast<std::uint32_t>(std::min<std::size_t>(max_public_values * ts.instances, r.remaining() / 4)));
    ts.public_values.reserve(num_public);
    for (std::uint32_t i = 0; i < num_public && r.ok(); ++i) ts.public_values.push_back(r.element());
  }
  p.main_root = r.digest();
  p.aux_root = r.digest();
  p.quotient_root = r.digest();
  const std::uint32_t num_totals = r.count(
      0, static_cast<std::uint32_t>(std::min<std::size_t>(std::size_t{1} << 20, r.remaining() / (4 * E::degree))));
  for (std::uint32_t i = 0; i < num_totals && r.ok(); ++i) p.lookup_totals.push_back(r.template ext<E>());
  for (std::uint32_t t = 0; t < num_tables && r.ok(); ++t) {
    auto& o = p.openings.emplace_back();
    const std::uint32_t width = r.count(0, std::min<std::size_t>(max_table_width, r.remaining() / (8 * E::degree)));
    for (std::uint32_t i = 0; i < width && r.ok(); ++i) o.local.push_back(r.template ext<E>());
    for (std::uint32_t i = 0; i < width && r.ok(); ++i) o.next.push_back(r.template ext<E>());
    const std::uint32_t quotient_columns = r.count(1, max_quotient_columns);
    for (std::uint32_t i = 0; i < quotient_columns && r.ok(); ++i) o.quotient.push_back(r.template ext<E>());
  }
  for (auto* o : {&p.main_opening, &p.aux_opening, &p.quotient_opening, &p.fixed_opening}) {
    *o = read_opening(r, pa.num_queries, num_tables);
  }
  const std::uint32_t fri_length =
      r.count(0, static_cast<std::uint32_t>(std::min<std::size_t>(r.remaining(), UINT32_MAX)));
  const auto fri_bytes = r.raw(fri_length);
  if (!r.ok()) return ciro::error<decode_error_code>{r.error(), std::string("proof file: ") + to_string(r.error())};
  if (r.remaining() != 0) {
    return ciro::error<decode_error_code>{decode_error_code::trailing_bytes,
                                          std::to_string(r.remaining()) + " bytes after the end of the proof"};
  }
  const fri::fri_params fp{pa.log_blowup, pa.log_arity, pa.log_final_poly_len, pa.num_queries, pa.pow_bits};
  const std::vector<unsigned> heights = lde_log_heights(p.stmt, pa.log_blowup);
  if (!fri::validate(fp, heights)) {
    return ciro::error<decode_error_code>{decode_error_code::out_of_bounds,
                                          "FRI parameters invalid for these table heights"};
  }
  auto fri_proof = fri::fri_proof<E>::decode(fri_bytes, fp, heights);
  if (!fri_proof) {
    return ciro::error<decode_error_code>{decode_error_code::bad_fri, "FRI proof: " + fri_proof.error().message};
  }
  p.fri = std::move(fri_proof).value();
  return p;
}

template std::vector<std::uint8_t> encode(const proof<field::babybear4>&);
template std::vector<std::uint8_t> encode(const proof<field::babybear5>&);
template ciro::result<proof<field::babybear4>, decode_error_code> decode(std::span<const std::uint8_t>);
template ciro::result<proof<field::babybear5>, decode_error_code> decode(std::span<const std::uint8_t>);

}  // namespace ciro::stark
