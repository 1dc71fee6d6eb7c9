#include "runtime/result_cache.hpp"

#include <algorithm>

#include "hash/sha256.hpp"
#include "zkml/model_input.hpp"

namespace ciro::runtime {

namespace {

constexpr std::string_view cached_magic = "CIROR1";

std::string id_key(const std::string& id) { return "ciro:result:id:" + id; }
std::string content_cache_key(const std::string& content) { return "ciro:result:content:" + content; }

}  // namespace

result<std::string, int> content_key(const job_spec& job, const std::filesystem::path& base) {
  if (job.what == job_spec::kind::air) {
    return std::string("air:") + job.air + ":" + std::to_string(job.log_rows) + ":" + std::to_string(job.instances) + ":" +
           job.profile;
  }
  std::string key = "model";
  for (const std::string& p : {job.model, job.input}) {
    auto bytes = zkml::read_file(std::filesystem::path(p).is_absolute() ? p : (base / p).string(), std::size_t{1} << 30);
    if (!bytes) return bytes.error();
    key += ':';
    key += hash::sha256::hex_digest(bytes.value());
  }
  return key + ":" + job.profile;
}

std::string encode_cached(const cached_result& r) {
  std::string out(cached_magic);
  const auto n = static_cast<std::uint32_t>(r.result_text.size());
  for (int i = 0; i < 4; ++i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  return out + r.result_text + r.proof;
}

std::optional<cached_result> decode_cached(std::string_view bytes) {
  if (bytes.size() < cached_magic.size() + 4 || bytes.substr(0, cached_magic.size()) != cached_magic) return std::nullopt;
  std::uint32_t n = 0;
  for (std::size_t i = 0; i < 4; ++i)
    n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[cached_magic.size() + i])) << (8 * i);
  const std::string_view rest = bytes.substr(cached_magic.size() + 4);
  if (n > rest.size()) return std::nullopt;
  return cached_result{std::string(rest.substr(0, n)), std::string(rest.substr(n))};
}

result_cache::result_cache(redis_cache_config config, std::function<void(const std::string&)> on_event)
    : config_(std::move(config)), on_event_(std::move(on_event)), reader_(config_.address, config_.timeout) {
  writer_ = std::thread([this] { run(); });
}

result_cache::~result_cache() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  writer_.join();
}

void result_cache::went_down(const std::string& reason) {
  if (health_ == health::down) return;
  health_ = health::down;
  ++counts_.outages;
  counts_.up = false;
  if (on_event_) on_event_("redis down (" + reason + "): the node goes on without its cache and reconnects");
}

void result_cache::run() {
  net::redis_connection conn(config_.address, config_.timeout);
  std::chrono::milliseconds backoff{100};
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (health_ != health::up) {
      lock.unlock();
      auto pong = conn.ping();
      lock.lock();
      if (pong) {
        if (health_ == health::down && on_event_) on_event_("redis back: the cache is used again");
        health_ = health::up;
        counts_.up = true;
        backoff = std::chrono::milliseconds(100);
      } else {
        went_down(pong.error().message);
        changed_.notify_all();
        changed_.wait_for(lock, backoff, [this] { return stop_; });
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(5));
      }
      continue;
    }
    if (pending_.empty()) {
      // Idle: a PING a second notices an outage before a lookup has to.
      if (changed_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_ || !pending_.empty(); })) continue;
      lock.unlock();
      auto pong = conn.ping();
      lock.lock();
      if (!pong) went_down(pong.error().message);
      continue;
    }
    write w = std::move(pending_.front());
    pending_.pop_front();
    writing_ = true;
    lock.unlock();
    auto by_id = conn.set(id_key(w.id), w.value, config_.ttl);
    auto by_content = by_id ? conn.set(content_cache_key(w.content), w.value, config_.ttl) : by_id;
    lock.lock();
    writing_ = false;
    if (by_content) {
      ++counts_.stored;
    } else {
      pending_.push_front(std::move(w));  // written once Redis is back
      went_down(by_content.error().message);
    }
    changed_.notify_all();
  }
}

std::optional<cached_result> result_cache::lookup(const std::string& id, const std::string& content) {
  {
    std::lock_guard lock(mutex_);
    if (health_ != health::up) {
      ++counts_.misses;
      return std::nullopt;
    }
  }
  for (const std::string& key : {id_key(id), content_cache_key(content)}) {
    auto value = reader_.get(key);
    if (!value) {  // the writer's PING decides whether Redis is down
      std::lock_guard lock(mutex_);
      ++counts_.misses;
      return std::nullopt;
    }
    if (!value.value()) continue;
    if (auto r = decode_cached(*value.value())) {
      std::lock_guard lock(mutex_);
      ++counts_.hits;
      return r;
    }
  }
  std::lock_guard lock(mutex_);
  ++counts_.misses;
  return std::nullopt;
}

void result_cache::store(const std::string& id, const std::string& content, cached_result r) {
  {
    std::lock_guard lock(mutex_);
    if (pending_.size() >= config_.max_pending) {
      pending_.pop_front();
      ++counts_.dropped;
    }
    pending_.push_back({id, content, encode_cached(r)});
  }
  changed_.notify_all();
}

void result_cache::flush(std::chrono::milliseconds max) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, max, [this] { return (pending_.empty() && !writing_) || health_ == health::down; });
}

result_cache::counters result_cache::stats() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

}  // namespace ciro::runtime
