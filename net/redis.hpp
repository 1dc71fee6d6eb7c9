#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/result.hpp"

/// Redis through hiredis (Debian libhiredis-dev 0.14, its synchronous API; RESP2): the commands a
/// node's result cache needs, each bounded by a timeout (docs/farm.md, "Redis").
namespace ciro::net {

/// Where a Redis server listens.
struct redis_address {
  std::string host;
  std::uint16_t port = 6379;
};

/// Parses "HOST:PORT" (PORT 1..65535). Fails with a one-line reason.
result<redis_address, int> parse_redis_address(std::string_view text);

/// One connection to a Redis server, for one thread at a time. It connects on first use; every
/// connect and command waits at most `timeout`; a command that fails on the connection (refused,
/// timed out, closed) drops it, and the next command connects again. A reply larger than
/// max_reply_bytes is refused (hiredis's own reader limit).
class redis_connection {
 public:
  redis_connection(redis_address address, std::chrono::milliseconds timeout);
  ~redis_connection();
  redis_connection(const redis_connection&) = delete;
  redis_connection& operator=(const redis_connection&) = delete;

  /// PING: the server answers.
  result<std::monostate, int> ping();
  /// GET key: its value, or nullopt when the key does not exist (or has expired).
  result<std::optional<std::string>, int> get(std::string_view key);
  /// SET key value EX ttl (ttl >= 1 s).
  result<std::monostate, int> set(std::string_view key, std::string_view value, std::chrono::seconds ttl);
  /// DEL key.
  result<std::monostate, int> del(std::string_view key);

  /// True while a connection is open (the last command did not fail on it).
  [[nodiscard]] bool connected() const { return context_ != nullptr; }

  /// The largest value this client reads: 512 MiB (Redis' own limit on a string).
  static constexpr std::size_t max_reply_bytes = std::size_t{512} << 20;

 private:
  struct reply;
  /// Sends the command of `argv` and returns its reply (or why none came back).
  result<reply, int> command(std::initializer_list<std::string_view> argv);
  result<std::monostate, int> connect();
  void drop();

  redis_address address_;
  std::chrono::milliseconds timeout_;
  void* context_ = nullptr;  // redisContext*
};

}  // namespace ciro::net
