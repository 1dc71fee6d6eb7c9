#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "core/result.hpp"
#include "net/job_service.hpp"

/// The node's network front ends on one event-loop thread of their own (docs/rpc.md): the Cap'n
/// Proto sidecar (net/ciro.capnp) and the HTTP endpoints /metrics (Prometheus), /health (JSON)
/// and / (a status page). Requests are answered by a job_service; no proof runs on this thread.
namespace ciro::net {

/// The default addresses of `ciro serve`.
inline constexpr const char* default_rpc_address = "127.0.0.1:7441";
inline constexpr const char* default_metrics_address = "127.0.0.1:7442";

struct server_config {
  std::string rpc_address = default_rpc_address;          ///< HOST:PORT (port 0: any free one)
  std::string metrics_address = default_metrics_address;  ///< HOST:PORT; empty: no HTTP endpoint
  /// The bearer token a client must log in with; empty: none (then only loopback addresses).
  std::string token;
  /// The largest RPC message taken (a model and its input travel in one): larger ones close
  /// their connection. Also bounds the words a message's traversal may read.
  std::uint64_t max_message_bytes = std::uint64_t{256} << 20;
  /// TLS for the RPC (kj-tls on OpenSSL): the server's certificate chain and private key, PEM
  /// text; both empty: plain TCP (then only loopback addresses).
  std::string tls_certificate_pem, tls_private_key_pem;
};

/// True for 127.0.0.0/8, ::1 and "localhost" (with or without a port).
[[nodiscard]] bool is_loopback_address(const std::string& address);

class server {
 public:
  /// Binds both addresses and starts serving `service`, which must outlive the server. Fails with
  /// a one-line reason: an address in use or unparsable, a certificate or key that does not load,
  /// a non-loopback RPC address without both a token and TLS, a non-loopback metrics address
  /// without them for the RPC.
  static result<std::unique_ptr<server>, int> start(const server_config& config, job_service& service);

  /// The addresses bound (HOST:PORT, the port resolved when 0 was asked).
  [[nodiscard]] const std::string& rpc_address() const { return rpc_address_; }
  [[nodiscard]] const std::string& metrics_address() const { return metrics_address_; }

  /// Stops serving: open connections are closed, tickets not yet answered are dropped (their
  /// clients see the connection end).
  ~server();

  struct state;  // the event-loop thread's

 private:
  server() = default;
  std::unique_ptr<state> state_;
  std::thread thread_;
  std::string rpc_address_, metrics_address_;
};

}  // namespace ciro::net
