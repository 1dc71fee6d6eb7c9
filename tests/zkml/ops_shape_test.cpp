// The float reference's shape operators (zkml/ops_shape.cpp: Pad, Squeeze, Unsqueeze, Concat,
// Slice, Gather, Dropout, Cast, Shape) against direct implementations on seeded random inputs.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "tests/support/seed.hpp"
#include "tests/zkml/onnx_builder.hpp"
#include "tests/zkml/reference_helpers.hpp"

namespace {

using namespace ciro::zkml;
using namespace ciro::zkml::test::helpers;
using ciro::zkml::test::model_builder;
using ciro::zkml::test::random_tensor;
using ciro::zkml::test::set_float;
using ciro::zkml::test::set_int;
using ciro::zkml::test::set_ints;
using ciro::zkml::test::set_string;

std::int64_t random_in(ciro::test::seeded_rng& rng, std::int64_t lo, std::int64_t hi) {
  return lo + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(hi - lo + 1)));
}

TEST(ReferenceShape, PadMatchesCropThenPadByMode) {
  ciro::test::seeded_rng rng;
  for (const char* mode : {"constant", "reflect", "edge"}) {
    for (std::int64_t opset : {9, 11, 13}) {
      for (int trial = 0; trial < 12; ++trial) {
        const std::size_t r = 1 + rng.below(3);
        const shape_t s = random_shape(rng, r, 5);
        const tensor x = random_tensor(rng.engine(), s);
        std::vector<std::int64_t> pads(2 * r);
        shape_t cropped = s, out(r);
        for (std::size_t d = 0; d < r; ++d) {
          // Negative (cropping) pads from opset 11, and never cropping a dimension away.
          const std::int64_t most = opset >= 11 ? (s[d] - 1) / 2 : 0;
          pads[d] = random_in(rng, -most, 3);
          pads[d + r] = random_in(rng, -most, 3);
          cropped[d] = s[d] - std::max<std::int64_t>(0, -pads[d]) - std::max<std::int64_t>(0, -pads[d + r]);
          out[d] = s[d] + pads[d] + pads[d + r];
        }
        const float value = static_cast<float>(random_in(rng, -3, 3)) / 2;
        model_builder m(opset);
        m.input("x", s).output("y");
        onnx::NodeProto* n = nullptr;
        if (opset < 11) {
          n = &m.node("Pad", {"x"}, {"y"});
          set_ints(*n, "pads", pads);
          set_float(*n, "value", value);
        } else {
          m.initializer("pads", list(pads)).initializer("v", tensor::floats({}, {value}));
          n = &m.node("Pad", {"x", "pads", "v"}, {"y"});
        }
        if (std::string(mode) != "constant" || rng.below(2)) set_string(*n, "mode", mode);
        // Direct: for each output index, each coordinate shifted into the cropped input, then
        // reflected / clamped step by step, or the constant where it falls outside.
        std::vector<double> want(static_cast<std::size_t>(num_elements(out)));
        for (std::size_t o = 0; o < want.size(); ++o) {
          const shape_t idx = unravel(static_cast<std::int64_t>(o), out);
          shape_t at(r);
          bool outside = false;
          for (std::size_t d = 0; d < r; ++d) {
            std::int64_t i = idx[d] - std::max<std::int64_t>(0, pads[d]);  // index into the cropped input
            const std::int64_t len = cropped[d];
            if (i < 0 || i >= len) {
              outside = true;
              if (mode[0] == 'e') i = i < 0 ? 0 : len - 1;
              while (mode[0] == 'r' && len > 1 && (i < 0 || i >= len)) i = i < 0 ? -i : 2 * (len - 1) - i;
              if (mode[0] == 'r' && len == 1) i = 0;
            }
            at[d] = i + std::max<std::int64_t>(0, -pads[d]);
          }
          want[o] = outside && mode[0] == 'c' ? value : x.data[static_cast<std::size_t>(ravel(at, s))];
        }
        SCOPED_TRACE(std::string(mode) + " opset " + std::to_string(opset) + " " + shape_string(s));
        expect_close(run(m, {{"x", x}}).at("y"), out, want);
      }
    }
  }
  model_builder wrap(13);
  wrap.input("x", {2}).output("y").initializer("pads", list({1, 1}));
  set_string(wrap.node("Pad", {"x", "pads"}, {"y"}), "mode", "wrap");
  EXPECT_EQ(run_error(wrap, {{"x", tensor::zeros({2}, element_type::float32)}}),
            "node 'y' (Pad, opset 13): mode 'wrap' is not supported");
}

