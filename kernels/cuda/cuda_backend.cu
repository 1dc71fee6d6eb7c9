// The CUDA backend: host <-> device transfers, pooled device buffers, cached twiddle tables,
// and the composition of the kernels of ntt.cu into NTT, inverse NTT and LDE. Matrices are
// moved to column-major on the device (each column contiguous), transformed, and moved back.
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <utility>

#include "core/check.hpp"
#include "kernels/cuda/cuda_backend.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/ntt.cuh"

namespace ciro::kernels {
namespace {

using cuda::network;
using cuda::row_factors;
using field::babybear;

inline cuda_status ok() { return std::monostate{}; }

unsigned checked_log2(std::size_t rows) {
  CIRO_CHECK(std::has_single_bit(rows));
  const auto log_n = static_cast<unsigned>(std::countr_zero(rows));
  CIRO_CHECK(log_n <= babybear::two_adicity);
  return log_n;
}

/// A device allocation of 32-bit words that only grows.
class device_buffer {
 public:
  device_buffer() = default;
  device_buffer(const device_buffer&) = delete;
  device_buffer& operator=(const device_buffer&) = delete;
  ~device_buffer() { release(); }

  cuda_status reserve(std::size_t words) {
    if (words <= capacity_) return ok();
    release();
    CIRO_CUDA_TRY(cudaMalloc(&data_, words * sizeof(std::uint32_t)));
    capacity_ = words;
    return ok();
  }
  void release() {
    if (data_ != nullptr) cudaFree(data_);
    data_ = nullptr;
    capacity_ = 0;
  }
  std::uint32_t* get() const { return data_; }

 private:
  std::uint32_t* data_ = nullptr;
  std::size_t capacity_ = 0;
};

/// Propagates the error of a cuda_status-returning call.
#define CIRO_CUDA_PROPAGATE(expr)                           \
  do {                                                      \
    if (cuda_status ciro_status_ = (expr); !ciro_status_) { \
      return ciro_status_;                                  \
    }                                                       \
  } while (0)

class cuda_backend_impl final : public cuda_backend {
 public:
  explicit cuda_backend_impl(int device) : device_(device) { name_ = "cuda:" + std::to_string(device); }
  ~cuda_backend_impl() override {
    cudaSetDevice(device_);
    if (stream_ != nullptr) cudaStreamSynchronize(stream_);
    for (auto& [key, table] : twiddles_) cudaFree(table);
    for (cudaEvent_t e : events_) {
      if (e != nullptr) cudaEventDestroy(e);
    }
    if (stream_ != nullptr) cudaStreamDestroy(stream_);
  }

