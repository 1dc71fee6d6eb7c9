#pragma once

#include <cstddef>
#include <span>

#include "core/buffer.hpp"

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

/// An owning row-major matrix (zero-initialised), convertible to a view. The storage is a
/// ciro::buffer (core/buffer.hpp): large matrices live on huge pages.
template <class T>
class row_major_matrix {
 public:
  row_major_matrix() = default;
  row_major_matrix(std::size_t rows, std::size_t width) : values_(rows * width), rows_(rows), width_(width) {}
  /// A matrix with unspecified contents, for an output the caller overwrites completely.
  row_major_matrix(std::size_t rows, std::size_t width, uninitialized_t)
      : values_(rows * width, uninitialized), rows_(rows), width_(width) {}

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
