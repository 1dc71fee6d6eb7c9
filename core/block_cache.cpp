#include "core/block_cache.hpp"

#include <sys/mman.h>
#include <tbb/parallel_for.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <mutex>
#include <new>

namespace ciro::block_cache {
namespace {

struct cached_block {
  void* data;
  std::size_t size;
};

/// The released blocks, oldest first, and their total size.
struct cache_state {
  std::mutex mutex;
  std::deque<cached_block> blocks;
  std::size_t total = 0;
};

/// Never destroyed: buffers held by other static objects (a cache of proving keys, say) are
/// released during static destruction, in any order, and must still find the cache.
cache_state& state() {
  static cache_state* s = new cache_state;
  return *s;
}

/// A fresh 2 MiB-aligned mapping of `size` bytes (a multiple of block_bytes).
void* map_block(std::size_t size) {
  void* raw = mmap(nullptr, size + block_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  // Trim to a 2 MiB-aligned block of `size` bytes.
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + block_bytes - 1) & ~(block_bytes - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const std::uintptr_t tail = aligned + size, end = start + size + block_bytes;
  if (end > tail) munmap(reinterpret_cast<void*>(tail), end - tail);
#ifdef MADV_HUGEPAGE
  madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
#endif
  return reinterpret_cast<void*>(aligned);
}

/// A cached block of exactly `size` bytes (the most recently released one), or nullptr.
void* take_cached(std::size_t size) {
  cache_state& s = state();
  const std::lock_guard lock(s.mutex);
  for (auto it = s.blocks.rbegin(); it != s.blocks.rend(); ++it) {
    if (it->size == size) {
      void* data = it->data;
      s.blocks.erase(std::next(it).base());
      s.total -= size;
      return data;
    }
  }
  return nullptr;
}

}  // namespace

std::size_t capacity() {
  static const std::size_t cap = [] {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    const std::size_t physical = pages > 0 && page > 0 ? static_cast<std::size_t>(pages) * page : 0;
    return std::max(physical / 4, std::size_t{1} << 30);
  }();
  return cap;
}

void* allocate_uninitialized(std::size_t bytes) {
  const std::size_t size = rounded(bytes);
  if (void* reused = take_cached(size)) return reused;
  return map_block(size);
}

void* allocate_zeroed(std::size_t bytes) {
  const std::size_t size = rounded(bytes);
  void* reused = take_cached(size);
  if (reused == nullptr) return map_block(size);  // the kernel zeroes it
  auto* bytes_out = static_cast<unsigned char*>(reused);
  tbb::parallel_for(std::size_t{0}, size / block_bytes,
                    [&](std::size_t k) { std::memset(bytes_out + k * block_bytes, 0, block_bytes); });
  return reused;
}

void release(void* block, std::size_t bytes) noexcept {
  if (block == nullptr) return;
  const std::size_t size = rounded(bytes);
  cache_state& s = state();
  const std::lock_guard lock(s.mutex);
  if (size > capacity()) {
    munmap(block, size);
    return;
  }
  while (s.total + size > capacity()) {
    munmap(s.blocks.front().data, s.blocks.front().size);
    s.total -= s.blocks.front().size;
    s.blocks.pop_front();
  }
  try {
    s.blocks.push_back({block, size});
    s.total += size;
  } catch (const std::bad_alloc&) {
    munmap(block, size);
  }
}

std::size_t cached_bytes() {
  cache_state& s = state();
  const std::lock_guard lock(s.mutex);
  return s.total;
}

void trim() noexcept {
  cache_state& s = state();
  const std::lock_guard lock(s.mutex);
  for (const cached_block& b : s.blocks) munmap(b.data, b.size);
  s.blocks.clear();
  s.total = 0;
}

}  // namespace ciro::block_cache
