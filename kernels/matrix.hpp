#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <type_traits>
#include <utility>

#include "core/check.hpp"

namespace ciro::kernels {

/// A non-owning view of a row-major matrix: `rows` rows of `width` elements, row i starting at
/// data + i * width. This is the shape every backend operation takes: a batch of columns (the
/// trace columns of a STARK) stored row by row, as the prover commits them.
template <class T>
struct matrix_view {
  T* data = nullptr;
  std::size_t rows = 0;
  std::size_t width = 0;

  std::span<T> row(std::size_t i) const { return {data + i * width, width}; }
  T& at(std::size_t r, std::size_t c) const { return data[r * width + c]; }
  std::size_t size() const { return rows * width; }
  /// A const view of the same matrix.
  operator matrix_view<const T>() const { return {data, rows, width}; }  // NOLINT: implicit by design
};

namespace detail {

/// Allocations of at least this many bytes are served by whole 2 MiB huge pages.
inline constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;

/// `bytes` rounded up to whole huge pages.
inline std::size_t huge_rounded(std::size_t bytes) { return (bytes + huge_page_bytes - 1) & ~(huge_page_bytes - 1); }

/// Zeroed storage of `bytes` bytes. Large blocks are private anonymous mappings, 2 MiB-aligned
/// and advised for transparent huge pages: the kernel zeroes them lazily, and the first touch
/// costs one page fault per 2 MiB instead of one per 4 KiB (on virtual machines a fault can
/// cost ~10 us, which for a 300 MB LDE matrix made the faults cost more than the NTT itself).
inline void* allocate_zeroed(std::size_t bytes) {
  if (bytes < huge_page_bytes) {
    void* p = ::operator new(bytes);
    std::fill_n(static_cast<unsigned char*>(p), bytes, static_cast<unsigned char>(0));
    return p;
  }
  const std::size_t size = huge_rounded(bytes);
  void* raw = mmap(nullptr, size + huge_page_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  // Trim to a 2 MiB-aligned block of `size` bytes.
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + huge_page_bytes - 1) & ~(huge_page_bytes - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const std::uintptr_t tail = aligned + size, end = start + size + huge_page_bytes;
  if (end > tail) munmap(reinterpret_cast<void*>(tail), end - tail);
#ifdef MADV_HUGEPAGE
  madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
#endif
  return reinterpret_cast<void*>(aligned);
}

/// Releases storage from allocate_zeroed(bytes).
inline void release(void* p, std::size_t bytes) noexcept {
  if (p == nullptr) return;
  if (bytes < huge_page_bytes) {
    ::operator delete(p);
  } else {
    munmap(p, huge_rounded(bytes));
  }
}

}  // namespace detail

/// An owning, zero-initialised array of a trivially copyable element type for large numeric
/// data (matrices, evaluation vectors): like std::vector of a fixed size, but blocks of 2 MiB
/// or more come from huge pages and are zeroed by the kernel on first touch (no fill pass).
template <class T>
class buffer {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  buffer() = default;
  /// n zero elements (all-zero bytes: the zero of the field types). Cost: O(1) for large n,
  /// plus the page faults of the first touch.
  explicit buffer(std::size_t n)
      : data_(n ? static_cast<T*>(detail::allocate_zeroed(n * sizeof(T))) : nullptr), size_(n) {}
  buffer(const buffer& other) : buffer(other.size_) { std::copy_n(other.data_, size_, data_); }
  buffer(buffer&& other) noexcept : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  buffer& operator=(buffer other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    return *this;
  }
  ~buffer() { detail::release(data_, size_ * sizeof(T)); }

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
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

/// An owning row-major matrix (zero-initialised), convertible to a view. The storage is a
/// kernels::buffer: large matrices live on huge pages.
template <class T>
class row_major_matrix {
 public:
  row_major_matrix() = default;
  row_major_matrix(std::size_t rows, std::size_t width) : values_(rows * width), rows_(rows), width_(width) {}

  std::size_t rows() const { return rows_; }
  std::size_t width() const { return width_; }
  std::span<T> values() { return values_; }
  std::span<const T> values() const { return values_; }
  std::span<T> row(std::size_t i) { return {values_.data() + i * width_, width_}; }
  std::span<const T> row(std::size_t i) const { return {values_.data() + i * width_, width_}; }
  T& at(std::size_t r, std::size_t c) { return values_[r * width_ + c]; }
  const T& at(std::size_t r, std::size_t c) const { return values_[r * width_ + c]; }
  matrix_view<T> view() { return {values_.data(), rows_, width_}; }
  matrix_view<const T> view() const { return {values_.data(), rows_, width_}; }
  friend bool operator==(const row_major_matrix&, const row_major_matrix&) = default;

 private:
  buffer<T> values_;
  std::size_t rows_ = 0;
  std::size_t width_ = 0;
};

}  // namespace ciro::kernels
