#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

/// The canonical byte encoding of the consensus layer: fixed-width little-endian integers,
/// fixed-size byte arrays as they are, strings and lists prefixed by a 32-bit count. What is
/// signed, hashed and persisted is this encoding, so every replica computes the same bytes.
namespace ciro::consensus {

/// Appends canonical encodings to a byte vector.
class byte_writer {
 public:
  void u8(std::uint8_t v) { bytes_.push_back(v); }
  void u32(std::uint32_t v) { put_le(v, 4); }
  void u64(std::uint64_t v) { put_le(v, 8); }
  template <std::size_t N>
  void bytes(const std::array<std::uint8_t, N>& a) {
    raw(a);
  }
  void raw(std::span<const std::uint8_t> b) {
    // resize + memcpy: GCC 12 warns falsely (-Wstringop-overflow) on vector::insert of a range.
    if (b.empty()) return;
    const std::size_t at = bytes_.size();
    bytes_.resize(at + b.size());
    std::memcpy(bytes_.data() + at, b.data(), b.size());
  }
  /// A string: u32 length, then its bytes.
  void string(const std::string& s) {
    u32(static_cast<std::uint32_t>(s.size()));
    raw(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  }
  [[nodiscard]] const std::vector<std::uint8_t>& data() const { return bytes_; }
  [[nodiscard]] std::vector<std::uint8_t> take() { return std::move(bytes_); }

 private:
  void put_le(std::uint64_t v, int width) {
    for (int i = 0; i < width; ++i) bytes_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  std::vector<std::uint8_t> bytes_;
};

/// Reads canonical encodings from a byte span, never past its end: every read returns nothing
/// once the input is exhausted or a bound is exceeded, and the reader stays failed.
class byte_reader {
 public:
  explicit byte_reader(std::span<const std::uint8_t> in) : in_(in) {}
  std::optional<std::uint8_t> u8() {
    if (!take(1)) return std::nullopt;
    return in_[pos_ - 1];
  }
  std::optional<std::uint32_t> u32() {
    const auto v = get_le(4);
    if (!v) return std::nullopt;
    return static_cast<std::uint32_t>(*v);
  }
  std::optional<std::uint64_t> u64() { return get_le(8); }
  template <std::size_t N>
  std::optional<std::array<std::uint8_t, N>> bytes() {
    if (!take(N)) return std::nullopt;
    std::array<std::uint8_t, N> a{};
    for (std::size_t i = 0; i < N; ++i) a[i] = in_[pos_ - N + i];
    return a;
  }
  /// A string of at most `max_size` bytes.
  std::optional<std::string> string(std::size_t max_size) {
    const auto n = u32();
    if (!n || *n > max_size || !take(*n)) return fail();
    return std::string(in_.begin() + static_cast<std::ptrdiff_t>(pos_ - *n),
                       in_.begin() + static_cast<std::ptrdiff_t>(pos_));
  }
  /// A list count of at most `max_count`.
  std::optional<std::uint32_t> count(std::uint32_t max_count) {
    const auto n = u32();
    if (!n || *n > max_count) return fail();
    return n;
  }
  [[nodiscard]] bool failed() const { return failed_; }
  [[nodiscard]] bool at_end() const { return !failed_ && pos_ == in_.size(); }

 private:
  std::nullopt_t fail() {
    failed_ = true;
    return std::nullopt;
  }
  bool take(std::size_t n) {
    if (failed_ || in_.size() - pos_ < n) {
      failed_ = true;
      return false;
    }
    pos_ += n;
    return true;
  }
  std::optional<std::uint64_t> get_le(int width) {
    if (!take(static_cast<std::size_t>(width))) return std::nullopt;
    std::uint64_t v = 0;
    for (int i = 0; i < width; ++i)
      v |= std::uint64_t{in_[pos_ - static_cast<std::size_t>(width) + static_cast<std::size_t>(i)]} << (8 * i);
    return v;
  }
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace ciro::consensus
