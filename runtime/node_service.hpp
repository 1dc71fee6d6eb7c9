#pragma once

#include "net/job_service.hpp"
#include "runtime/node_state.hpp"

/// The node as the network front ends see it (net::job_service): RPC jobs join the spool (their job
/// file in in/, their model and input in blobs/), so they are as durable as the spool's own, and the
/// intake is woken at once; their results come back through the callbacks the publisher calls.
namespace ciro::runtime {

class node_service final : public net::job_service {
 public:
  explicit node_service(shared_state& s) : s_(s) {}

  /// Busy (with a retry hint) when the waiting, queued and running jobs fill the queue and the
  /// workers, or when the node is stopping; answered from the spool when the id has a result.
  net::job_answer submit(const net::job_submission& job, std::function<void(net::job_answer)> on_result) override;
  net::job_answer status(const std::string& id, bool with_proof) override;
  void cancel(const std::string& id, std::function<void(net::job_answer)> on_done) override;
  net::verdict verify(const std::string& proof, unsigned min_security_bits) override;
  net::node_health health() override;
  std::string prometheus_metrics() override;
  std::string status_page() override;

 private:
  node_metrics::gauges gauges();
  shared_state& s_;
};

}  // namespace ciro::runtime