TEST(ReferenceShape, PadTakesAnIntegerConstantValue) {
  model_builder m(11);
  m.input("x", {2}, element_type::int32).output("y", element_type::int32);
  m.initializer("pads", list({1, 2})).initializer("v", ints({}, {-7}, element_type::int32));
  m.node("Pad", {"x", "pads", "v"}, {"y"});
  EXPECT_EQ(run(m, {{"x", ints({2}, {4, 5}, element_type::int32)}}).at("y").ints,
            (std::vector<std::int64_t>{-7, 4, 5, -7, -7}));
}

TEST(ReferenceShape, SqueezeAndUnsqueezeMoveAxesNotValues) {
  ciro::test::seeded_rng rng;
  for (std::int64_t opset : {9, 11, 13}) {
    for (int trial = 0; trial < 15; ++trial) {
      const std::size_t r = rng.below(4);
      shape_t s = random_shape(rng, r);
      const std::size_t k = 1 + rng.below(3);
      // Unsqueeze: k axes of the output, possibly negative (from 11), in any order.
      std::vector<std::size_t> positions(r + k);
      for (std::size_t i = 0; i < positions.size(); ++i) positions[i] = i;
      std::shuffle(positions.begin(), positions.end(), rng.engine());
      positions.resize(k);
      std::vector<std::int64_t> axes;
      std::vector<bool> inserted(r + k, false);
      for (auto p : positions) {
        inserted[p] = true;
        const auto a = static_cast<std::int64_t>(p);
        axes.push_back(opset >= 11 && rng.below(2) ? a - static_cast<std::int64_t>(r + k) : a);
      }
      shape_t expanded;
      for (std::size_t d = 0, next = 0; d < r + k; ++d) expanded.push_back(inserted[d] ? 1 : s[next++]);
      const tensor x = random_tensor(rng.engine(), s);
      model_builder u(opset);
      u.input("x", s).output("y");
      if (opset >= 13) {
        u.initializer("axes", list(axes)).node("Unsqueeze", {"x", "axes"}, {"y"});
      } else {
        set_ints(u.node("Unsqueeze", {"x"}, {"y"}), "axes", axes);
      }
      expect_close(run(u, {{"x", x}}).at("y"), expanded, x.data);
      // Squeeze them back; and with no axes, every dimension of size 1.
      model_builder q(opset);
      q.input("x", expanded).output("y");
      if (opset >= 13) {
        q.initializer("axes", list(axes)).node("Squeeze", {"x", "axes"}, {"y"});
      } else {
        set_ints(q.node("Squeeze", {"x"}, {"y"}), "axes", axes);
      }
      const tensor xe = tensor::floats(expanded, x.data);
      expect_close(run(q, {{"x", xe}}).at("y"), s, x.data);
      model_builder all(opset);
      all.input("x", expanded).output("y").node("Squeeze", {"x"}, {"y"});
      shape_t no_ones;
      for (auto d : expanded) {
        if (d != 1) no_ones.push_back(d);
      }
      expect_close(run(all, {{"x", xe}}).at("y"), no_ones, x.data);
    }
  }
  model_builder bad(13);
  bad.input("x", {2, 3}).output("y").initializer("axes", list({1})).node("Squeeze", {"x", "axes"}, {"y"});
  EXPECT_EQ(run_error(bad, {{"x", tensor::zeros({2, 3}, element_type::float32)}}),
            "node 'y' (Squeeze, opset 13): cannot squeeze dimension 1 of shape [2, 3]");
}

TEST(ReferenceShape, ConcatJoinsAlongTheAxis) {
  ciro::test::seeded_rng rng;
  for (int trial = 0; trial < 30; ++trial) {
    const std::size_t r = 1 + rng.below(4);
    const shape_t base = random_shape(rng, r);
    const auto axis = static_cast<std::int64_t>(rng.below(2 * r)) - static_cast<std::int64_t>(r);
    const auto a = static_cast<std::size_t>(axis < 0 ? axis + static_cast<std::int64_t>(r) : axis);
    const std::size_t count = 1 + rng.below(3);
    model_builder m(11);
    tensor_map in;
    std::vector<std::string> names;
    std::vector<std::int64_t> offsets;  // where each input starts along the axis
    shape_t out = base;
    out[a] = 0;
    for (std::size_t i = 0; i < count; ++i) {
      shape_t s = base;
      s[a] = static_cast<std::int64_t>(rng.below(4));            // 0 too
      names.emplace_back(i == 0 ? "x0" : i == 1 ? "x1" : "x2");  // at most 3 inputs
      in[names.back()] = random_tensor(rng.engine(), s);
      m.input(names.back(), s);
      offsets.push_back(out[a]);
      out[a] += s[a];
    }
    m.output("y");
    set_int(m.node("Concat", names, {"y"}), "axis", axis);
    std::vector<double> want(static_cast<std::size_t>(num_elements(out)));
    for (std::size_t o = 0; o < want.size(); ++o) {
      shape_t idx = unravel(static_cast<std::int64_t>(o), out);
      std::size_t i = count;
      while (offsets[--i] > idx[a]) {
      }
      idx[a] -= offsets[i];
      const tensor& t = in.at(names[i]);
      want[o] = t.data[static_cast<std::size_t>(ravel(idx, t.shape))];
    }
    expect_close(run(m, in).at("y"), out, want);
  }
}

