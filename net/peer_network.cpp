#include "net/peer_network.hpp"

#include <capnp/message.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <future>
#include <mutex>

#include "net/ciro.capnp.h"
#include "net/rpc_accept.hpp"

namespace ciro::net {

/// What the event-loop thread shares with the object and with the threads that send.
struct peer_network::state {
  struct queue {
    std::deque<std::string> frames;
    std::size_t bytes = 0;
    /// Set while the peer's link waits for frames: the next send() wakes it.
    kj::Own<kj::CrossThreadPromiseFulfiller<void>> wake;
  };
  peer_network_config config;
  std::mutex mutex;  // queues and stop
  std::vector<queue> queues;
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> stop;
  std::atomic<std::uint64_t> sent{0}, received{0}, dropped{0}, connects{0};
  std::promise<std::string> started;  // "" or why it could not start
  bool announced = false;
  std::string bound;
  /// The most frame bytes one call carries (a frame larger than this is dropped when queued).
  [[nodiscard]] std::size_t call_bytes() const { return static_cast<std::size_t>(config.max_message_bytes / 2); }
};

namespace {

/// The served side: each call's frames go to the receiver.
class validator_impl final : public wire::Validator::Server {
 public:
  validator_impl(peer_network::state& st, peer_network::receiver& on_frames) : st_(st), on_frames_(on_frames) {}

 protected:
  kj::Promise<void> deliver(DeliverContext context) override {
    const auto frames = context.getParams().getFrames();
    std::vector<std::string> out;
    out.reserve(frames.size());
    for (const auto f : frames) out.emplace_back(reinterpret_cast<const char*>(f.begin()), f.size());
    st_.received += out.size();
    on_frames_(std::move(out));
    return kj::READY_NOW;
  }

 private:
  peer_network::state& st_;
  peer_network::receiver& on_frames_;
};

/// The sending side towards one peer: waits for frames, connects when not connected, sends what
/// is queued in one call, and after a failure waits (doubling) before it tries again.
class peer_link {
 public:
  peer_link(peer_network::state& st, std::size_t index, kj::AsyncIoProvider& io)
      : st_(st), index_(index), io_(io), backoff_ms_(st.config.reconnect_min_ms) {}

  kj::Promise<void> run() {
    return frames_ready()
        .then([this] { return connect(); })
        .then([this] { return send_queued(); })
        .then(
            [this]() -> kj::Promise<void> {
              backoff_ms_ = st_.config.reconnect_min_ms;
              return kj::READY_NOW;
            },
              [this](kj::Exception&&) -> kj::Promise<void> {
                disconnect();
                const std::uint32_t wait_ms = backoff_ms_;
                backoff_ms_ = std::min(backoff_ms_ * 2, st_.config.reconnect_max_ms);
                return io_.getTimer().afterDelay(wait_ms * kj::MILLISECONDS);
              })
        .then([this] { return run(); });
  }

 private:
  kj::Promise<void> frames_ready() {
    std::lock_guard lock(st_.mutex);
    auto& q = st_.queues[index_];
    if (!q.frames.empty()) return kj::READY_NOW;
    auto paf = kj::newPromiseAndCrossThreadFulfiller<void>();
    q.wake = kj::mv(paf.fulfiller);
    return kj::mv(paf.promise);
  }

  kj::Promise<void> connect() {
    if (peer_.get() != nullptr) return kj::READY_NOW;
    auto connecting = io_.getNetwork()
                          .parseAddress(st_.config.peers[index_])
                          .then([](kj::Own<kj::NetworkAddress> a) { return a->connect().attach(kj::mv(a)); });
    return io_.getTimer().timeoutAfter(5 * kj::SECONDS, kj::mv(connecting)).then([this](kj::Own<kj::AsyncIoStream> s) {
      stream_ = kj::mv(s);
      network_ = kj::heap<capnp::TwoPartyVatNetwork>(*stream_, capnp::rpc::twoparty::Side::CLIENT,
                                                     detail::reader_limits(st_.config.max_message_bytes));
      rpc_ = kj::heap<capnp::RpcSystem<capnp::rpc::twoparty::VatId>>(capnp::makeRpcClient(*network_));
      capnp::MallocMessageBuilder vat;
      auto server_id = vat.initRoot<capnp::rpc::twoparty::VatId>();
      server_id.setSide(capnp::rpc::twoparty::Side::SERVER);
      peer_ = kj::heap<wire::Validator::Client>(rpc_->bootstrap(server_id).castAs<wire::Validator>());
      ++st_.connects;
    });
  }

