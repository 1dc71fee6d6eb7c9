#include "core/block_cache.hpp"

#include <gtest/gtest.h>

#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/buffer.hpp"

namespace {

namespace cache = ciro::block_cache;
using ciro::buffer;

constexpr std::size_t mib = std::size_t{1} << 20;

bool all_zero(const unsigned char* p, std::size_t n) {
  return std::all_of(p, p + n, [](unsigned char b) { return b == 0; });
}

TEST(BlockCache, ReusedBlockIsZeroedAgain) {
  cache::trim();
  const std::size_t bytes = 5 * mib + 123;  // rounded to 6 MiB
  auto* first = static_cast<unsigned char*>(cache::allocate_zeroed(bytes));
  ASSERT_TRUE(all_zero(first, cache::rounded(bytes)));
  std::memset(first, 0xAB, cache::rounded(bytes));
  cache::release(first, bytes);
  EXPECT_EQ(cache::cached_bytes(), 6 * mib);

  auto* second = static_cast<unsigned char*>(cache::allocate_zeroed(bytes));
  EXPECT_EQ(second, first) << "a released block of the same size must be reused";
  EXPECT_TRUE(all_zero(second, cache::rounded(bytes))) << "a reused block must be zeroed again";
  EXPECT_EQ(cache::cached_bytes(), 0u);
  cache::release(second, bytes);
  cache::trim();
  EXPECT_EQ(cache::cached_bytes(), 0u);
}

TEST(BlockCache, UninitializedReuseKeepsTheBlockAndOnlyMatchesItsSize) {
  cache::trim();
  void* a = cache::allocate_uninitialized(4 * mib);
  cache::release(a, 4 * mib);
  void* other_size = cache::allocate_uninitialized(8 * mib);  // no 8 MiB block cached: fresh
  EXPECT_NE(other_size, a);
  void* same_size = cache::allocate_uninitialized(4 * mib - 1);  // rounds to 4 MiB: reused
  EXPECT_EQ(same_size, a);
  cache::release(other_size, 8 * mib);
  cache::release(same_size, 4 * mib - 1);
  EXPECT_EQ(cache::cached_bytes(), 12 * mib);
  cache::trim();
}

TEST(BlockCache, NeverHoldsMoreThanItsCapacity) {
  cache::trim();
  // Untouched mappings cost no physical memory, so blocks larger than the capacity are cheap.
  const std::size_t big = cache::rounded(cache::capacity() / 2 + mib);
  std::vector<void*> blocks;
  for (int i = 0; i < 3; ++i) blocks.push_back(cache::allocate_uninitialized(big));
  for (void* b : blocks) {
    cache::release(b, big);
    EXPECT_LE(cache::cached_bytes(), cache::capacity());
  }
  EXPECT_EQ(cache::cached_bytes(), big) << "the oldest blocks make room for the newest";
  // The newest block is the one kept.
  void* again = cache::allocate_uninitialized(big);
  EXPECT_EQ(again, blocks.back());
  cache::release(again, big);

  void* huge = cache::allocate_uninitialized(cache::capacity() + mib);
  cache::release(huge, cache::capacity() + mib);  // larger than the whole cache: unmapped
  EXPECT_LE(cache::cached_bytes(), cache::capacity());
  cache::trim();
  EXPECT_EQ(cache::cached_bytes(), 0u);
}

TEST(BlockCache, BuffersOfEverySizeStartZeroAndCopy) {
  cache::trim();
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, cache::block_bytes / 4 - 1,
                        cache::block_bytes / 4, 3 * cache::block_bytes / 4 + 5}) {
    {
      buffer<std::uint32_t> dirty(n, ciro::uninitialized);
      std::fill(dirty.begin(), dirty.end(), 0xFFFFFFFFu);
    }
    buffer<std::uint32_t> b(n);  // may reuse the dirty block
    ASSERT_EQ(b.size(), n);
    EXPECT_TRUE(std::all_of(b.begin(), b.end(), [](std::uint32_t x) { return x == 0; })) << n;
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint32_t>(i * 2654435761u);
    const buffer<std::uint32_t> copy = b;
    EXPECT_TRUE(copy == b) << n;
  }
  cache::trim();
}

// Threads allocating and releasing blocks of a few sizes at once: every block handed out is all
// zero, and no two live blocks share memory (each thread's pattern survives until it checks it).
TEST(BlockCache, ConcurrentUseHandsOutZeroedDisjointBlocks) {
  cache::trim();
  std::atomic<int> failures{0};
  tbb::parallel_for(0, 256, [&](int task) {
    const std::size_t n = (1 + task % 3) * cache::block_bytes / sizeof(std::uint32_t);
    buffer<std::uint32_t> b(n);
    if (!std::all_of(b.begin(), b.end(), [](std::uint32_t x) { return x == 0; })) ++failures;
    std::fill(b.begin(), b.end(), static_cast<std::uint32_t>(task + 1));
    if (!std::all_of(b.begin(), b.end(), [&](std::uint32_t x) { return x == static_cast<std::uint32_t>(task + 1); })) {
      ++failures;
    }
  });
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(cache::cached_bytes(), cache::capacity());
  cache::trim();
}

}  // namespace
