#pragma once

#include <sodium.h>

#include "core/check.hpp"

namespace ciro::consensus {

/// sodium_init() once per process before any libsodium call (thread-safe and idempotent). Its
/// only failure, no entropy source, would not affect deterministic signing and hashing, but it
/// is treated as fatal so that nothing runs on a half-initialised library.
inline void ensure_sodium() {
  static const int status = sodium_init();
  CIRO_CHECK(status >= 0);
}

}  // namespace ciro::consensus