  kj::Promise<void> send_queued() {
    std::vector<std::string> frames;
    {
      std::lock_guard lock(st_.mutex);
      auto& q = st_.queues[index_];
      std::size_t bytes = 0;
      while (!q.frames.empty() && (frames.empty() || bytes + q.frames.front().size() <= st_.call_bytes())) {
        bytes += q.frames.front().size();
        q.bytes -= q.frames.front().size();
        frames.push_back(std::move(q.frames.front()));
        q.frames.pop_front();
      }
    }
    auto request = peer_->deliverRequest();
    auto list = request.initFrames(static_cast<unsigned>(frames.size()));
    for (std::size_t i = 0; i < frames.size(); ++i) {
      list.set(static_cast<unsigned>(i), capnp::Data::Reader(reinterpret_cast<const kj::byte*>(frames[i].data()), frames[i].size()));
    }
    const std::uint64_t n = frames.size();
    return io_.getTimer()
        .timeoutAfter(30 * kj::SECONDS, request.send().ignoreResult())
        .then([this, n] { st_.sent += n; },
              [this, n](kj::Exception&& e) {
                st_.dropped += n;
                kj::throwFatalException(kj::mv(e));
              });
  }

  void disconnect() {
    peer_ = nullptr;
    rpc_ = nullptr;
    network_ = nullptr;
    stream_ = nullptr;
  }

  peer_network::state& st_;
  std::size_t index_;
  kj::AsyncIoProvider& io_;
  std::uint32_t backoff_ms_;
  kj::Own<kj::AsyncIoStream> stream_;
  kj::Own<capnp::TwoPartyVatNetwork> network_;
  kj::Own<capnp::RpcSystem<capnp::rpc::twoparty::VatId>> rpc_;
  kj::Own<wire::Validator::Client> peer_;
};

void run_event_loop(peer_network::state& st, peer_network::receiver on_frames) {
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&] {
    auto io = kj::setupAsyncIo();
    auto listener = io.provider->getNetwork().parseAddress(st.config.listen).wait(io.waitScope)->listen();
    st.bound = detail::bound_address(st.config.listen, static_cast<std::uint16_t>(listener->getPort()));
    // Declared before the task sets, so destroyed after the tasks that use them.
    std::vector<kj::Own<peer_link>> links;
    capnp::Capability::Client bootstrap = kj::heap<validator_impl>(st, on_frames);
    detail::ignore_errors errors;
    kj::TaskSet connections(errors);
    kj::TaskSet tasks(errors);
    tasks.add(detail::accept_rpc(*listener, bootstrap, detail::reader_limits(st.config.max_message_bytes), connections));
    for (std::size_t i = 0; i < st.config.peers.size(); ++i) {
      links.push_back(kj::heap<peer_link>(st, i, *io.provider));
      tasks.add(links.back()->run());
    }
    auto stop = kj::newPromiseAndCrossThreadFulfiller<void>();
    {
      std::lock_guard lock(st.mutex);
      st.stop = kj::mv(stop.fulfiller);
    }
    st.announced = true;
    st.started.set_value("");
    stop.promise.wait(io.waitScope);
    std::lock_guard lock(st.mutex);
    for (auto& q : st.queues) q.wake = nullptr;
  });
  KJ_IF_MAYBE(e, failure) {
    std::string why = e->getDescription().cStr();
    if (!st.announced) st.started.set_value(why.empty() ? "the validator transport failed" : why);
  }
}

}  // namespace

result<std::unique_ptr<peer_network>, int> peer_network::start(const peer_network_config& config, receiver on_frames) {
  std::unique_ptr<peer_network> n(new peer_network());
  n->state_ = std::make_unique<state>();
  n->state_->config = config;
  n->state_->queues.resize(config.peers.size());
  auto started = n->state_->started.get_future();
  n->thread_ = std::thread([st = n->state_.get(), on_frames = std::move(on_frames)]() mutable { run_event_loop(*st, std::move(on_frames)); });
  const std::string why = started.get();
  if (!why.empty()) {
    n->thread_.join();
    return error<int>{0, "cannot listen for validators at " + config.listen + ": " + why.substr(0, why.find('\n'))};
  }
  n->listen_address_ = n->state_->bound;
  return n;
}

void peer_network::send(std::size_t peer, std::string frame) {
  state& st = *state_;
  std::lock_guard lock(st.mutex);
  if (peer >= st.queues.size() || frame.size() > st.call_bytes()) {
    ++st.dropped;
    return;
  }
  auto& q = st.queues[peer];
  q.bytes += frame.size();
  q.frames.push_back(std::move(frame));
  while (q.bytes > st.config.max_queued_bytes) {
    q.bytes -= q.frames.front().size();
    q.frames.pop_front();
    ++st.dropped;
  }
  if (q.wake.get() != nullptr) {
    q.wake->fulfill();
    q.wake = nullptr;
  }
}

void peer_network::broadcast(const std::string& frame) {
  for (std::size_t i = 0; i < state_->queues.size(); ++i) send(i, frame);
}

peer_network_stats peer_network::stats() const {
  return {state_->sent.load(), state_->received.load(), state_->dropped.load(), state_->connects.load()};
}

peer_network::~peer_network() {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->stop.get() != nullptr) state_->stop->fulfill();
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace ciro::net