/// The indices Slice visits along one dimension, by the rule ONNX's Slice states (and ONNX Runtime
/// follows): negative starts and ends count from the end, then the start is clamped to [0, dim]
/// (step > 0) or [0, dim - 1] (step < 0), the end to [0, dim] or [-1, dim - 1]. This is Python's
/// slicing except for a start below -dim with a negative step, which Python makes empty and ONNX
/// clamps to 0.
std::vector<std::int64_t> onnx_slice(std::int64_t start, std::int64_t end, std::int64_t step, std::int64_t dim) {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::clamp<std::int64_t>(start, 0, dim);
    end = std::clamp<std::int64_t>(end, 0, dim);
  } else {
    start = std::clamp<std::int64_t>(start, 0, dim - 1);
    end = std::clamp<std::int64_t>(end, -1, dim - 1);
  }
  std::vector<std::int64_t> out;
  for (std::int64_t i = start; step > 0 ? i < end : i > end; i += step) out.push_back(i);
  return out;
}

TEST(ReferenceShape, SliceClampsStartsAndEndsAsTheSpecSays) {
  ciro::test::seeded_rng rng;
  for (std::int64_t opset : {9, 10, 13}) {
    for (int trial = 0; trial < 30; ++trial) {
      const std::size_t r = 1 + rng.below(3);
      const shape_t s = random_shape(rng, r, 6);
      const tensor x = random_tensor(rng.engine(), s);
      std::vector<std::int64_t> axes, starts, ends, steps;
      std::vector<std::vector<std::int64_t>> visit(r);
      for (std::size_t d = 0; d < r; ++d) {
        visit[d] = onnx_slice(0, s[d], 1, s[d]);
        if (rng.below(3) == 0) continue;  // not sliced
        const std::int64_t big = rng.below(4) == 0 ? INT64_MAX : 9;
        starts.push_back(random_in(rng, -9, 9));
        ends.push_back(rng.below(2) ? random_in(rng, -9, 9) : (rng.below(2) ? big : -big));
        steps.push_back(opset < 10 ? 1 : (rng.below(2) ? 1 : -1) * random_in(rng, 1, 3));
        axes.push_back(opset >= 11 && rng.below(2) ? static_cast<std::int64_t>(d) - static_cast<std::int64_t>(r)
                                                   : static_cast<std::int64_t>(d));
        visit[d] = onnx_slice(starts.back(), ends.back(), steps.back(), s[d]);
      }
      model_builder m(opset);
      m.input("x", s).output("y");
      if (opset < 10) {
        auto& n = m.node("Slice", {"x"}, {"y"});
        set_ints(n, "starts", starts);
        set_ints(n, "ends", ends);
        set_ints(n, "axes", axes);
      } else {
        m.initializer("starts", list(starts)).initializer("ends", list(ends)).initializer("axes", list(axes));
        m.initializer("steps", list(steps));
        m.node("Slice", {"x", "starts", "ends", "axes", "steps"}, {"y"});
      }
      shape_t out;
      for (const auto& v : visit) out.push_back(static_cast<std::int64_t>(v.size()));
      std::vector<double> want(static_cast<std::size_t>(num_elements(out)));
      for (std::size_t o = 0; o < want.size(); ++o) {
        shape_t idx = unravel(static_cast<std::int64_t>(o), out);
        for (std::size_t d = 0; d < r; ++d) idx[d] = visit[d][static_cast<std::size_t>(idx[d])];
        want[o] = x.data[static_cast<std::size_t>(ravel(idx, s))];
      }
      SCOPED_TRACE("opset " + std::to_string(opset) + " " + shape_string(s));
      expect_close(run(m, {{"x", x}}).at("y"), out, want);
    }
  }
  // Default axes and steps (opset 10 inputs omitted), INT32 indices.
  model_builder d(10);
  d.input("x", {5}).output("y").initializer("st", ints({1}, {-2}, element_type::int32));
  d.initializer("en", ints({1}, {100}, element_type::int32)).node("Slice", {"x", "st", "en"}, {"y"});
  expect_close(run(d, {{"x", tensor::floats({5}, {0, 1, 2, 3, 4})}}).at("y"), {2}, {3, 4});
}

