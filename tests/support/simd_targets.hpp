#pragma once

#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <cstdint>

namespace ciro::test {

/// Runs `body` once for every SIMD target compiled in and supported by this CPU (AVX-512,
/// AVX2, SSE4, ..., scalar), with Highway's dispatch forced to that target and the target's name
/// in the failure trace; then restores the default choice.
template <class Body>
void for_each_simd_target(Body body) {
  for (const std::int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    SCOPED_TRACE(hwy::TargetName(target));
    body();
  }
  hwy::SetSupportedTargetsForTest(0);
}

}  // namespace ciro::test
