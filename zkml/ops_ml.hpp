#pragma once

// The parsed forms of the ONNX-ML classifiers (zkml/ops_ml.cpp), shared with the integer inference
// and the lowering, which prove the cases they take with the same reading of the attributes.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "zkml/ops.hpp"

namespace ciro::zkml::ops::ml {

/// post_transform of a row of scores.
enum class transform : std::uint8_t { none, logistic, softmax, softmax_zero, probit };
/// The node's post_transform (NONE by default); refuses an unknown one.
transform read_transform(const op_context& c);

/// 1 / (1 + e^-v), computed without overflow for any v (LOGISTIC).
double logistic(double v);

/// The INT64 class labels of a classifier (attribute `ints_name`); string labels are refused.
std::vector<std::int64_t> class_labels(const op_context& c, const char* ints_name);

/// The float list `name`, or its tensor variant `name`_as_tensor (opset 3), not both.
std::vector<double> floats_or_tensor(const op_context& c, const std::string& name);

/// A linear model's coefficients (K x F, row-major) and intercepts (K or none).
struct linear_model {
  std::int64_t k = 0;
  std::vector<double> w, b;
};
/// Reads coefficients and intercepts for K = `k` outputs and `f` features; k < 0 takes K from the
/// intercepts (or from |coefficients| / F without them). Refuses inconsistent sizes.
linear_model read_linear(const op_context& c, std::int64_t f, std::int64_t k);

enum class node_mode : std::uint8_t { leq, lt, gte, gt, eq, neq, leaf };

/// A node of a tree ensemble: a branch (mode, feature, threshold value, children) or a leaf (its
/// weights).
struct tree_node {
  std::int64_t tree = 0, id = 0;
  node_mode mode = node_mode::leaf;
  std::int64_t feature = 0;
  double value = 0;
  bool missing_true = false;
  std::size_t true_child = 0, false_child = 0;           // indexes into ensemble::nodes (branches)
  std::vector<std::pair<std::int64_t, double>> weights;  // (output, weight) (leaves)
};

/// The trees of an ensemble, checked: no duplicate ids, existing children, no cycles.
struct ensemble {
  std::vector<tree_node> nodes;
  std::vector<std::size_t> roots;  // one per tree, in the order the trees are listed
  // The raw leaf-weight lists, which ONNX Runtime's binary rules read.
  std::vector<std::int64_t> weight_ids;
  std::vector<double> weight_values;
};

/// Reads and checks the nodes and the leaf weights `prefix`_treeids/_nodeids/_ids/_weights for
/// `outputs` outputs (classes or targets).
ensemble read_ensemble(const op_context& c, const std::string& prefix, std::int64_t outputs);

/// Refuses a branch that reads a feature the input (f features) does not have.
void check_features(const op_context& c, const ensemble& e, std::int64_t f);

}  // namespace ciro::zkml::ops::ml