TEST(ReferenceShape, GatherTakesRowsWithNegativeIndices) {
  ciro::test::seeded_rng rng;
  for (int trial = 0; trial < 30; ++trial) {
    const std::size_t r = 1 + rng.below(3);
    const shape_t s = random_shape(rng, r);
    const auto axis = static_cast<std::int64_t>(rng.below(2 * r)) - static_cast<std::int64_t>(r);
    const auto a = static_cast<std::size_t>(axis < 0 ? axis + static_cast<std::int64_t>(r) : axis);
    const shape_t is = random_shape(rng, rng.below(3));
    std::vector<std::int64_t> idx(static_cast<std::size_t>(num_elements(is)));
    for (auto& v : idx) v = random_in(rng, -s[a], s[a] - 1);
    const tensor x = random_tensor(rng.engine(), s);
    const bool i32 = rng.below(2) != 0;
    model_builder m(13);
    m.input("x", s).output("y").initializer("i", ints(is, idx, i32 ? element_type::int32 : element_type::int64));
    set_int(m.node("Gather", {"x", "i"}, {"y"}), "axis", axis);
    shape_t out(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(a));
    out.insert(out.end(), is.begin(), is.end());
    out.insert(out.end(), s.begin() + static_cast<std::ptrdiff_t>(a) + 1, s.end());
    std::vector<double> want(static_cast<std::size_t>(num_elements(out)));
    for (std::size_t o = 0; o < want.size(); ++o) {
      const shape_t oi = unravel(static_cast<std::int64_t>(o), out);
      const shape_t ii(oi.begin() + static_cast<std::ptrdiff_t>(a),
                       oi.begin() + static_cast<std::ptrdiff_t>(a + is.size()));
      std::int64_t row = idx[static_cast<std::size_t>(ravel(ii, is))];
      if (row < 0) row += s[a];
      shape_t xi(oi.begin(), oi.begin() + static_cast<std::ptrdiff_t>(a));
      xi.push_back(row);
      xi.insert(xi.end(), oi.begin() + static_cast<std::ptrdiff_t>(a + is.size()), oi.end());
      want[o] = x.data[static_cast<std::size_t>(ravel(xi, s))];
    }
    expect_close(run(m, {{"x", x}}).at("y"), out, want);
  }
  model_builder bad(13);
  bad.input("x", {3}).output("y").initializer("i", list({3})).node("Gather", {"x", "i"}, {"y"});
  EXPECT_EQ(run_error(bad, {{"x", tensor::zeros({3}, element_type::float32)}}),
            "node 'y' (Gather, opset 13): index 3 out of range for dimension 3");
}

TEST(ReferenceShape, DropoutIsTheIdentityInInference) {
  ciro::test::seeded_rng rng;
  const tensor x = random_tensor(rng.engine(), {2, 3});
  for (std::int64_t opset : {9, 10, 13}) {
    model_builder m(opset);
    m.input("x", {2, 3}).output("y").output("mask", opset >= 10 ? element_type::boolean : element_type::float32);
    auto& n = m.node("Dropout", {"x"}, {"y", "mask"});
    if (opset < 12) set_float(n, "ratio", 0.3f);
    const auto out = run(m, {{"x", x}});
    expect_close(out.at("y"), {2, 3}, x.data);
    const tensor& mask = out.at("mask");
    EXPECT_EQ(mask.shape, (shape_t{2, 3}));
    if (opset >= 10) {
      EXPECT_EQ(mask.type, element_type::boolean);
      EXPECT_EQ(mask.ints, std::vector<std::int64_t>(6, 1));
    } else {
      EXPECT_EQ(mask.data, std::vector<double>(6, 1.0));
    }
  }
  model_builder train(13);
  train.input("x", {2, 3}).output("y").initializer("r", tensor::floats({}, {0.5}));
  train.initializer("t", ints({}, {1}, element_type::boolean)).node("Dropout", {"x", "r", "t"}, {"y"}, "d");
  EXPECT_EQ(run_error(train, {{"x", x}}),
            "node 'd' (Dropout, opset 13): training_mode=true with a ratio above 0 (random) is not supported "
            "(inference only)");
  model_builder no_ratio(13);  // the default ratio is 0.5
  no_ratio.input("x", {2, 3}).output("y").initializer("t", ints({}, {1}, element_type::boolean));
  no_ratio.node("Dropout", {"x", "", "t"}, {"y"}, "d");
  EXPECT_NE(run_error(no_ratio, {{"x", x}}), "");
  model_builder zero(13);  // training with ratio 0 drops nothing: the identity, the mask all true
  zero.input("x", {2, 3}).output("y").output("mask", element_type::boolean);
  zero.initializer("r", tensor::floats({}, {0.0})).initializer("t", ints({}, {1}, element_type::boolean));
  zero.node("Dropout", {"x", "r", "t"}, {"y", "mask"});
  const auto out = run(zero, {{"x", x}});
  expect_close(out.at("y"), {2, 3}, x.data);
  EXPECT_EQ(out.at("mask").ints, std::vector<std::int64_t>(6, 1));
}

