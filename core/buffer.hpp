#pragma once

#include <algorithm>
#include <cstddef>
#include <new>
#include <span>
#include <type_traits>
#include <utility>

#include "core/block_cache.hpp"

namespace ciro {

/// Tag for buffer's constructor that leaves the contents unspecified.
struct uninitialized_t {
  explicit uninitialized_t() = default;
};
/// Pass to buffer(n, uninitialized) for an output that will be overwritten completely.
inline constexpr uninitialized_t uninitialized{};

/// An owning, zero-initialised array of a trivially copyable element type for large numeric
/// data (matrices, evaluation vectors): like std::vector of a fixed size, but blocks of 2 MiB
/// or more come from ciro::block_cache (huge pages, reused across allocations of the same
/// size instead of being mapped and page-faulted afresh).
template <class T>
class buffer {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  buffer() = default;
  /// n zero elements (all-zero bytes: the zero of the field types). Cost for large n: one
  /// parallel zeroing pass over a reused block, or the page faults of a fresh one.
  explicit buffer(std::size_t n) : data_(allocate(n, true)), size_(n) {}
  /// n elements with unspecified contents, for an output the caller overwrites completely.
  buffer(std::size_t n, uninitialized_t) : data_(allocate(n, false)), size_(n) {}
  buffer(const buffer& other) : buffer(other.size_, uninitialized) { std::copy_n(other.data_, size_, data_); }
  buffer(buffer&& other) noexcept : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  buffer& operator=(buffer other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    return *this;
  }
  ~buffer() { release(data_, size_); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  operator std::span<T>() { return {data_, size_}; }              // NOLINT: implicit like std::vector
  operator std::span<const T>() const { return {data_, size_}; }  // NOLINT: implicit like std::vector
  friend bool operator==(const buffer& a, const buffer& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  static T* allocate(std::size_t n, bool zeroed) {
    if (n == 0) return nullptr;
    const std::size_t bytes = n * sizeof(T);
    if (bytes >= block_cache::block_bytes) {
      return static_cast<T*>(zeroed ? block_cache::allocate_zeroed(bytes) : block_cache::allocate_uninitialized(bytes));
    }
    T* p = static_cast<T*>(::operator new(bytes));
    if (zeroed) std::fill_n(reinterpret_cast<unsigned char*>(p), bytes, static_cast<unsigned char>(0));
    return p;
  }
  static void release(T* p, std::size_t n) noexcept {
    if (p == nullptr) return;
    if (n * sizeof(T) >= block_cache::block_bytes) {
      block_cache::release(p, n * sizeof(T));
    } else {
      ::operator delete(p);
    }
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace ciro
