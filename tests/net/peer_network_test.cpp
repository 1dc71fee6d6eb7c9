// The validators' transport over real Cap'n Proto RPC on loopback: frames arrive in order, a peer
// that was down is reached once it is up, a queue over its bound drops its oldest frames, and an
// address in use is refused with one line.

#include "net/peer_network.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "net/free_port.hpp"

namespace ciro::net {
namespace {

using namespace std::chrono_literals;

std::string loopback(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

/// prefix followed by i (built by appending: GCC 12's -Wrestrict misfires on "literal" + string).
std::string numbered(const char* prefix, std::size_t i) {
  std::string s = prefix;
  s += std::to_string(i);
  return s;
}

/// Frames received, in order, with a wait for a count.
struct inbox {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> frames;
  peer_network::receiver receiver() {
    return [this](std::vector<std::string> f) {
      std::lock_guard lock(mutex);
      for (auto& x : f) frames.push_back(std::move(x));
      changed.notify_all();
    };
  }
  bool wait_for(std::size_t n, std::chrono::milliseconds limit = 20s) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, limit, [&] { return frames.size() >= n; });
  }
};

TEST(PeerNetwork, FramesArriveInOrderBothWays) {
  const auto ports = free_loopback_ports(2);
  const std::uint16_t pa = ports[0], pb = ports[1];
  inbox at_a, at_b;
  auto a = peer_network::start({loopback(pa), {loopback(pb)}}, at_a.receiver());
  auto b = peer_network::start({loopback(pb), {loopback(pa)}}, at_b.receiver());
  ASSERT_TRUE(a.has_value()) << a.error().message;
  ASSERT_TRUE(b.has_value()) << b.error().message;
  constexpr std::size_t n = 2000;
  for (std::size_t i = 0; i < n; ++i) {
    a.value()->send(0, numbered("a", i));
    b.value()->broadcast(std::string(1 + i % 300, static_cast<char>(i)));  // sizes 1 .. 300
  }
  ASSERT_TRUE(at_b.wait_for(n));
  ASSERT_TRUE(at_a.wait_for(n));
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ(at_b.frames[i], numbered("a", i));
    ASSERT_EQ(at_a.frames[i], std::string(1 + i % 300, static_cast<char>(i)));
  }
  // The last call's acknowledgement may still be on its way back.
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (a.value()->stats().frames_sent < n && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(a.value()->stats().frames_sent, n);
  EXPECT_EQ(b.value()->stats().frames_received, n);
  EXPECT_EQ(a.value()->stats().frames_dropped, 0u);
}

TEST(PeerNetwork, APeerThatWasDownIsReachedWhenItComesUp) {
  const auto ports = free_loopback_ports(2);
  const std::uint16_t pa = ports[0], pb = ports[1];
  inbox at_b;
  peer_network_config ca{loopback(pa), {loopback(pb)}};
  ca.reconnect_max_ms = 100;
  auto a = peer_network::start(ca, [](std::vector<std::string>) {});
  ASSERT_TRUE(a.has_value());
  a.value()->send(0, "before");  // b is not there: the frame waits in the queue
  std::this_thread::sleep_for(300ms);
  auto b = peer_network::start({loopback(pb), {}}, at_b.receiver());
  ASSERT_TRUE(b.has_value());
  ASSERT_TRUE(at_b.wait_for(1));
  EXPECT_EQ(at_b.frames[0], "before");
  // b goes down and comes back: a reconnects (what was in flight when it went may be lost).
  b.value().reset();
  a.value()->send(0, "lost or not");
  std::this_thread::sleep_for(200ms);
  inbox again;
  auto b2 = peer_network::start({loopback(pb), {}}, again.receiver());
  ASSERT_TRUE(b2.has_value());
  const auto until = std::chrono::steady_clock::now() + 20s;
  std::size_t i = 0;
  while (std::chrono::steady_clock::now() < until) {
    a.value()->send(0, numbered("after ", i++));
    {
      std::lock_guard lock(again.mutex);
      if (!again.frames.empty() && again.frames.back().rfind("after", 0) == 0) break;
    }
    std::this_thread::sleep_for(20ms);
  }
  std::lock_guard lock(again.mutex);
  ASSERT_FALSE(again.frames.empty());
  EXPECT_EQ(again.frames.back().rfind("after", 0), 0u) << again.frames.back();
  EXPECT_GE(a.value()->stats().connects, 2u);
}

TEST(PeerNetwork, AQueueOverItsBoundDropsItsOldestFrames) {
  const auto ports = free_loopback_ports(2);
  const std::uint16_t pa = ports[0], pb = ports[1];
  peer_network_config ca{loopback(pa), {loopback(pb)}};
  ca.max_queued_bytes = 1000;
  auto a = peer_network::start(ca, [](std::vector<std::string>) {});
  ASSERT_TRUE(a.has_value());
  for (int i = 0; i < 100; ++i) a.value()->send(0, std::string(100, 'x'));  // nobody at pb
  EXPECT_EQ(a.value()->stats().frames_dropped, 90u);  // 10 frames of 100 bytes fit
  inbox at_b;
  auto b = peer_network::start({loopback(pb), {}}, at_b.receiver());
  ASSERT_TRUE(b.has_value());
  ASSERT_TRUE(at_b.wait_for(10));
  std::this_thread::sleep_for(100ms);
  std::lock_guard lock(at_b.mutex);
  EXPECT_EQ(at_b.frames.size(), 10u);
}

TEST(PeerNetwork, AnAddressInUseOrUnparsableIsRefusedWithOneLine) {
  const std::uint16_t p = net::free_loopback_port();
  auto first = peer_network::start({loopback(p), {}}, [](std::vector<std::string>) {});
  ASSERT_TRUE(first.has_value());
  for (const std::string& address : {loopback(p), std::string("not an address:x")}) {
    auto second = peer_network::start({address, {}}, [](std::vector<std::string>) {});
    ASSERT_FALSE(second.has_value()) << address;
    EXPECT_NE(second.error().message.find("cannot listen for validators at"), std::string::npos) << second.error().message;
    EXPECT_EQ(second.error().message.find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace ciro::net
