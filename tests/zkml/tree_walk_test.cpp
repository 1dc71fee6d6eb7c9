// Tree ensembles proven by walks (zkml/model_tables.hpp: tree_walk_air, tree_node_air,
// tree_feature_air): random ensembles of every branch mode and shape proven and checked against
// the integer inference; a walk that takes the other branch, or jumps to another node, is refused
// by the prover's check, and its proof, made without the check, is rejected by the verifier.

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "kernels/backend.hpp"
#include "stark/circuit.hpp"
#include "stark/prover.hpp"
#include "stark/verifier.hpp"
#include "tests/support/seed.hpp"
#include "zkml/integer_inference.hpp"
#include "zkml/lowering.hpp"
#include "zkml/model_circuit.hpp"
#include "zkml/model_proof.hpp"
#include "zkml/model_tables.hpp"

namespace ciro::zkml {
namespace {

using field::babybear;
using E = field::babybear4;

/// A TreeEnsembleClassifier over `features` features and `classes` classes for `rows` input rows:
/// `trees` random trees of depth at most `max_depth` (a node is a leaf with probability 1/4 before
/// that depth, so the trees are unbalanced), branch modes drawn from LEQ, LT, GTE and GT, a few
/// thresholds far outside the input's range (branches decided alone), leaves with one or two
/// weights (for two classes), and `post` (NONE or SOFTMAX).
model random_ensemble(std::mt19937_64& rng, std::int64_t features, std::int64_t classes, std::int64_t rows,
                      std::int64_t trees, int max_depth, const std::string& post) {
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<std::int64_t> feature(0, features - 1), cls(0, classes - 1);
  std::uniform_int_distribution<int> four(0, 3), hundred(0, 99);
  const char* modes[] = {"BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT"};
  std::map<std::string, attribute> a;
  const auto ints = [&](const char* n) -> std::vector<std::int64_t>& {
    a[n].name = n;
    a[n].type = attribute::kind::ints;
    return a[n].ints;
  };
  const auto floats = [&](const char* n) -> std::vector<double>& {
    a[n].name = n;
    a[n].type = attribute::kind::floats;
    return a[n].floats;
  };
  a["nodes_modes"].name = "nodes_modes";
  a["nodes_modes"].type = attribute::kind::strings;
  for (std::int64_t t = 0; t < trees; ++t) {
    // Nodes in creation order: (id, depth); children get the next ids.
    std::vector<std::pair<std::int64_t, int>> open{{0, 0}};
    std::int64_t next_id = 1;
    while (!open.empty()) {
      const auto [id, depth] = open.back();
      open.pop_back();
      const bool branch = depth < max_depth && (depth == 0 || four(rng) != 0);
      ints("nodes_treeids").push_back(t);
      ints("nodes_nodeids").push_back(id);
      ints("nodes_featureids").push_back(branch ? feature(rng) : 0);
      const int far = hundred(rng);
      floats("nodes_values").push_back(!branch ? 0.0 : far < 4 ? 1e3 : far < 8 ? -1e3 : 0.8 * normal(rng));
      a["nodes_modes"].strings.push_back(branch ? modes[four(rng)] : "LEAF");
      ints("nodes_truenodeids").push_back(branch ? next_id : 0);
      ints("nodes_falsenodeids").push_back(branch ? next_id + 1 : 0);
      if (branch) {
        open.emplace_back(next_id, depth + 1);
        open.emplace_back(next_id + 1, depth + 1);
        next_id += 2;
        continue;
      }
      const std::int64_t c = cls(rng);
      for (int w = 0; w < 1 + four(rng) / 3; ++w) {
        ints("class_treeids").push_back(t);
        ints("class_nodeids").push_back(id);
        ints("class_ids").push_back((c + w) % classes);
        floats("class_weights").push_back(0.3 * normal(rng));
      }
    }
  }
  for (std::int64_t k = 0; k < classes; ++k) {
    ints("classlabels_int64s").push_back(10 + k);
    floats("base_values").push_back(0.1 * normal(rng));
  }
  a["post_transform"].name = "post_transform";
  a["post_transform"].type = attribute::kind::string;
  a["post_transform"].s = post;
  model m;
  node n;
  n.op_type = "TreeEnsembleClassifier";
  n.domain = "ai.onnx.ml";
  n.opset = 3;
  n.name = "trees";
  n.inputs = {"x"};
  n.outputs = {"label", "probabilities"};
  for (auto& [name, attr] : a) n.attributes.push_back(std::move(attr));
  m.nodes.push_back(std::move(n));
  m.opsets[""] = 13;
  m.opsets["ai.onnx.ml"] = 3;
  m.inputs = {{"x", element_type::float32, {rows, features}}};
  m.outputs = {{"label", element_type::int64, {rows}}, {"probabilities", element_type::float32, {rows, classes}}};
  return m;
}

tensor_map random_input(std::mt19937_64& rng, std::int64_t rows, std::int64_t features) {
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> x(static_cast<std::size_t>(rows * features));
  for (auto& v : x) v = static_cast<float>(normal(rng));
  return {{"x", tensor::floats({rows, features}, std::move(x))}};
}

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(TreeWalk, RandomEnsemblesOfEveryModeAndShapeAreProvenAsTheIntegerInferenceRunsThem) {
  test::seeded_rng rng;
  struct shape {
    std::int64_t features, classes, rows, trees;
    int depth;
    const char* post;
  };
  const shape shapes[] = {{6, 3, 1, 12, 4, "SOFTMAX"}, {9, 5, 3, 7, 6, "NONE"}, {4, 4, 2, 20, 3, "SOFTMAX"}};
  for (std::size_t i = 0; i < std::size(shapes); ++i) {
    const shape& s = shapes[i];
    SCOPED_TRACE("ensemble " + std::to_string(i));
    const model m = random_ensemble(rng.engine(), s.features, s.classes, s.rows, s.trees, s.depth, s.post);
    const std::string name = "tree walk " + std::to_string(i) + " " + std::to_string(rng.next());
    std::vector<tensor_map> inputs;
    for (int j = 0; j < 3; ++j) inputs.push_back(random_input(rng.engine(), s.rows, s.features));
    prove_model_options options;
    options.calibration = inputs;
    for (const tensor_map& in : inputs) {
      auto p = prove_model(bytes_of(name), m, in, options);
      ASSERT_TRUE(p) << p.error().message;
      auto v = verify_model(p.value().bytes, bytes_of(name), &m, &in);
      ASSERT_TRUE(v) << v.error().message;
      EXPECT_TRUE(v.value().parity_checked);
      // The proven label and scores are the integer inference's.
      calibration cal;
      cal.fracs = p.value().file.statement.fracs;
      quantization_config config;
      config.inputs_are_constants = false;
      auto run = run_integer(m, in, cal, config);
      ASSERT_TRUE(run) << run.error().message;
      for (const auto& o : p.value().file.statement.outputs) EXPECT_EQ(o.q, run.value().at(o.name).t.ints) << o.name;
      // Another label or score is rejected.
      for (std::size_t o = 0; o < 2; ++o) {
        model_proof_file f = p.value().file;
        f.statement.outputs[o].q.back() += 1;
        EXPECT_FALSE(verify_model(encode(f))) << f.statement.outputs[o].name;
      }
    }
  }
}

/// An ensemble's circuit and an honest witness of one input, to tamper with.
struct walk_fixture {
  std::shared_ptr<const program> shared;
  std::unique_ptr<model_circuit<E>> circuit;
  std::shared_ptr<const stark::proving_key<E>> pk;
  std::vector<air::witness> witnesses;
  std::vector<stark::public_lookup> lookups;
  std::size_t walk = 0;  // the walk table's index
};

walk_fixture make_fixture(std::mt19937_64& rng) {
  walk_fixture f;
  const model m = random_ensemble(rng, 5, 3, 1, 6, 4, "NONE");
  const tensor_map in = random_input(rng, 1, 5);
  auto cal = calibrate(m, {in});
  EXPECT_TRUE(cal) << cal.error().message;
  quantization_config config;
  config.inputs_are_constants = false;
  calibration fixed_cal;
  fixed_cal.fracs = tensor_fracs(cal.value(), config);
  int_value_map all;
  auto run = run_integer(m, in, fixed_cal, config, &all);
  EXPECT_TRUE(run) << run.error().message;
  auto p = lower(m, all, config);
  EXPECT_TRUE(p) << p.error().message;
  f.shared = std::make_shared<const program>(p.value());
  f.circuit = std::make_unique<model_circuit<E>>(f.shared);
  auto backend = kernels::make_cpu_backend();
  auto pk = stark::setup<E>(f.circuit->tables(), stark::fast_profile(), *backend, backend->merkle());
  EXPECT_TRUE(pk) << pk.error().message;
  f.pk = pk.value();
  const std::vector<std::vector<std::int64_t>> inputs{all.at("x").t.ints};
  auto values = evaluate(*f.shared, inputs);
  EXPECT_TRUE(values) << values.error().message;
  std::vector<std::vector<std::int64_t>> outputs;
  for (const auto& t : f.shared->outputs) {
    outputs.emplace_back();
    for (address a : t.addresses) outputs.back().push_back(values.value()[a]);
  }
  f.witnesses = f.circuit->witnesses(values.value(), std::vector<babybear>(statement_digest_size, babybear::zero()));
  f.lookups = io_lookups(inputs, outputs);
  for (std::size_t t = 0; t < f.circuit->tables().size(); ++t)
    if (f.circuit->tables()[t].kind->name() == "zkml-tree-walk-3") f.walk = t;
  return f;
}

/// Proves the fixture's witnesses with or without the prover's check: the proof's verdict, or the
/// prover's refusal.
struct outcome {
  bool proved = false, verified = false;
  std::string message;
};
outcome prove_and_verify(const walk_fixture& f, bool check) {
  auto backend = kernels::make_cpu_backend();
  stark::prove_options po;
  po.check_constraints = check;
  po.public_lookups = f.lookups;
  auto proof = stark::prove<E>(*f.pk, f.witnesses, *backend, backend->merkle(), nullptr, po);
  if (!proof) return {false, false, proof.error().message};
  auto v = stark::verify<E>(f.pk->vk, proof.value(), {}, f.lookups);
  return {true, v.has_value(), v ? "" : v.error().message};
}

TEST(TreeWalk, AWrongBranchOrAJumpIsRefusedAndItsProofRejected) {
  test::seeded_rng rng;
  walk_fixture f = make_fixture(rng.engine());
  ASSERT_EQ(f.circuit->tables()[f.walk].kind->name(), "zkml-tree-walk-3");
  const outcome honest = prove_and_verify(f, true);
  ASSERT_TRUE(honest.proved && honest.verified) << honest.message;

  const tree_walk_air walk(3);
  const air::witness original = f.witnesses[f.walk];
  // The first row of the first walk sits at the root, a branch (depth >= 1: the generator's roots
  // are branches).
  const auto& nodes = f.shared->tree_nodes;
  const std::uint32_t root = f.shared->tree_roots.at(0);
  ASSERT_FALSE(nodes[root].leaf);
  std::size_t features = 0, node_table = 0;
  for (std::size_t t = 0; t < f.circuit->tables().size(); ++t) {
    const std::string_view n = f.circuit->tables()[t].kind->name();
    if (n == "zkml-tree-features") features = t;
    if (n.starts_with("zkml-tree-nodes-")) node_table = t;
  }
  const auto signed_value = [](babybear v) {
    const auto c = static_cast<std::int64_t>(v.to_canonical());
    return c > static_cast<std::int64_t>(babybear::modulus / 2) ? c - static_cast<std::int64_t>(babybear::modulus) : c;
  };
  const auto count = [&](std::size_t table, std::size_t row, std::size_t col, int delta) {
    babybear& m = f.witnesses[table].trace.at(row, col);
    m = delta > 0 ? m + babybear::one() : m - babybear::one();
  };
  {
    // The other branch at the root, with the d that branch would need, and the rest of the walk
    // taken honestly from the other child to its leaf, every count and sum carried along: only
    // the root's comparison is false, and its d is outside [0, 2^16).
    air::witness& w = f.witnesses[f.walk];
    const std::size_t lanes = f.witnesses[node_table].trace.width();
    const tree_node_entry& e = nodes[root];
    const bool b = w.trace.at(0, walk.col_b()) == babybear::one();
    const babybear x0 = w.trace.at(0, walk.col_x()), t0 = to_field(e.threshold);
    w.trace.at(0, walk.col_b()) = b ? babybear::zero() : babybear::one();
    w.trace.at(0, walk.col_d()) = b ? x0 - t0 - babybear::one() : t0 - x0;
    EXPECT_GE(w.trace.at(0, walk.col_d()).to_canonical(), 1u << 16);
    std::uint32_t node = b ? e.if_false : e.if_true;
    w.trace.at(0, walk.col_child()) = babybear::from_u64(node);
    for (std::uint32_t j = 1; j <= f.shared->tree_depths.at(0); ++j) {
      const auto old = static_cast<std::uint32_t>(w.trace.at(j, 0).to_canonical());
      count(node_table, old / lanes, old % lanes, -1);
      count(features, nodes[old].feature, 1, -1);
      const tree_node_entry& n = nodes[node];
      count(node_table, node / lanes, node % lanes, +1);
      count(features, n.feature, 1, +1);
      const std::int64_t x = signed_value(f.witnesses[features].trace.at(n.feature, 0));
      const bool bit = x <= n.threshold;
      w.trace.at(j, 0) = babybear::from_u64(node);
      w.trace.at(j, 1) = babybear::from_u64(n.feature);
      w.trace.at(j, 2) = to_field(n.threshold);
      w.trace.at(j, 3) = babybear::from_u64(n.if_true);
      w.trace.at(j, 4) = babybear::from_u64(n.if_false);
      w.trace.at(j, 5) = n.leaf ? babybear::one() : babybear::zero();
      for (std::size_t k = 0; k < 3; ++k) w.trace.at(j, walk.col_weight(k)) = to_field(n.weights[k]);
      w.trace.at(j, walk.col_x()) = to_field(x);
      w.trace.at(j, walk.col_b()) = bit ? babybear::one() : babybear::zero();
      w.trace.at(j, walk.col_d()) = to_field(bit ? n.threshold - x : x - n.threshold - 1);
      node = bit ? n.if_true : n.if_false;
      w.trace.at(j, walk.col_child()) = babybear::from_u64(node);
    }
    // The step's sums again: every walk's leaf added on its last row.
    std::size_t r = 0;
    std::vector<babybear> acc(3, babybear::zero());
    for (std::size_t t = 0; t < f.shared->tree_roots.size(); ++t) {
      for (std::uint32_t j = 0; j <= f.shared->tree_depths[t]; ++j, ++r) {
        for (std::size_t k = 0; k < 3; ++k) {
          if (j == f.shared->tree_depths[t]) acc[k] += w.trace.at(r, walk.col_weight(k));
          w.trace.at(r, walk.col_acc(k)) = acc[k];
        }
      }
    }
    const outcome o = prove_and_verify(f, true);
    EXPECT_FALSE(o.proved);
    EXPECT_NE(o.message.find("is unbalanced"), std::string::npos) << o.message;  // every constraint holds
    EXPECT_FALSE(prove_and_verify(f, false).verified);
  }
  f.witnesses[f.walk] = original;
  {
    // A jump: the second row at another node than the first row's child.
    air::witness& w = f.witnesses[f.walk];
    const std::uint32_t child = static_cast<std::uint32_t>(w.trace.at(0, walk.col_child()).to_canonical());
    const std::uint32_t other = child == nodes[root].if_true ? nodes[root].if_false : nodes[root].if_true;
    w.trace.at(1, 0) = babybear::from_u64(other);
    const outcome o = prove_and_verify(f, true);
    EXPECT_FALSE(o.proved);
    EXPECT_NE(o.message.find("'zkml-tree-walk-3') violates its AIR: constraint 5 (transition) fails on row 0"),
              std::string::npos)
        << o.message;
    EXPECT_FALSE(prove_and_verify(f, false).verified);
  }
}

TEST(TreeWalk, TableNamesAreReadBackOnlyInTheirOneSpelling) {
  for (const char* name : {"zkml-tree-walk-3", "zkml-tree-walk-64", "zkml-tree-nodes-3-x1", "zkml-tree-nodes-10-x4",
                           "zkml-tree-features", "range16-table", "range16-table-x2", "range16-table-x64",
                           "zkml-functions-2", "zkml-functions-2-x16", "zkml-functions-64-x64"}) {
    const auto t = model_table_by_name<E>(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->name(), name);
  }
  for (const char* name : {"zkml-tree-walk-0", "zkml-tree-walk-65", "zkml-tree-walk-03", "zkml-tree-walk-3-x2",
                           "zkml-tree-nodes-3", "zkml-tree-nodes-3-x3", "zkml-tree-nodes-3-x128", "zkml-tree-nodes-3-x",
                           "zkml-tree-nodes-0-x1", "range16-table-x1", "range16-table-x3", "range16-table-x128",
                           "range16-table-", "range16-tablex2", "zkml-functions-2-x1", "zkml-functions-2-x", "zkml-functions-2-",
                           "zkml-functions-2-x06", "zkml-functions-0-x2"}) {
    EXPECT_EQ(model_table_by_name<E>(name), nullptr) << name;
  }
}

TEST(TreeWalk, LookupTablesAreNoTallerThanTheOtherTables) {
  EXPECT_EQ(lookup_table_lanes(16), 1u);
  EXPECT_EQ(lookup_table_lanes(20), 1u);
  EXPECT_EQ(lookup_table_lanes(15), 2u);
  EXPECT_EQ(lookup_table_lanes(13), 8u);
  EXPECT_EQ(lookup_table_lanes(12), max_lookup_lanes);
  EXPECT_EQ(lookup_table_lanes(3), max_lookup_lanes);
}

}  // namespace
}  // namespace ciro::zkml
