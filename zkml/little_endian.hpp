#pragma once

// Little-endian element decoding shared by the ONNX TensorProto reader (raw_data) and the .npy
// reader: both store elements little-endian, as is every host Ciro builds for.

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "zkml/tensor.hpp"

namespace ciro::zkml::little_endian {

/// The T stored at p. Precondition: p points at sizeof(T) readable bytes.
template <class T>
T read(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

/// Fills t (whose `type` is set) with `count` elements stored back to back at p, `width` bytes
/// each: FLOAT and DOUBLE into `data`, the integer types into `ints` (BOOL as its byte, which the
/// caller checks or normalizes). Precondition: p holds count * width bytes, width the type's size.
inline void decode(tensor& t, const char* p, std::size_t count, std::size_t width) {
  if (!is_integer_type(t.type)) {
    t.data.resize(count);
    for (std::size_t i = 0; i < count; ++i, p += width)
      t.data[i] = t.type == element_type::float32 ? read<float>(p) : read<double>(p);
    return;
  }
  t.ints.resize(count);
  for (std::size_t i = 0; i < count; ++i, p += width) {
    switch (t.type) {
      case element_type::int8:
        t.ints[i] = read<std::int8_t>(p);
        break;
      case element_type::uint8:
      case element_type::boolean:
        t.ints[i] = read<std::uint8_t>(p);
        break;
      case element_type::int16:
        t.ints[i] = read<std::int16_t>(p);
        break;
      case element_type::uint16:
        t.ints[i] = read<std::uint16_t>(p);
        break;
      case element_type::int32:
        t.ints[i] = read<std::int32_t>(p);
        break;
      default:
        t.ints[i] = read<std::int64_t>(p);
        break;
    }
  }
}

}  // namespace ciro::zkml::little_endian
