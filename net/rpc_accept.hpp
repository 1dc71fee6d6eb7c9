#pragma once

#include <capnp/rpc-twoparty.h>
#include <capnp/rpc.h>
#include <kj/async-io.h>

#include <cstdint>
#include <string>

/// What the RPC listeners of net/ share (server.cpp, peer_network.cpp): one accepted connection
/// with its vat network and RPC system, the loop that accepts them, and the bound address.
namespace ciro::net::detail {

/// One RPC connection: its stream, its vat network (with the message limits) and its RPC system.
struct rpc_connection {
  rpc_connection(kj::Own<kj::AsyncIoStream> s, capnp::Capability::Client bootstrap, capnp::ReaderOptions limits)
      : stream(kj::mv(s)),
        network(*stream, capnp::rpc::twoparty::Side::SERVER, limits),
        rpc(capnp::makeRpcServer(network, kj::mv(bootstrap))) {}
  kj::Own<kj::AsyncIoStream> stream;
  capnp::TwoPartyVatNetwork network;
  capnp::RpcSystem<capnp::rpc::twoparty::VatId> rpc;
};

/// A task set's handler for connections and calls that end badly: each ends alone.
class ignore_errors final : public kj::TaskSet::ErrorHandler {
 public:
  void taskFailed(kj::Exception&&) override {}
};

/// Accepts connections on `listener` forever, each served with `bootstrap` and kept in
/// `connections` until it ends.
inline kj::Promise<void> accept_rpc(kj::ConnectionReceiver& listener, capnp::Capability::Client bootstrap,
                                    capnp::ReaderOptions limits, kj::TaskSet& connections) {
  return listener.accept().then([&listener, bootstrap, limits, &connections](kj::Own<kj::AsyncIoStream> stream) mutable {
    auto c = kj::heap<rpc_connection>(kj::mv(stream), bootstrap, limits);
    auto ended = c->network.onDisconnect();
    connections.add(ended.attach(kj::mv(c)));
    return accept_rpc(listener, kj::mv(bootstrap), limits, connections);
  });
}

/// HOST:PORT of an address asked as HOST:PORT, with the port bound.
inline std::string bound_address(const std::string& asked, std::uint16_t port) {
  const auto colon = asked.rfind(':');
  return asked.substr(0, colon == std::string::npos ? asked.size() : colon) + ":" + std::to_string(port);
}

/// Reader limits for messages of at most `max_bytes`.
inline capnp::ReaderOptions reader_limits(std::uint64_t max_bytes) {
  capnp::ReaderOptions limits;
  limits.traversalLimitInWords = max_bytes / sizeof(capnp::word);
  limits.nestingLimit = 16;
  return limits;
}

}  // namespace ciro::net::detail
