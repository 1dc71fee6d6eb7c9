#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "kernels/backend.hpp"

/// The CUDA backend. This header is plain C++ (no CUDA include): g++ code creates and uses the
/// backend through it, and a build without CUDA (CIRO_HAVE_CUDA off) links an implementation
/// that reports `built_without_cuda` from every entry point.
namespace ciro::kernels {

/// What went wrong in the CUDA backend.
enum class cuda_error_code : std::uint8_t {
  built_without_cuda,  ///< this binary was compiled without the CUDA backend
  no_device,           ///< no usable CUDA device (none present, or no driver)
  invalid_device,      ///< the requested device ordinal does not exist
  out_of_memory,       ///< a device allocation failed
  runtime,             ///< any other CUDA runtime error (the message names the call)
};

/// A CUDA error: the code plus a message naming the failed call, its file and line, and the
/// runtime's own description.
using cuda_error = error<cuda_error_code>;

/// The outcome of a backend call that produces no value.
using cuda_status = result<std::monostate, cuda_error_code>;

/// Where the time of the last backend call went, measured with CUDA events on the backend's
/// stream (milliseconds). `h2d` + `kernels` + `d2h` is the device-side time of the call; the
/// host-side overhead (launches, synchronisation) is `total` minus that sum.
struct cuda_timings {
  double h2d_ms = 0;      ///< host -> device copies of the input
  double kernels_ms = 0;  ///< every kernel of the call (transposes, NTT passes, scaling)
  double d2h_ms = 0;      ///< device -> host copy of the output
  double total_ms = 0;    ///< wall-clock time of the whole call, as the caller sees it
};

/// The CUDA implementation of the backend interface: byte-equal to the CPU backend on every
/// input and config. Input and output are host matrices; each call copies the input to the
/// device, runs the transform there and copies the result back (pageable host memory is fine;
/// pinned memory copies faster). Device buffers and twiddle tables are pooled in the object and
/// reused across calls (grow-only), so a steady stream of same-sized calls allocates nothing.
/// Calls on one object are serialised (one stream); use one object per thread for concurrency.
///
/// The `backend` overrides (ntt/intt/lde) cannot report an error through their signature: a
/// CUDA failure there prints the error and aborts (like CIRO_CHECK). Callers that want to
/// recover use the try_ variants, which return the error instead.
class cuda_backend : public backend {
 public:
  /// The CUDA device ordinal this backend runs on.
  [[nodiscard]] virtual int device() const = 0;

  /// ntt() that returns a CUDA failure instead of aborting. Same preconditions as ntt().
  virtual cuda_status try_ntt(matrix_view<field::babybear> m, const ntt_config& config) = 0;
  /// intt() that returns a CUDA failure instead of aborting.
  virtual cuda_status try_intt(matrix_view<field::babybear> m, const ntt_config& config) = 0;
  /// lde() that returns a CUDA failure instead of aborting.
  virtual cuda_status try_lde(matrix_view<const field::babybear> in, matrix_view<field::babybear> out,
                              const lde_config& config) = 0;

  /// The transfer/compute split of the last successful call on this object.
  [[nodiscard]] virtual cuda_timings last_timings() const = 0;

  /// Page-locks the host range [data, data + bytes) so that copies to and from it run at full
  /// PCIe speed (several times a pageable copy) with no staging. Pinning costs about a
  /// millisecond per 100 MB: pin long-lived matrices once, not per call. Undo with unpin()
  /// before the memory is freed. Precondition: the range is not pinned already.
  virtual cuda_status pin(const void* data, std::size_t bytes) = 0;
  /// Undoes pin(data, ...). Precondition: data was passed to pin().
  virtual cuda_status unpin(const void* data) = 0;

  /// Frees the pooled device buffers (the twiddle tables stay). The next call reallocates.
  virtual void release_workspace() = 0;
};

/// A CUDA backend on device `device` (an ordinal as in cudaSetDevice). Fails with no_device when
/// the machine has no CUDA device or driver, invalid_device for a bad ordinal, and
/// built_without_cuda in a CPU-only build.
result<std::unique_ptr<cuda_backend>, cuda_error_code> make_cuda_backend(int device = 0);

/// One CUDA device as the runtime describes it.
struct cuda_device_info {
  int ordinal = 0;
  std::string name;                 ///< e.g. "NVIDIA H100 80GB HBM3"
  int compute_major = 0, compute_minor = 0;
  int multiprocessors = 0;          ///< SMs
  std::uint64_t memory_bytes = 0;   ///< global memory
  int clock_mhz = 0;                ///< peak SM clock
  int memory_clock_mhz = 0;         ///< peak memory clock
  int memory_bus_bits = 0;
};

/// This machine's CUDA devices with the driver's version ("12.4"), or, when there are none, why
/// (`note`: "built without CUDA", "no CUDA device: ..."). Never fails: a broken driver is a note.
struct cuda_inventory {
  std::vector<cuda_device_info> devices;
  std::string driver;
  std::string note;
};
[[nodiscard]] cuda_inventory cuda_devices();

/// True when the backend was built and at least one CUDA device is usable.
bool cuda_device_available();

/// The name of device `device` (e.g. "NVIDIA H100 80GB HBM3"), or an explanation of why there
/// is none ("no CUDA device: ...", "built without CUDA").
std::string cuda_device_name(int device = 0);

}  // namespace ciro::kernels
