#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"

/// The validators' transport (docs/consensus.md, "In the runtime"): Cap'n Proto RPC between the
/// validators of a farm (net/ciro.capnp, interface Validator), on one event-loop thread of its own.
/// It moves opaque frames and authenticates nothing: every frame carries its own signatures (a
/// consensus message) or proofs (a request), which the receiver checks. Delivery is best effort:
/// a frame may be lost when a peer is down or its queue is full, which pBFT's retransmission
/// covers; frames to one peer arrive in the order they were sent, or not at all.
namespace ciro::net {

struct peer_network_config {
  std::string listen;               ///< HOST:PORT this validator serves (port 0: any free one)
  std::vector<std::string> peers;   ///< HOST:PORT of each peer; send() names them by index
  /// Bytes queued for one peer at most: the oldest frames are dropped beyond it (a peer down for
  /// long is caught up by retransmissions and checkpoints, not by a backlog).
  std::size_t max_queued_bytes = std::size_t{256} << 20;
  /// The largest RPC message taken or sent (one call carries the frames queued since the last).
  std::uint64_t max_message_bytes = std::uint64_t{512} << 20;
  /// Waits between attempts to reach a peer that is down, doubling from the first to the last.
  std::uint32_t reconnect_min_ms = 50, reconnect_max_ms = 2000;
};

/// Counts since start (read at any time).
struct peer_network_stats {
  std::uint64_t frames_sent = 0;      ///< frames a peer acknowledged
  std::uint64_t frames_received = 0;  ///< frames handed to the receiver
  std::uint64_t frames_dropped = 0;   ///< frames lost: a queue over its bound, a call that failed
  std::uint64_t connects = 0;         ///< connections made to peers (reconnections included)
};

class peer_network {
 public:
  /// Called on the network thread with the frames of one incoming call: it must return soon
  /// (hand them to another thread).
  using receiver = std::function<void(std::vector<std::string> frames)>;

  /// Listens at config.listen and starts the links to the peers (each connects when it first has
  /// a frame to send, and again after a failure). Fails with one line when the address does not
  /// parse or is in use. A listening address beyond loopback is allowed: nothing is trusted from
  /// the connection.
  static result<std::unique_ptr<peer_network>, int> start(const peer_network_config& config, receiver on_frames);

  /// Queues `frame` for peer `peer` (an index into config.peers); from any thread, never blocks on
  /// the network.
  void send(std::size_t peer, std::string frame);
  /// Queues `frame` for every peer.
  void broadcast(const std::string& frame);

  /// The address bound (the port resolved when 0 was asked).
  [[nodiscard]] const std::string& listen_address() const { return listen_address_; }
  [[nodiscard]] peer_network_stats stats() const;

  /// Stops: connections close, frames still queued are dropped. The receiver is not called after.
  ~peer_network();

  struct state;  // shared with the event-loop thread

 private:
  peer_network() = default;
  std::unique_ptr<state> state_;
  std::thread thread_;
  std::string listen_address_;
};

}  // namespace ciro::net