TEST(ReferenceShape, CastTruncatesWrapsAndRounds) {
  auto cast = [](const tensor& x, element_type to, int to_code) {
    model_builder m(13);
    m.input("x", x.shape, x.type).output("y", to);
    set_int(m.node("Cast", {"x"}, {"y"}, "c"), "to", to_code);
    return m;
  };
  const tensor f = tensor::floats({7}, {-2.75, -0.5, 0.0, 0.5, 1.99, 127.9, -128.9}, element_type::float64);
  auto i8 = cast(f, element_type::int8, 3);
  const tensor y = run(i8, {{"x", f}}).at("y");
  EXPECT_EQ(y.type, element_type::int8);
  EXPECT_EQ(y.ints, (std::vector<std::int64_t>{-2, 0, 0, 0, 1, 127, -128}));
  const tensor big = tensor::floats({2}, {1.0, 300.0});
  EXPECT_EQ(run_error(cast(big, element_type::uint8, 2), {{"x", big}}),
            "node 'c' (Cast, opset 13): value 300.000000 at index 1 does not fit UINT8");
  const tensor i = ints({4}, {-1, 256, 300, 0}, element_type::int32);
  EXPECT_EQ(run(cast(i, element_type::uint8, 2), {{"x", i}}).at("y").ints, (std::vector<std::int64_t>{255, 0, 44, 0}));
  EXPECT_EQ(run(cast(i, element_type::boolean, 9), {{"x", i}}).at("y").ints, (std::vector<std::int64_t>{1, 1, 1, 0}));
  const tensor d = tensor::floats({3}, {0.1, 1e39, -0.0}, element_type::float64);
  const tensor fl = run(cast(d, element_type::float32, 1), {{"x", d}}).at("y");
  EXPECT_EQ(fl.data[0], static_cast<double>(0.1f));
  EXPECT_TRUE(std::isinf(fl.data[1]));
  // INT64 -> FLOAT rounds once: 2^54 + 2^30 + 1 lies just above the midpoint of two floats, but
  // rounding through a double first would land exactly on the midpoint and round to even (down).
  const tensor l = ints({1}, {(std::int64_t{1} << 54) + (std::int64_t{1} << 30) + 1});
  EXPECT_EQ(run(cast(l, element_type::float32, 1), {{"x", l}}).at("y").data[0], 0x1p54 + 0x1p31);
  const tensor b = ints({2}, {1, 0}, element_type::boolean);
  expect_close(run(cast(b, element_type::float64, 11), {{"x", b}}).at("y"), {2}, {1, 0});
  EXPECT_EQ(run_error(cast(f, element_type::float32, 10), {{"x", f}}),
            "node 'c' (Cast, opset 13): cast to TensorProto data type 10 is not supported");
}

TEST(ReferenceShape, ShapeReturnsTheDimensionsBetweenStartAndEnd) {
  const shape_t s = {2, 3, 4, 5};
  struct slice {
    std::int64_t start, end;  // INT64_MIN: attribute absent
    std::vector<std::int64_t> want;
  };
  const std::int64_t none = INT64_MIN;
  const std::vector<slice> cases{{none, none, {2, 3, 4, 5}}, {1, none, {3, 4, 5}},
                                 {none, -1, {2, 3, 4}},      {-3, 3, {3, 4}},
                                 {-10, 10, {2, 3, 4, 5}},    {3, 1, {}}};
  for (const auto& c : cases) {
    model_builder m(15);
    m.input("x", s).output("y", element_type::int64);
    auto& n = m.node("Shape", {"x"}, {"y"});
    if (c.start != none) set_int(n, "start", c.start);
    if (c.end != none) set_int(n, "end", c.end);
    const tensor y = run(m, {{"x", tensor::zeros(s, element_type::float32)}}).at("y");
    EXPECT_EQ(y.shape, (shape_t{static_cast<std::int64_t>(c.want.size())}));
    EXPECT_EQ(y.ints, c.want);
  }
}

}  // namespace
