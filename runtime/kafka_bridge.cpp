#include "runtime/kafka_bridge.hpp"

#include "net/wire_codec.hpp"

namespace ciro::runtime {

namespace {

/// The largest job message taken: a model and its input (Kafka's own limit is set to match).
constexpr std::size_t max_job_message_bytes = std::size_t{100} << 20;

}  // namespace

result<std::unique_ptr<kafka_bridge>, int> kafka_bridge::start(const net::kafka_config& config, net::job_service& service,
                                                              std::function<void(const std::string&)> log) {
  auto producer = net::kafka_producer::create(config.brokers, config.properties);
  if (!producer) return producer.error();
  std::unique_ptr<kafka_bridge> b(new kafka_bridge());
  auto consumer = net::kafka_consumer::create(
      config.brokers, config.group, config.jobs_topic, true,
      [p = b.get()](bool assigned, const std::vector<std::int32_t>& partitions, bool lost) {
        p->rebalance(assigned, partitions, lost);
      },
      config.properties);
  if (!consumer) return consumer.error();
  b->config_ = config;
  b->service_ = &service;
  b->log_ = std::move(log);
  b->producer_ = std::move(producer.value());
  b->consumer_ = std::move(consumer.value());
  b->thread_ = std::thread([p = b.get()] { p->consume(); });
  return b;
}

void kafka_bridge::stop_intake() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

kafka_bridge::~kafka_bridge() {
  stop_intake();
  producer_.reset();  // flushes: every delivery reported, every done offset committed
  if (consumer_) consumer_->close();  // the revoke commits what is finished, the consumer still whole
  consumer_.reset();
}

void kafka_bridge::alert(const std::string& text) {
  producer_->produce(config_.alerts_topic, "", text, [](bool, std::string) {});
  if (log_) log_("alert: " + text);
}

void kafka_bridge::rebalance(bool assigned, const std::vector<std::int32_t>& partitions, bool lost) {
  std::lock_guard lock(mutex_);
  for (const std::int32_t p : partitions) {
    if (assigned) {  // from the group's committed offset, whatever this node knew of it before
      owned_.insert(p);
      generation_[p] = ++assignments_;
      pending_.erase(p);
      highest_done_.erase(p);
      committed_.erase(p);
      continue;
    }
    // Revoked: the finished prefix is committed before the partition goes (not when lost: the
    // group has moved on), and nothing more is committed for it here. Jobs still running finish
    // and publish; their messages are consumed again by the new owner (a duplicate, never a loss).
    if (!lost && owned_.count(p)) {
      const auto& pending = pending_[p];
      const auto highest = highest_done_.find(p);
      const std::int64_t next = !pending.empty() ? *pending.begin() : highest != highest_done_.end() ? highest->second + 1 : -1;
      const auto committed = committed_.find(p);
      if (next >= 0 && (committed == committed_.end() || next > committed->second)) consumer_->commit(p, next, true);
    }
    owned_.erase(p);
    generation_.erase(p);
    pending_.erase(p);
    highest_done_.erase(p);
    committed_.erase(p);
  }
  if (log_) {
    std::string list;
    for (const std::int32_t p : partitions) {
      if (!list.empty()) list += ',';
      list += std::to_string(p);
    }
    log_(std::string(assigned ? "partitions assigned: " : lost ? "partitions lost: " : "partitions revoked: ") + list);
  }
}

void kafka_bridge::done(std::int32_t partition, std::int64_t offset, std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  const auto owned = generation_.find(partition);
  if (owned == generation_.end() || owned->second != generation) return;  // its owner now commits it
  auto& pending = pending_[partition];
  pending.erase(offset);
  auto& highest = highest_done_.try_emplace(partition, -1).first->second;
  highest = std::max(highest, offset);
  // Everything below the first offset still pending is done (pending holds every taken offset).
  const std::int64_t next = pending.empty() ? highest + 1 : *pending.begin();
  auto& committed = committed_.try_emplace(partition, -1).first->second;
  if (next > committed) {
    committed = next;
    consumer_->commit(partition, next);
  }
}

void kafka_bridge::publish(const net::job_answer& answer, std::int32_t partition, std::int64_t offset,
                           std::uint64_t generation) {
  if (answer.status == net::job_status::failed) alert("job " + answer.id + " failed: " + answer.reason);
  producer_->produce(config_.results_topic, answer.id, net::encode_result_message(answer),
                     [this, partition, offset, generation, id = answer.id](bool ok, std::string why) {
                       if (ok) {
                         done(partition, offset, generation);
                       } else if (log_) {  // not committed: the job is delivered again
                         log_("result of job " + id + " not delivered to Kafka: " + why);
                       }
                     });
}

void kafka_bridge::consume() {
  while (!stopping_.load()) {
    auto m = consumer_->poll(std::chrono::milliseconds(100));
    if (!m) continue;
    std::uint64_t generation = 0;
    {
      std::lock_guard lock(mutex_);
      pending_[m->partition].insert(m->offset);
      generation = generation_[m->partition];
    }
    auto job = net::decode_job_message(m->payload, max_job_message_bytes);
    if (!job) {
      alert("undecodable job message at " + config_.jobs_topic + " partition " + std::to_string(m->partition) + " offset " +
            std::to_string(m->offset) + ": " + job.error().message);
      done(m->partition, m->offset, generation);
      continue;
    }
    const std::int32_t partition = m->partition;
    const std::int64_t offset = m->offset;
    for (;;) {
      const net::job_answer a = service_->submit(job.value(), [this, partition, offset, generation](net::job_answer result) {
        publish(result, partition, offset, generation);
      });
      if (a.status == net::job_status::queued || a.status == net::job_status::running) break;  // published when done
      if (a.status != net::job_status::busy) {  // final at once: done before, or refused
        publish(a, partition, offset, generation);
        break;
      }
      if (stopping_.load()) break;  // not committed: delivered again to whoever takes the partition
      std::this_thread::sleep_for(std::chrono::milliseconds(std::max<std::uint32_t>(5, a.retry_after_ms)));
    }
  }
}

}  // namespace ciro::runtime
