#include "field/serialize.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "field/babybear.hpp"
#include "field/extension.hpp"
#include "field/goldilocks.hpp"
#include "tests/support/seed.hpp"

namespace {

using ciro::field::babybear;
using ciro::field::babybear4;
using ciro::field::babybear5;
using ciro::field::decode;
using ciro::field::encode;
using ciro::field::goldilocks;
using ciro::field::goldilocks2;
using ciro::field::koalabear;

static_assert(ciro::field::serializable_field<babybear> && ciro::field::serializable_field<goldilocks>);
static_assert(ciro::field::serializable_field<babybear4> && ciro::field::serializable_field<goldilocks2>);

template <class F>
F random_element(ciro::test::seeded_rng& rng) {
  if constexpr (ciro::field::extension_field<F>) {
    std::array<typename F::base_type, F::degree> cs{};
    for (auto& c : cs) c = F::base_type::from_u64(rng.next());
    return F::from_coeffs(cs);
  } else {
    return F::from_u64(rng.next());
  }
}

/// The little-endian bytes of v, `size` of them.
std::vector<std::uint8_t> le_bytes(std::uint64_t v, std::size_t size) {
  std::vector<std::uint8_t> out(size);
  for (auto& b : out) b = static_cast<std::uint8_t>(v), v >>= 8;
  return out;
}

template <class F>
class Serialize : public ::testing::Test {};
using fields = ::testing::Types<babybear, koalabear, goldilocks, babybear4, babybear5, goldilocks2>;
TYPED_TEST_SUITE(Serialize, fields);

TYPED_TEST(Serialize, DecodeUndoesEncodeOnRandomValues) {
  using F = TypeParam;
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 5000; ++i) {
    const F x = random_element<F>(rng);
    const auto bytes = encode(x);
    static_assert(bytes.size() == F::byte_size);
    const auto back = decode<F>(bytes);
    ASSERT_TRUE(back.has_value());
    ASSERT_EQ(*back, x);
  }
}

TYPED_TEST(Serialize, DecodeRejectsWrongLengths) {
  using F = TypeParam;
  std::vector<std::uint8_t> bytes(F::byte_size + 1, 0);
  EXPECT_TRUE(decode<F>(std::span<const std::uint8_t>(bytes).first(F::byte_size)).has_value());
  EXPECT_FALSE(decode<F>(bytes).has_value());
  EXPECT_FALSE(decode<F>(std::span<const std::uint8_t>(bytes).first(F::byte_size - 1)).has_value());
  EXPECT_FALSE(decode<F>(std::span<const std::uint8_t>()).has_value());
}

template <class F>
class SerializePrime : public ::testing::Test {};
using prime_fields = ::testing::Types<babybear, koalabear, goldilocks>;
TYPED_TEST_SUITE(SerializePrime, prime_fields);

TYPED_TEST(SerializePrime, EncodingIsTheCanonicalValueLittleEndian) {
  using F = TypeParam;
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 1000; ++i) {
    const F x = F::from_u64(rng.next());
    const auto bytes = encode(x);
    ASSERT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), le_bytes(x.to_canonical(), F::byte_size));
  }
  EXPECT_EQ(encode(F::one())[0], 1);
}

TYPED_TEST(SerializePrime, DecodeRejectsValuesAtOrAboveTheModulus) {
  using F = TypeParam;
  const std::uint64_t p = F::modulus;
  const std::uint64_t all_ones = F::byte_size == 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * F::byte_size)) - 1;
  EXPECT_EQ(decode<F>(le_bytes(p - 1, F::byte_size)), F::from_u64(p - 1));
  EXPECT_EQ(decode<F>(le_bytes(0, F::byte_size)), F::zero());
  for (std::uint64_t bad : {p, p + 1, p + 2, all_ones, all_ones - 1}) {
    EXPECT_FALSE(decode<F>(le_bytes(bad, F::byte_size)).has_value()) << bad;
  }
}

TEST(SerializeExtension, EncodingIsTheCoefficientsInOrder) {
  const auto x = babybear4::from_coeffs({babybear::from_canonical(1), babybear::from_canonical(2),
                                         babybear::from_canonical(3), babybear::from_canonical(4)});
  const std::array<std::uint8_t, 16> expected = {1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0};
  EXPECT_EQ(encode(x), expected);
}

TEST(SerializeExtension, DecodeRejectsANonCanonicalCoefficientInAnyPosition) {
  for (unsigned pos = 0; pos < goldilocks2::degree; ++pos) {
    std::vector<std::uint8_t> bytes(goldilocks2::byte_size, 0);
    const auto bad = le_bytes(goldilocks::modulus, 8);
    std::copy(bad.begin(), bad.end(), bytes.begin() + 8 * pos);
    EXPECT_FALSE(decode<goldilocks2>(bytes).has_value()) << pos;
  }
  for (unsigned pos = 0; pos < babybear5::degree; ++pos) {
    std::vector<std::uint8_t> bytes(babybear5::byte_size, 0);
    const auto bad = le_bytes(0xffffffffu, 4);
    std::copy(bad.begin(), bad.end(), bytes.begin() + 4 * pos);
    EXPECT_FALSE(decode<babybear5>(bytes).has_value()) << pos;
  }
}

TEST(SerializeExtension, EncodeIntoASpanWritesExactlyByteSizeBytes) {
  ciro::test::seeded_rng rng;
  const auto x = random_element<goldilocks2>(rng);
  std::vector<std::uint8_t> buf(goldilocks2::byte_size + 4, 0xaa);
  encode(x, std::span<std::uint8_t>(buf).subspan(2, goldilocks2::byte_size));
  EXPECT_EQ(buf[0], 0xaa);
  EXPECT_EQ(buf[1], 0xaa);
  EXPECT_EQ(buf[buf.size() - 2], 0xaa);
  EXPECT_EQ(decode<goldilocks2>(std::span<const std::uint8_t>(buf).subspan(2, goldilocks2::byte_size)), x);
}

}  // namespace
