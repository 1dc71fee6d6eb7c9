#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "net/job_service.hpp"

/// A client of the Cap'n Proto sidecar (net/ciro.capnp): the calls of `ciro submit` and
/// `ciro status`. One client is one connection and one event loop, used from the thread that
/// made it; a thread holds one client at a time (kj allows one event loop per thread).
namespace ciro::net {

struct client_options {
  std::string address;  ///< HOST:PORT of the node
  std::string token;    ///< the node's bearer token (empty when it has none)
  /// How long a call may wait (submit: for the result) before it gives up; connecting and
  /// logging in wait at most 30 s.
  std::chrono::milliseconds timeout{std::chrono::hours(1)};
  /// TLS: connect through TLS, the node's certificate checked against the system's trust store
  /// and `tls_ca_pem` (PEM text of further trusted certificates, e.g. a self-signed one) and the
  /// address's host name.
  bool tls = false;
  std::string tls_ca_pem;
};

class client {
 public:
  /// Connects and logs in. Fails with one line (no node there, a refused token).
  static result<std::unique_ptr<client>, int> connect(const client_options& options);
  ~client();

  /// Submits a job and waits for its result (submit and Ticket.result pipelined: one round trip).
  /// `on_accepted` sees the node's first answer (queued, with its prediction). A "busy" node is
  /// asked again after its retry hint until the timeout. Fails when the connection ends first.
  result<job_answer, int> submit(const job_submission& job, const std::function<void(const job_answer&)>& on_accepted = {});
  result<job_answer, int> status(const std::string& id, bool with_proof);
  result<job_answer, int> cancel(const std::string& id);
  result<verdict, int> verify(const std::string& proof, unsigned min_security_bits);
  result<node_health, int> health();

  struct impl;

 private:
  client() = default;
  std::unique_ptr<impl> impl_;
  client_options options_;
};

}  // namespace ciro::net
