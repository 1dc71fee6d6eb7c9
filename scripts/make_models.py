#!/usr/bin/python3
"""Writes the models of the ONNX Runtime parity test and their test inputs.

    /usr/bin/python3 scripts/make_models.py [OUT_DIR]     (default tests/zkml/models)

Needs Debian's python3-onnx and python3-numpy (scripts/setup.sh installs them). Every weight and
input comes from numpy's PCG64 generator seeded with (SEED, model index[, 1 for the inputs]), so a
rerun writes the same bytes. For each model NAME it writes NAME.onnx and NAME.inputs.json:

    {"inputs": [{"<input name>": {"shape": [...], "data": [...]}}, ...]}

with 8 input sets, each value a float32 written as the shortest decimal that reads back as the same
float32. tests/zkml/models/README.md describes the models.
"""

import json
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SEED = 20261205
NUM_INPUTS = 8
OPSET = 13  # default domain; the MobileNet block imports 14, the first opset with HardSwish
ML_OPSET = 3  # ai.onnx.ml (TreeEnsembleClassifier v3, LinearClassifier v1)
IR_VERSION = 8


def rng_for(index, inputs=False):
    return np.random.default_rng([SEED, index, 1] if inputs else [SEED, index])


class Graph:
    """Collects nodes and initializers; names intermediate tensors t0, t1, ..."""

    def __init__(self, rng):
        self.rng = rng
        self.nodes = []
        self.inits = []
        self.count = 0

    def const(self, name, array, dtype=np.float32):
        self.inits.append(numpy_helper.from_array(np.asarray(array, dtype=dtype), name))
        return name

    def normal(self, name, shape, std):
        return self.const(name, self.rng.standard_normal(shape) * std)

    def op(self, op_type, inputs, out=None, **attrs):
        if out is None:
            out = "t%d" % self.count
            self.count += 1
        name = "%s_%d" % (op_type.lower(), len(self.nodes))
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=name, **attrs))
        return out

    # Layers. He initialisation (std sqrt(2 / fan_in)) before a ReLU-like activation, Glorot
    # (std sqrt(2 / (fan_in + fan_out))) elsewhere; each output unit's weights are then centred to
    # mean 0, as trained filters roughly are, so that a random network's class does not follow the
    # mean of its input alone (which, after ReLUs, makes one class win on every input).
    def centred(self, shape, std, axis):
        w = self.rng.standard_normal(shape) * std
        return w - w.mean(axis=axis, keepdims=True)

    def dense(self, x, name, n_in, n_out, he=True, out=None):
        """Gemm with a [n_out, n_in] weight (transB = 1, as PyTorch exports Linear)."""
        std = math.sqrt(2.0 / n_in) if he else math.sqrt(2.0 / (n_in + n_out))
        w = self.const(name + ".weight", self.centred([n_out, n_in], std, 1))
        b = self.normal(name + ".bias", [n_out], 0.02)
        return self.op("Gemm", [x, w, b], out, transB=1)

    def conv(self, x, name, c_in, c_out, k, group=1, bias=True, **attrs):
        fan_in = c_in // group * k * k
        w = self.const(name + ".weight", self.centred([c_out, c_in // group, k, k], math.sqrt(2.0 / fan_in), (1, 2, 3)))
        inputs = [x, w] + ([self.normal(name + ".bias", [c_out], 0.02)] if bias else [])
        return self.op("Conv", inputs, kernel_shape=[k, k], group=group, **attrs)

    def batchnorm(self, x, name, c):
        """BatchNormalization (inference) with non-trivial statistics."""
        scale = self.const(name + ".scale", 1.0 + 0.1 * self.rng.standard_normal(c))
        bias = self.normal(name + ".bias", [c], 0.1)
        mean = self.normal(name + ".mean", [c], 0.2)
        var = self.const(name + ".var", self.rng.uniform(0.5, 2.0, c))
        return self.op("BatchNormalization", [x, scale, bias, mean, var], epsilon=1e-5)

    def matmul_bias(self, x, name, n_in, n_out, he=False):
        std = math.sqrt(2.0 / n_in) if he else math.sqrt(2.0 / (n_in + n_out))
        w = self.const(name + ".weight", self.centred([n_in, n_out], std, 0))
        b = self.normal(name + ".bias", [n_out], 0.02)
        return self.op("Add", [self.op("MatMul", [x, w]), b])

    def layernorm(self, x, name, d, eps_name, out=None):
        """LayerNorm over the last axis, written out: (x - mean) / sqrt(var + eps) * gamma + beta."""
        mean = self.op("ReduceMean", [x], axes=[-1], keepdims=1)
        diff = self.op("Sub", [x, mean])
        var = self.op("ReduceMean", [self.op("Pow", [diff, "two"])], axes=[-1], keepdims=1)
        norm = self.op("Div", [diff, self.op("Sqrt", [self.op("Add", [var, eps_name])])])
        gamma = self.const(name + ".gamma", 1.0 + 0.1 * self.rng.standard_normal(d))
        beta = self.normal(name + ".beta", [d], 0.05)
        return self.op("Add", [self.op("Mul", [norm, gamma]), beta], out)

    def model(self, name, doc, inputs, outputs, opsets):
        graph = helper.make_graph(self.nodes, name, inputs, outputs, initializer=self.inits)
        m = helper.make_model(graph, producer_name="ciro scripts/make_models.py", doc_string=doc,
                              opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])
        m.ir_version = IR_VERSION
        onnx.checker.check_model(m)
        return m


def value(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def digit_like(rng):
    """A 28 x 28 MNIST-like image: 1 to 3 thick pen strokes (polylines), values k / 255 in [0, 1]."""
    ys, xs = np.mgrid[0:28, 0:28].astype(np.float64)
    img = np.zeros((28, 28))
    for _ in range(rng.integers(1, 4)):
        pts = rng.uniform(5.0, 23.0, size=(rng.integers(2, 5), 2))
        width = rng.uniform(1.0, 2.0)
        for (y0, x0), (y1, x1) in zip(pts[:-1], pts[1:]):
            dy, dx = y1 - y0, x1 - x0
            t = np.clip(((ys - y0) * dy + (xs - x0) * dx) / max(dy * dy + dx * dx, 1e-9), 0.0, 1.0)
            dist = np.sqrt((ys - y0 - t * dy) ** 2 + (xs - x0 - t * dx) ** 2)
            img = np.maximum(img, np.clip(1.5 - dist / width, 0.0, 1.0))
    return np.round(img * 255.0) / 255.0


def images(rng, shape):
    """Photo-like inputs in [0, 1] (k / 255): a smooth random gradient plus noise per channel."""
    c, h, w = shape
    ys, xs = np.mgrid[0:h, 0:w] / max(h, w)
    out = np.empty(shape)
    for ch in range(c):
        a, b, base = rng.uniform(-0.6, 0.6), rng.uniform(-0.6, 0.6), rng.uniform(0.2, 0.8)
        out[ch] = np.clip(base + a * ys + b * xs + 0.15 * rng.standard_normal((h, w)), 0.0, 1.0)
    return np.round(out * 255.0) / 255.0


# The models. Each returns (model, {input name: function(rng) -> one input array}).


def mlp(rng):
    g = Graph(rng)
    h = g.op("Relu", [g.dense("input", "fc1", 784, 128)])
    h = g.op("Relu", [g.dense(h, "fc2", 128, 64)])
    g.dense(h, "fc3", 64, 10, he=False, out="logits")
    m = g.model("mlp", "MNIST-class MLP 784-128-64-10 (Gemm, Relu)",
                [value("input", [1, 784])], [value("logits", [1, 10])], [("", OPSET)])
    return m, {"input": lambda r: digit_like(r).reshape(1, 784)}


def lenet(rng):
    g = Graph(rng)
    h = g.op("Relu", [g.conv("input", "conv1", 1, 6, 5, pads=[2, 2, 2, 2])])
    h = g.op("MaxPool", [h], kernel_shape=[2, 2], strides=[2, 2])
    h = g.op("Relu", [g.conv(h, "conv2", 6, 16, 5)])
    h = g.op("AveragePool", [h], kernel_shape=[2, 2], strides=[2, 2])
    h = g.op("Flatten", [h], axis=1)
    h = g.op("Relu", [g.dense(h, "fc1", 400, 120)])
    h = g.op("Relu", [g.dense(h, "fc2", 120, 84)])
    g.dense(h, "fc3", 84, 10, he=False, out="logits")
    m = g.model("lenet", "LeNet-5-class CNN: Conv 6@5x5, MaxPool, Conv 16@5x5, AveragePool, Gemm 400-120-84-10",
                [value("input", [1, 1, 28, 28])], [value("logits", [1, 10])], [("", OPSET)])
    return m, {"input": lambda r: digit_like(r).reshape(1, 1, 28, 28)}


def mobilenet_block(rng):
    g = Graph(rng)
    # Stem: 3x3 stride-2 convolution 3 -> 16 channels, 24x24 -> 12x12.
    stem = g.op("HardSwish", [g.batchnorm(g.conv("input", "stem", 3, 16, 3, bias=False, strides=[2, 2],
                                                  pads=[1, 1, 1, 1]), "stem_bn", 16)])
    # Inverted residual: expand 1x1 16 -> 48, depthwise 3x3, project 1x1 48 -> 16, residual add.
    h = g.op("HardSwish", [g.batchnorm(g.conv(stem, "expand", 16, 48, 1, bias=False), "expand_bn", 48)])
    h = g.op("HardSwish", [g.batchnorm(g.conv(h, "depthwise", 48, 48, 3, group=48, bias=False, pads=[1, 1, 1, 1]),
                                       "depthwise_bn", 48)])
    h = g.batchnorm(g.conv(h, "project", 48, 16, 1, bias=False), "project_bn", 16)
    h = g.op("Flatten", [g.op("GlobalAveragePool", [g.op("Add", [stem, h])])], axis=1)
    g.dense(h, "classifier", 16, 10, he=False, out="logits")
    m = g.model("mobilenet_block",
                "MobileNet-style block: Conv stem, inverted residual (1x1 expand, 3x3 depthwise, 1x1 project) "
                "with BatchNormalization and HardSwish, GlobalAveragePool, Gemm",
                [value("input", [1, 3, 24, 24])], [value("logits", [1, 10])], [("", 14)])
    return m, {"input": lambda r: images(r, (3, 24, 24)).reshape(1, 3, 24, 24)}


def transformer_block(rng):
    seq, d, heads, ffn, classes = 8, 16, 2, 32, 4
    dh = d // heads
    g = Graph(rng)
    g.const("two", 2.0)
    g.const("eps", 1e-5)
    g.const("scale", 1.0 / math.sqrt(dh))
    g.const("split_shape", [1, seq, heads, dh], np.int64)
    g.const("merge_shape", [1, seq, d], np.int64)
    g.const("first", 0, np.int64)

    def heads_of(name, perm):
        t = g.op("Reshape", [g.matmul_bias("input", name, d, d), "split_shape"])
        return g.op("Transpose", [t], perm=perm)

    q = heads_of("q", [0, 2, 1, 3])  # [1, heads, seq, dh]
    k_t = heads_of("k", [0, 2, 3, 1])  # [1, heads, dh, seq]
    v = heads_of("v", [0, 2, 1, 3])
    attn = g.op("Softmax", [g.op("Mul", [g.op("MatMul", [q, k_t]), "scale"])], axis=-1)
    ctx = g.op("Transpose", [g.op("MatMul", [attn, v])], perm=[0, 2, 1, 3])
    ctx = g.op("Reshape", [ctx, "merge_shape"])
    h = g.layernorm(g.op("Add", ["input", g.matmul_bias(ctx, "out", d, d)]), "ln1", d, "eps")
    f = g.matmul_bias(g.op("Relu", [g.matmul_bias(h, "ffn1", d, ffn, he=True)]), "ffn2", ffn, d)
    hidden = g.layernorm(g.op("Add", [h, f]), "ln2", d, "eps", out="hidden")
    pooled = g.op("Gather", [hidden, "first"], axis=1)  # the first position's vector, as BERT's [CLS]
    g.dense(pooled, "classifier", d, classes, he=False, out="logits")
    m = g.model("transformer_block",
                "Transformer-style encoder block: 2-head self-attention (MatMul, Softmax), residuals, LayerNorm "
                "written as ReduceMean/Sub/Pow/Sqrt/Div, ReLU feed-forward, first-position pooling (Gather), Gemm",
                [value("input", [1, seq, d])], [value("hidden", [1, seq, d]), value("logits", [1, classes])],
                [("", OPSET)])
    return m, {"input": lambda r: r.standard_normal((1, seq, d))}


def tree_ensemble(rng):
    """100 full binary trees of depth 6 (63 BRANCH_LEQ nodes, 64 leaves each) over 10 features, as a
    gradient-boosted 3-class model exports them: tree t adds its leaf value to class t mod 3."""
    features, classes, depth, n_trees = 10, 3, 6, 100
    internal, total = 2**depth - 1, 2 ** (depth + 1) - 1
    a = {k: [] for k in ["nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_modes",
                         "nodes_truenodeids", "nodes_falsenodeids", "class_treeids", "class_nodeids", "class_ids",
                         "class_weights"]}
    for t in range(n_trees):
        feature = rng.integers(0, features, internal)
        threshold = rng.standard_normal(internal).astype(np.float32) * np.float32(0.8)
        leaf = (rng.standard_normal(total - internal) * 0.1).astype(np.float32)
        for n in range(total):
            a["nodes_treeids"].append(t)
            a["nodes_nodeids"].append(n)
            branch = n < internal
            a["nodes_featureids"].append(int(feature[n]) if branch else 0)
            a["nodes_values"].append(float(threshold[n]) if branch else 0.0)
            a["nodes_modes"].append("BRANCH_LEQ" if branch else "LEAF")
            a["nodes_truenodeids"].append(2 * n + 1 if branch else 0)
            a["nodes_falsenodeids"].append(2 * n + 2 if branch else 0)
            if not branch:
                a["class_treeids"].append(t)
                a["class_nodeids"].append(n)
                a["class_ids"].append(t % classes)
                a["class_weights"].append(float(leaf[n - internal]))
    base = [float(v) for v in (rng.standard_normal(classes) * 0.1).astype(np.float32)]
    node = helper.make_node("TreeEnsembleClassifier", ["input"], ["label", "probabilities"], name="trees",
                            domain="ai.onnx.ml", classlabels_int64s=list(range(classes)), base_values=base,
                            post_transform="SOFTMAX", **a)
    graph = helper.make_graph([node], "tree_ensemble", [value("input", [1, features])],
                              [value("label", [1], TensorProto.INT64), value("probabilities", [1, classes])])
    m = helper.make_model(graph, producer_name="ciro scripts/make_models.py",
                          doc_string="Tree ensemble: 100 trees of depth 6, 10 features, 3 classes, SOFTMAX",
                          opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("ai.onnx.ml", ML_OPSET)])
    m.ir_version = IR_VERSION
    onnx.checker.check_model(m)
    return m, {"input": lambda r: r.standard_normal((1, features))}


def linear_classifier(rng):
    features, classes = 20, 4
    coef = (rng.standard_normal(classes * features) * math.sqrt(2.0 / (features + classes))).astype(np.float32)
    intercepts = (rng.standard_normal(classes) * 0.1).astype(np.float32)
    node = helper.make_node("LinearClassifier", ["input"], ["label", "probabilities"], name="linear",
                            domain="ai.onnx.ml", coefficients=[float(v) for v in coef],
                            intercepts=[float(v) for v in intercepts], classlabels_ints=list(range(classes)),
                            multi_class=0, post_transform="SOFTMAX")
    graph = helper.make_graph([node], "linear_classifier", [value("input", [1, features])],
                              [value("label", [1], TensorProto.INT64), value("probabilities", [1, classes])])
    m = helper.make_model(graph, producer_name="ciro scripts/make_models.py",
                          doc_string="Linear classifier: 20 features, 4 classes, SOFTMAX",
                          opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("ai.onnx.ml", ML_OPSET)])
    m.ir_version = IR_VERSION
    onnx.checker.check_model(m)
    return m, {"input": lambda r: r.standard_normal((1, features))}


MODELS = [mlp, lenet, mobilenet_block, transformer_block, tree_ensemble, linear_classifier]


def float32_text(v):
    s = str(np.float32(v))  # numpy's shortest round-trip form of the float32
    if not math.isfinite(float(s)):
        raise ValueError("non-finite input value")
    return s


def inputs_json(sets):
    lines = []
    for one in sets:
        parts = []
        for name, arr in one.items():
            arr = np.asarray(arr, dtype=np.float32)
            parts.append("%s: {\"shape\": %s, \"data\": [%s]}" % (json.dumps(name), json.dumps(list(arr.shape)),
                                                                  ", ".join(float32_text(v) for v in arr.ravel())))
        lines.append("  {" + ", ".join(parts) + "}")
    return "{\"inputs\": [\n" + ",\n".join(lines) + "\n]}\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "tests", "zkml", "models")
    os.makedirs(out, exist_ok=True)
    for index, make in enumerate(MODELS):
        model, gens = make(rng_for(index))
        rng = rng_for(index, inputs=True)
        sets = [{name: gen(rng) for name, gen in gens.items()} for _ in range(NUM_INPUTS)]
        with open(os.path.join(out, make.__name__ + ".onnx"), "wb") as f:
            f.write(model.SerializeToString())
        with open(os.path.join(out, make.__name__ + ".inputs.json"), "w") as f:
            f.write(inputs_json(sets))


if __name__ == "__main__":
    main()
