#include "stark/circuit.hpp"

#include <algorithm>
#include <string_view>

#include "air/symbolic_builder.hpp"
#include "field/extension.hpp"

namespace ciro::stark {

template <class E>
std::vector<std::size_t> verifying_key<E>::tables_with_fixed() const {
  std::vector<std::size_t> out;
  for (std::size_t t = 0; t < tables.size(); ++t) {
    if (tables[t].kind->num_fixed() > 0) out.push_back(t);
  }
  return out;
}

template <class E>
std::vector<std::size_t> verifying_key<E>::tables_with_lookups() const {
  std::vector<std::size_t> out;
  for (std::size_t t = 0; t < tables.size(); ++t) {
    if (!tables[t].kind->lookups().empty()) out.push_back(t);
  }
  return out;
}

template <class E>
statement_size verifying_key<E>::size(std::size_t public_lookups) const {
  statement_size s;
  std::uint64_t max_tuple = 0;
  for (const auto& t : tables) {
    const unsigned log_qd = air::log_quotient_degree(t.kind->constraints(t.stacked()).max_degree);
    s.ood_degree += ((std::uint64_t{1} << log_qd) + 1) << t.log_height();
    s.constraints += t.kind->constraints(t.stacked()).num_constraints();
    s.lookup_terms += (std::uint64_t{1} << t.log_height()) * t.kind->lookups().interactions.size();
    max_tuple = std::max<std::uint64_t>(max_tuple, t.kind->lookups().max_tuple_length);
  }
  if (s.lookup_terms > 0) s.lookup_terms += max_tuple + public_lookups;
  return s;
}

template <class E>
unsigned verifying_key<E>::log_quotient_degree(std::size_t t) const {
  return air::log_quotient_degree(tables[t].kind->constraints(tables[t].stacked()).max_degree);
}

template <class E>
std::size_t verifying_key<E>::num_instances() const {
  std::size_t n = 0;
  for (const auto& t : tables) n += t.instances;
  return n;
}

namespace {

template <class E>
hash::digest vk_digest(const verifying_key<E>& vk) {
  std::vector<field::babybear> xs;
  auto put = [&](std::uint64_t v) { xs.push_back(field::babybear::from_u64(v)); };
  auto put_string = [&](std::string_view s) {
    put(s.size());
    for (const char c : s) put(static_cast<unsigned char>(c));
  };
  put_string("ciro-vk");
  const stark_params& p = vk.params;
  for (const std::uint64_t v : {std::uint64_t{proof_format_version}, std::uint64_t{p.extension_degree},
                                std::uint64_t{p.log_blowup}, std::uint64_t{p.num_queries}, std::uint64_t{p.pow_bits},
                                std::uint64_t{p.log_arity}, std::uint64_t{p.log_final_poly_len}}) {
    put(v);
  }
  put(vk.tables.size());
  for (const auto& t : vk.tables) {
    const table<E>& k = *t.kind;
    put_string(k.name());
    put(t.log_rows);
    put(t.instances);
    put(k.main_width());
    put(k.num_fixed());
    put(k.aux_width());
    put(k.num_public_values());
    put(k.constraints(t.stacked()).num_constraints());
    put(k.constraints(t.stacked()).max_degree);
    put(k.lookups().interactions.size());
    for (const auto& i : k.lookups().interactions) {
      put(i.bus_id);
      put(i.is_send ? 1 : 0);
      put(i.tuple_length);
    }
  }
  for (const auto& x : vk.fixed_root) xs.push_back(x);
  return hash::hash_elements(xs);
}

/// The checks of setup() and the fitted parameters: the verifying key without its fixed root and
/// digest.
template <class E>
ciro::result<verifying_key<E>, setup_error_code> checked_key(std::vector<table_instance<E>> tables,
                                                             const stark_params& params) {
  using field::babybear;
  if (tables.empty() || tables.size() > max_tables) {
    return setup_error{setup_error_code::invalid_circuit, "a circuit has 1 to " + std::to_string(max_tables) +
                                                              " tables, not " + std::to_string(tables.size())};
  }
  if (params.extension_degree != E::degree) {
    return setup_error{setup_error_code::invalid_params, "the parameters' extension degree does not match the field"};
  }
  unsigned min_log = babybear::two_adicity, max_log = 0;
  for (const auto& t : tables) {
    CIRO_CHECK(t.kind != nullptr);
    const table<E>& k = *t.kind;
    if (!std::has_single_bit(t.instances) || t.instances > max_tables) {
      return setup_error{setup_error_code::invalid_circuit,
                         "table '" + std::string(k.name()) + "' stacks a power of two of instances (1 to " +
                             std::to_string(max_tables) + "), not " + std::to_string(t.instances)};
    }
    if (t.stacked() && (!k.stackable() || t.log_rows < 1)) {
      return setup_error{
          setup_error_code::invalid_circuit,
          "table '" + std::string(k.name()) + "' cannot stack instances" +
              (t.log_rows < 1 ? " of one row"
                              : " (it reads public values outside first- and last-row constraints, or the next "
                                "row outside transition constraints)")};
    }
    if (!k.accepts_log_rows(t.log_rows)) {
      return setup_error{setup_error_code::invalid_circuit,
                         "table '" + std::string(k.name()) + "' cannot have 2^" + std::to_string(t.log_rows) + " rows"};
    }
    if (t.log_height() + params.log_blowup > 27) {
      return setup_error{setup_error_code::invalid_circuit, "table '" + std::string(k.name()) + "' of 2^" +
                                                                std::to_string(t.log_height()) +
                                                                " rows is too tall for this blowup"};
    }
    if (k.main_width() + k.num_fixed() + k.aux_width() > max_table_width || k.num_public_values() > max_public_values) {
      return setup_error{setup_error_code::invalid_circuit, "table '" + std::string(k.name()) + "' is too wide"};
    }
    const unsigned degree = k.constraints(t.stacked()).max_degree, log_qd = air::log_quotient_degree(degree);
    if (log_qd > params.log_blowup || (E::degree << log_qd) > max_quotient_columns) {
      return setup_error{setup_error_code::invalid_params,
                         "table '" + std::string(k.name()) + "' has constraints of degree " + std::to_string(degree) +
                             ", which needs log_blowup >= " + std::to_string(log_qd) + " (the parameters have " +
                             std::to_string(params.log_blowup) + ")"};
    }
    min_log = std::min(min_log, t.log_height());
    max_log = std::max(max_log, t.log_height());
  }
  {
    // LogUp adds multiplicities in the field: with p or more interaction rows in all, a count of p
    // would look like zero. Keep the total below p (AIRs whose multiplicities come from the
    // witness bound those themselves).
    std::uint64_t interaction_rows = 0;
    for (const auto& t : tables) {
      interaction_rows += (std::uint64_t{1} << t.log_height()) * t.kind->lookups().interactions.size();
    }
    if (interaction_rows >= babybear::modulus) {
      return setup_error{setup_error_code::invalid_circuit,
                         "the circuit's tables make " + std::to_string(interaction_rows) +
                             " lookups in all; LogUp counts them modulo p, so they must stay below p = 2013265921"};
    }
  }
  if (max_log == 0) {
    return setup_error{setup_error_code::invalid_circuit, "a circuit needs at least one table of 2 rows or more"};
  }
  verifying_key<E> vk;
  vk.params = fitted(params, min_log, max_log);
  vk.tables = std::move(tables);
  {
    statement stmt;
    for (const auto& t : vk.tables) stmt.tables.push_back({std::string(t.kind->name()), t.log_rows, {}, t.instances});
    const stark_params& fp = vk.params;
    if (!fri::validate({fp.log_blowup, fp.log_arity, fp.log_final_poly_len, fp.num_queries, fp.pow_bits},
                       lde_log_heights(stmt, fp.log_blowup))) {
      return setup_error{setup_error_code::invalid_params, "the FRI parameters do not fit these table heights"};
    }
  }
  return vk;
}

}  // namespace

template <class E>
ciro::result<verifying_key<E>, setup_error_code> describe(std::vector<table_instance<E>> tables,
                                                          const stark_params& params, const hash::digest& fixed_root) {
  auto vk = checked_key(std::move(tables), params);
  if (!vk) return vk.error();
  vk.value().fixed_root = fixed_root;
  vk.value().digest = vk_digest(vk.value());
  return vk;
}

template <class E>
ciro::result<std::shared_ptr<const proving_key<E>>, setup_error_code> setup(std::vector<table_instance<E>> tables,
                                                                            const stark_params& params,
                                                                            kernels::backend& backend,
                                                                            hash::merkle_hasher& hasher) {
  using field::babybear;
  auto checked = checked_key(std::move(tables), params);
  if (!checked) return checked.error();
  auto pk = std::make_shared<proving_key<E>>();
  pk->vk = std::move(checked.value());
  std::vector<hash::matrix_ref> refs;
  for (const std::size_t t : pk->vk.tables_with_fixed()) {
    const table_instance<E>& inst = pk->vk.tables[t];
    const auto one = inst.kind->fixed_trace(inst.log_rows);
    CIRO_CHECK(one.rows() == (std::size_t{1} << inst.log_rows) && one.width() == inst.kind->num_fixed());
    kernels::row_major_matrix<babybear> fixed(one.rows() * inst.instances, one.width(), ciro::uninitialized);
    for (unsigned j = 0; j < inst.instances; ++j) {
      std::copy(one.values().begin(), one.values().end(), fixed.values().begin() + j * one.values().size());
    }
    kernels::row_major_matrix<babybear> lde(fixed.rows() << pk->vk.params.log_blowup, fixed.width(),
                                            ciro::uninitialized);
    backend.lde(fixed.view(), lde.view(), {.log_blowup = pk->vk.params.log_blowup});
    pk->fixed_traces.push_back(std::move(fixed));
    pk->fixed_ldes.push_back(std::move(lde));
  }
  for (const auto& lde : pk->fixed_ldes) refs.push_back({lde.values().data(), lde.rows(), lde.width(), true});
  if (!refs.empty()) {
    pk->fixed_tree = hash::merkle_tree::commit(hasher, refs).value();
    pk->vk.fixed_root = pk->fixed_tree->root();
  }
  pk->vk.digest = vk_digest(pk->vk);
  return std::shared_ptr<const proving_key<E>>(std::move(pk));
}

template struct verifying_key<field::babybear4>;
template struct verifying_key<field::babybear5>;
template ciro::result<verifying_key<field::babybear4>, setup_error_code> describe(
    std::vector<table_instance<field::babybear4>>, const stark_params&, const hash::digest&);
template ciro::result<verifying_key<field::babybear5>, setup_error_code> describe(
    std::vector<table_instance<field::babybear5>>, const stark_params&, const hash::digest&);
template ciro::result<std::shared_ptr<const proving_key<field::babybear4>>, setup_error_code> setup(
    std::vector<table_instance<field::babybear4>>, const stark_params&, kernels::backend&, hash::merkle_hasher&);
template ciro::result<std::shared_ptr<const proving_key<field::babybear5>>, setup_error_code> setup(
    std::vector<table_instance<field::babybear5>>, const stark_params&, kernels::backend&, hash::merkle_hasher&);

}  // namespace ciro::stark
