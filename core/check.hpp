#pragma once

#include <cstdio>
#include <cstdlib>

/// CIRO_CHECK(cond): an always-on invariant. On failure prints the condition with its file and
/// line to stderr and aborts; use it for programming errors, never for bad user input (which is
/// reported through ciro::result).
#define CIRO_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) [[unlikely]] {                                                          \
      std::fprintf(stderr, "%s:%d: CIRO_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

/// CIRO_DCHECK(cond): like CIRO_CHECK in debug builds, compiled out under NDEBUG.
#ifdef NDEBUG
#define CIRO_DCHECK(cond) \
  do {                    \
  } while (0)
#else
#define CIRO_DCHECK(cond) CIRO_CHECK(cond)
#endif