  cuda_status init() {
    CIRO_CUDA_TRY(cudaSetDevice(device_));
    CIRO_CUDA_TRY(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    for (cudaEvent_t& e : events_) CIRO_CUDA_TRY(cudaEventCreate(&e));
    return ok();
  }

  const char* name() const override { return name_.c_str(); }
  int device() const override { return device_; }

  void ntt(matrix_view<babybear> m, const ntt_config& config) override { or_abort(try_ntt(m, config), "ntt"); }
  void intt(matrix_view<babybear> m, const ntt_config& config) override { or_abort(try_intt(m, config), "intt"); }
  void lde(matrix_view<const babybear> in, matrix_view<babybear> out, const lde_config& config) override {
    or_abort(try_lde(in, out, config), "lde");
  }

  cuda_status try_ntt(matrix_view<babybear> m, const ntt_config& config) override {
    return transform(m, config, false);
  }
  cuda_status try_intt(matrix_view<babybear> m, const ntt_config& config) override {
    return transform(m, config, true);
  }

  cuda_status try_lde(matrix_view<const babybear> in, matrix_view<babybear> out, const lde_config& config) override {
    const unsigned log_n = checked_log2(in.rows);
    CIRO_CHECK(out.rows == in.rows << config.log_blowup && out.width == in.width);
    CIRO_CHECK(log_n + config.log_blowup <= babybear::two_adicity);
    CIRO_CHECK(in.data + in.size() <= out.data || out.data + out.size() <= in.data);
    if (in.width == 0) return ok();
    std::lock_guard lock(mutex_);
    const auto start = std::chrono::steady_clock::now();
    CIRO_CUDA_TRY(cudaSetDevice(device_));
    const unsigned log_big = log_n + config.log_blowup;
    const std::size_t n = in.rows, big = out.rows, width = in.width;
    CIRO_CUDA_PROPAGATE(buffers_[0].reserve(big * width));
    CIRO_CUDA_PROPAGATE(buffers_[1].reserve(big * width));
    std::uint32_t* a = buffers_[0].get();
    std::uint32_t* b = buffers_[1].get();

    // Columns of the input in b (stride n).
    CIRO_CUDA_TRY(cudaEventRecord(events_[0], stream_));
    CIRO_CUDA_TRY(cudaMemcpyAsync(width == 1 ? b : a, in.data, in.size() * 4, cudaMemcpyHostToDevice, stream_));
    CIRO_CUDA_TRY(cudaEventRecord(events_[1], stream_));
    if (width > 1) CIRO_CUDA_TRY(cuda::transpose(a, b, n, width, stream_));

    // Coefficients in bit-reversed order: an inverse DIF gives n * a_{bitrev(q)} at row q; the
    // factor n^-1 * shift^bitrev(q) turns it into c_{bitrev(q)} = a_{bitrev(q)} * shift^bitrev(q).
    const std::uint32_t* tw_small = nullptr;
    const std::uint32_t* tw_big = nullptr;
    CIRO_CUDA_PROPAGATE(twiddles(log_n, true, tw_small));
    CIRO_CUDA_PROPAGATE(twiddles(log_big, false, tw_big));
    row_factors coeff_factors;
    CIRO_CUDA_PROPAGATE(factors(0, log_n, babybear::from_u64(n).inverse(), config.shift, true, coeff_factors));
    CIRO_CUDA_TRY(cuda::run_ntt(network::dif, b, n, 0, b, n, log_n, width, tw_small, 0, {}, coeff_factors, stream_));

    if (config.output == row_order::natural) {
      // The first log_blowup DIT levels turn each group (c, 0, ..., 0) of 2^log_blowup rows of
      // the zero-padded bit-reversed vector into (c, ..., c): the DIT reads row i >> log_blowup.
      CIRO_CUDA_TRY(cuda::run_ntt(network::dit, b, n, config.log_blowup, a, big, log_big, width, tw_big,
                                  config.log_blowup, {}, {}, stream_));
    } else {
      // Natural-order coefficients, zero-padded, through a DIF: bit-reversed order out.
      CIRO_CUDA_TRY(cuda::bit_reverse(b, n, a, big, log_n, width, stream_));
      if (big > n) {
        CIRO_CUDA_TRY(cudaMemset2DAsync(a + n, big * 4, 0, (big - n) * 4, width, stream_));
      }
      CIRO_CUDA_TRY(cuda::run_ntt(network::dif, a, big, 0, a, big, log_big, width, tw_big, 0, {}, {}, stream_));
    }
    std::uint32_t* result = a;
    if (width > 1) {
      CIRO_CUDA_TRY(cuda::transpose(a, b, width, big, stream_));
      result = b;
    }
    CIRO_CUDA_TRY(cudaEventRecord(events_[2], stream_));
    CIRO_CUDA_TRY(cudaMemcpyAsync(out.data, result, out.size() * 4, cudaMemcpyDeviceToHost, stream_));
    return finish(start);
  }

  cuda_timings last_timings() const override {
    std::lock_guard lock(mutex_);
    return timings_;
  }

  cuda_status pin(const void* data, std::size_t bytes) override {
    CIRO_CUDA_TRY(cudaHostRegister(const_cast<void*>(data), bytes, cudaHostRegisterDefault));
    return ok();
  }
  cuda_status unpin(const void* data) override {
    CIRO_CUDA_TRY(cudaHostUnregister(const_cast<void*>(data)));
    return ok();
  }

  void release_workspace() override {
    std::lock_guard lock(mutex_);
    cudaSetDevice(device_);
    cudaStreamSynchronize(stream_);
    for (auto& buffer : buffers_) buffer.release();
  }

 private:
  static void or_abort(const cuda_status& status, const char* op) {
    if (status) return;
    std::fprintf(stderr, "ciro cuda backend: %s failed: %s\n", op, status.error().message.c_str());
    std::abort();
  }

  /// The forward or inverse NTT of every column of m (see backend::ntt / backend::intt).
  cuda_status transform(matrix_view<babybear> m, const ntt_config& config, bool inverse) {
    const unsigned log_n = checked_log2(m.rows);
    if (m.width == 0) return ok();
    std::lock_guard lock(mutex_);
    const auto start = std::chrono::steady_clock::now();
    CIRO_CUDA_TRY(cudaSetDevice(device_));
    const std::size_t n = m.rows, width = m.width;
    CIRO_CUDA_PROPAGATE(buffers_[0].reserve(n * width));
    CIRO_CUDA_PROPAGATE(buffers_[1].reserve(n * width));
    std::uint32_t* x = buffers_[0].get();  // the columns
    std::uint32_t* y = buffers_[1].get();  // the other buffer

    CIRO_CUDA_TRY(cudaEventRecord(events_[0], stream_));
    CIRO_CUDA_TRY(cudaMemcpyAsync(width == 1 ? x : y, m.data, m.size() * 4, cudaMemcpyHostToDevice, stream_));
    CIRO_CUDA_TRY(cudaEventRecord(events_[1], stream_));
    if (width > 1) CIRO_CUDA_TRY(cuda::transpose(y, x, n, width, stream_));

    const std::uint32_t* tw = nullptr;
    CIRO_CUDA_PROPAGATE(twiddles(log_n, inverse, tw));
    const bool natural_in = config.input == row_order::natural;
    const network kind = natural_in ? network::dif : network::dit;
    // DIF leaves the output bit-reversed, DIT natural.
    const bool output_bit_reversed = natural_in;
    row_factors pre, post;
    if (!inverse) {
      // Evaluating on s*H: sum_i a_i (s w^j)^i = sum_i (a_i s^i) w^(ij); the input row q holds
      // a_q (natural) or a_bitrev(q) (bit-reversed).
      if (config.shift != babybear::one()) {
        CIRO_CUDA_PROPAGATE(factors(0, log_n, babybear::one(), config.shift, !natural_in, pre));
      }
    } else {
      // The DFT with w^-1 gives n * a_i * s^i at the row holding index i: multiply by
      // n^-1 s^-i, where row q holds index bitrev(q) after a DIF, q after a DIT.
      CIRO_CUDA_PROPAGATE(
          factors(0, log_n, babybear::from_u64(n).inverse(), config.shift.inverse(), output_bit_reversed, post));
    }
    CIRO_CUDA_TRY(cuda::run_ntt(kind, x, n, 0, x, n, log_n, width, tw, 0, pre, post, stream_));
    if (output_bit_reversed != (config.output == row_order::bit_reversed)) {
      CIRO_CUDA_TRY(cuda::bit_reverse(x, n, y, n, log_n, width, stream_));
      std::swap(x, y);
    }
    if (width > 1) {
      CIRO_CUDA_TRY(cuda::transpose(x, y, width, n, stream_));
      std::swap(x, y);
    }
    CIRO_CUDA_TRY(cudaEventRecord(events_[2], stream_));
    CIRO_CUDA_TRY(cudaMemcpyAsync(m.data, x, m.size() * 4, cudaMemcpyDeviceToHost, stream_));
    return finish(start);
  }

  /// Waits for the call's work and records its timings (events_[0..3]: before the upload,
  /// after it, after the kernels, after the download).
  cuda_status finish(std::chrono::steady_clock::time_point start) {
    CIRO_CUDA_TRY(cudaEventRecord(events_[3], stream_));
    CIRO_CUDA_TRY(cudaStreamSynchronize(stream_));
    float h2d = 0, kernels = 0, d2h = 0;
    CIRO_CUDA_TRY(cudaEventElapsedTime(&h2d, events_[0], events_[1]));
    CIRO_CUDA_TRY(cudaEventElapsedTime(&kernels, events_[1], events_[2]));
    CIRO_CUDA_TRY(cudaEventElapsedTime(&d2h, events_[2], events_[3]));
    timings_ = {h2d, kernels, d2h,
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count()};
    return ok();
  }

  /// The device twiddle table for (log_n, inverse), computed on first use and cached;
  /// nullptr for log_n = 0 (no butterflies).
  cuda_status twiddles(unsigned log_n, bool inverse, const std::uint32_t*& table) {
    table = nullptr;
    if (log_n == 0) return ok();
    auto& slot = twiddles_[{log_n, inverse}];
    if (slot == nullptr) {
      std::uint32_t* d = nullptr;
      CIRO_CUDA_TRY(cudaMalloc(&d, ((std::size_t{1} << log_n) - 1) * 4));
      slot = d;
      babybear w = babybear::two_adic_generator(log_n);
      if (inverse) w = w.inverse();
      CIRO_CUDA_TRY(cuda::fill_twiddles(d, log_n, w.monty(), stream_));
    }
    table = slot;
    return ok();
  }

  /// Row factors first * ratio^e (e = row or bitrev(row), rows < 2^log_n) in factor slot
  /// `slot` of the pooled factor buffer, filled on the stream.
  cuda_status factors(unsigned slot, unsigned log_n, babybear first, babybear ratio, bool bit_reversed,
                      row_factors& f) {
    constexpr std::size_t slot_words = std::size_t{1} << 15;  // low <= 2^13, high <= 2^14
    CIRO_CUDA_PROPAGATE(factor_buffer_.reserve(2 * slot_words));
    std::uint32_t* low = factor_buffer_.get() + slot * slot_words;
    std::uint32_t* high = low + (slot_words / 2);
    const unsigned low_bits = log_n / 2;
    CIRO_CUDA_TRY(cuda::fill_powers(low, std::size_t{1} << low_bits, first.monty(), ratio.monty(), 0, stream_));
    CIRO_CUDA_TRY(cuda::fill_powers(high, std::size_t{1} << (log_n - low_bits), babybear::one().monty(), ratio.monty(),
                                    low_bits, stream_));
    f = row_factors{low, high, low_bits, bit_reversed};
    return ok();
  }

  int device_;
  std::string name_;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t events_[4] = {};
  mutable std::mutex mutex_;
  device_buffer buffers_[2];
  device_buffer factor_buffer_;
  std::map<std::pair<unsigned, bool>, std::uint32_t*> twiddles_;
  cuda_timings timings_;
};

}  // namespace

result<std::unique_ptr<cuda_backend>, cuda_error_code> make_cuda_backend(int device) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    const std::string why = status != cudaSuccess ? cudaGetErrorString(status) : "the driver reports 0 devices";
    cudaGetLastError();  // reset the runtime's last-error state
    return cuda_error{cuda_error_code::no_device, "no CUDA device: " + why};
  }
  if (device < 0 || device >= count) {
    return cuda_error{cuda_error_code::invalid_device, "CUDA device " + std::to_string(device) + " does not exist (" +
                                                           std::to_string(count) + " present)"};
  }
  auto backend = std::make_unique<cuda_backend_impl>(device);
  if (cuda_status started = backend->init(); !started) return started.error();
  return std::unique_ptr<cuda_backend>(std::move(backend));
}

