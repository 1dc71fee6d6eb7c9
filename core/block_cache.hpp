#pragma once

#include <cstddef>

/// Large blocks of memory for ciro::buffer (core/buffer.hpp): 2 MiB-aligned private anonymous mappings advised
/// for transparent huge pages, and a process-wide cache that keeps released blocks for the next
/// allocation of the same size.
///
/// Why a cache: a fresh mapping is zeroed by the kernel page by page on first touch, and on a
/// virtual machine each such fault also makes the host back the page. A prover that maps its
/// 300 MB LDE afresh for every proof paid that again on every proof (17% of `ciro bench`'s
/// prove.poseidon2 time went to the kernel's clear_page). A long-running process (`ciro serve`,
/// `ciro bench`) proves the same shapes again and again, so it reuses the same block sizes.
namespace ciro::block_cache {

/// Blocks of at least this many bytes come from here; smaller ones from operator new.
inline constexpr std::size_t block_bytes = std::size_t{2} << 20;

/// `bytes` rounded up to whole 2 MiB blocks.
inline std::size_t rounded(std::size_t bytes) { return (bytes + block_bytes - 1) & ~(block_bytes - 1); }

/// A 2 MiB-aligned block of rounded(bytes) bytes, all zero. A cached block of that size is
/// reused (zeroed in parallel); otherwise a fresh mapping is made, which the kernel zeroes on
/// first touch. Throws std::bad_alloc when the system has no memory for it.
/// Precondition: bytes >= block_bytes.
void* allocate_zeroed(std::size_t bytes);

/// Like allocate_zeroed, but a reused block keeps whatever it held: for outputs the caller
/// overwrites completely (an LDE, a Merkle layer), which saves the zeroing pass.
void* allocate_uninitialized(std::size_t bytes);

/// Gives back a block from allocate_*(bytes). It is kept for reuse while the cache holds at most
/// capacity() bytes (the oldest blocks are unmapped first), else unmapped.
void release(void* block, std::size_t bytes) noexcept;

/// The most bytes the cache keeps: a quarter of physical memory, at least 1 GiB.
std::size_t capacity();

/// The bytes the cache holds now (for tests and diagnostics).
std::size_t cached_bytes();

/// Unmaps every cached block (for tests, and for a caller that wants its memory back).
void trim() noexcept;

}  // namespace ciro::block_cache
