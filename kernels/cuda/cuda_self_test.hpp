#pragma once

#include <string>

namespace ciro::kernels {

/// Checks a CUDA device before it is used: an NTT and a coset LDE (blowup 2) of a fixed
/// pseudo-random 2^12 x 4 BabyBear matrix on the device, each compared element by element with the
/// CPU backend's. Returns "ok", or one line saying why not (the device's error, or the first
/// mismatch). Poseidon2 is not compared: it has no device kernel yet.
[[nodiscard]] std::string cuda_self_test(int device);

}  // namespace ciro::kernels