cuda_inventory cuda_devices() {
  cuda_inventory inv;
  int version = 0;
  if (cudaDriverGetVersion(&version) == cudaSuccess && version > 0) {
    inv.driver = std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
  }
  int count = 0;
  if (const cudaError_t status = cudaGetDeviceCount(&count); status != cudaSuccess || count == 0) {
    cudaGetLastError();
    inv.note = std::string("no CUDA device: ") + (status != cudaSuccess ? cudaGetErrorString(status) : "the driver reports 0 devices");
    return inv;
  }
  for (int d = 0; d < count; ++d) {
    cudaDeviceProp props{};
    if (cudaGetDeviceProperties(&props, d) != cudaSuccess) {
      cudaGetLastError();
      continue;
    }
    cuda_device_info info;
    info.ordinal = d;
    info.name = props.name;
    info.compute_major = props.major;
    info.compute_minor = props.minor;
    info.multiprocessors = props.multiProcessorCount;
    info.memory_bytes = props.totalGlobalMem;
    int khz = 0;
    if (cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, d) == cudaSuccess) info.clock_mhz = khz / 1000;
    if (cudaDeviceGetAttribute(&khz, cudaDevAttrMemoryClockRate, d) == cudaSuccess) info.memory_clock_mhz = khz / 1000;
    int bits = 0;
    if (cudaDeviceGetAttribute(&bits, cudaDevAttrGlobalMemoryBusWidth, d) == cudaSuccess) info.memory_bus_bits = bits;
    cudaGetLastError();
    inv.devices.push_back(std::move(info));
  }
  if (inv.devices.empty()) inv.note = "no CUDA device: the properties of none could be read";
  return inv;
}

bool cuda_device_available() {
  int count = 0;
  const bool available = cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
  cudaGetLastError();
  return available;
}

std::string cuda_device_name(int device) {
  int count = 0;
  if (const cudaError_t status = cudaGetDeviceCount(&count); status != cudaSuccess || count == 0) {
    cudaGetLastError();
    return std::string("no CUDA device: ") +
           (status != cudaSuccess ? cudaGetErrorString(status) : "the driver reports 0 devices");
  }
  cudaDeviceProp props{};
  if (const cudaError_t status = cudaGetDeviceProperties(&props, device); status != cudaSuccess) {
    cudaGetLastError();
    return std::string("no CUDA device ") + std::to_string(device) + ": " + cudaGetErrorString(status);
  }
  return props.name;
}

}  // namespace ciro::kernels
