#include "net/redis.hpp"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <charconv>
#include <vector>

namespace ciro::net {

namespace {

timeval to_timeval(std::chrono::milliseconds t) {
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(t.count() / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((t.count() % 1000) * 1000);
  return tv;
}

redisContext* ctx(void* p) { return static_cast<redisContext*>(p); }

}  // namespace

result<redis_address, int> parse_redis_address(std::string_view text) {
  using err = error<int>;
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return err{0, "a Redis address is HOST:PORT, not '" + std::string(text.substr(0, 100)) + "'"};
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
    return err{0, "the Redis port must be 1..65535, not '" + std::string(port_text.substr(0, 20)) + "'"};
  return redis_address{std::string(text.substr(0, colon)), static_cast<std::uint16_t>(port)};
}

/// A reply: its type and, for strings, statuses and errors, its text.
struct redis_connection::reply {
  int type = REDIS_REPLY_NIL;
  std::string text;
};

redis_connection::redis_connection(redis_address address, std::chrono::milliseconds timeout)
    : address_(std::move(address)), timeout_(timeout) {}

redis_connection::~redis_connection() { drop(); }

void redis_connection::drop() {
  if (context_) redisFree(ctx(context_));
  context_ = nullptr;
}

result<std::monostate, int> redis_connection::connect() {
  using err = error<int>;
  const timeval tv = to_timeval(timeout_);
  redisContext* c = redisConnectWithTimeout(address_.host.c_str(), address_.port, tv);
  if (c == nullptr) return err{0, "redis: out of memory"};
  if (c->err) {
    std::string reason = "redis " + address_.host + ":" + std::to_string(address_.port) + ": " + c->errstr;
    redisFree(c);
    return err{0, reason};
  }
  if (redisSetTimeout(c, tv) != REDIS_OK) {
    redisFree(c);
    return err{0, "redis: cannot set the command timeout"};
  }
  context_ = c;
  return std::monostate{};
}

result<redis_connection::reply, int> redis_connection::command(std::initializer_list<std::string_view> argv) {
  using err = error<int>;
  if (!context_) {
    auto c = connect();
    if (!c) return c.error();
  }
  std::vector<const char*> args;
  std::vector<std::size_t> lengths;
  for (const auto a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(redisCommandArgv(ctx(context_), static_cast<int>(args.size()), args.data(), lengths.data()));
  if (r == nullptr) {
    std::string reason = std::string("redis: ") + (ctx(context_)->errstr[0] ? ctx(context_)->errstr : "no reply");
    drop();
    return err{0, reason};
  }
  reply out;
  out.type = r->type;
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR) {
    if (r->len > max_reply_bytes) {
      freeReplyObject(r);
      drop();
      return err{0, "redis: a reply over 512 MiB"};
    }
    out.text.assign(r->str, r->len);
  }
  freeReplyObject(r);
  if (out.type == REDIS_REPLY_ERROR) return err{0, "redis: " + out.text.substr(0, 200)};
  return out;
}

result<std::monostate, int> redis_connection::ping() {
  auto r = command({"PING"});
  if (!r) return r.error();
  if (r.value().type != REDIS_REPLY_STATUS || r.value().text != "PONG") return error<int>{0, "redis: PING answered " + r.value().text};
  return std::monostate{};
}

result<std::optional<std::string>, int> redis_connection::get(std::string_view key) {
  auto r = command({"GET", key});
  if (!r) return r.error();
  if (r.value().type == REDIS_REPLY_NIL) return std::optional<std::string>();
  if (r.value().type != REDIS_REPLY_STRING) return error<int>{0, "redis: GET answered a type other than a string"};
  return std::optional<std::string>(std::move(r.value().text));
}

result<std::monostate, int> redis_connection::set(std::string_view key, std::string_view value, std::chrono::seconds ttl) {
  const std::string seconds = std::to_string(std::max<long long>(1, ttl.count()));
  auto r = command({"SET", key, value, "EX", seconds});
  if (!r) return r.error();
  if (r.value().type != REDIS_REPLY_STATUS || r.value().text != "OK") return error<int>{0, "redis: SET answered " + r.value().text};
  return std::monostate{};
}

result<std::monostate, int> redis_connection::del(std::string_view key) {
  auto r = command({"DEL", key});
  if (!r) return r.error();
  return std::monostate{};
}

}  // namespace ciro::net
