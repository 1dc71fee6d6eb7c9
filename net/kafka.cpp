#include "net/kafka.hpp"

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <future>
#include <string_view>
#include <thread>

namespace ciro::net {

namespace {

using err = error<int>;

/// Sets one configuration property; false with the reason when librdkafka refuses it.
bool set(rd_kafka_conf_t* conf, const char* key, const std::string& value, std::string& why) {
  char buf[512];
  if (rd_kafka_conf_set(conf, key, value.c_str(), buf, sizeof buf) == RD_KAFKA_CONF_OK) return true;
  why = std::string(key) + ": " + buf;
  return false;
}

/// Sets the operator's properties after Ciro's own; false with the reason for the first refused.
bool set_all(rd_kafka_conf_t* conf, const kafka_properties& properties, std::string& why) {
  for (const auto& [name, value] : properties) {
    why = kafka_property_refused(name);
    if (!why.empty()) return false;
    if (!set(conf, name.c_str(), value, why)) return false;
  }
  return true;
}

/// What a delivery report calls back (owned by the message's opaque pointer until then).
using delivery = std::function<void(bool, std::string)>;

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  std::unique_ptr<delivery> done(static_cast<delivery*>(m->_private));
  if (done && *done) (*done)(m->err == RD_KAFKA_RESP_ERR_NO_ERROR, m->err ? rd_kafka_err2str(m->err) : "");
}

}  // namespace

struct kafka_producer::impl {
  rd_kafka_t* rk = nullptr;
  std::atomic<bool> stopping{false};
  std::thread poller;  // serves delivery reports
  ~impl() {
    if (!rk) return;
    rd_kafka_flush(rk, 30000);
    stopping = true;
    if (poller.joinable()) poller.join();
    rd_kafka_destroy(rk);
  }
};

std::string kafka_property_refused(const std::string& name) {
  static constexpr std::string_view own[] = {"bootstrap.servers", "metadata.broker.list", "group.id", "enable.idempotence",
                                             "acks", "request.required.acks", "enable.auto.commit",
                                             "enable.auto.offset.store", "auto.offset.reset"};
  for (const std::string_view o : own) {
    if (name == o) return name + " is set by Ciro (its delivery guarantees rest on it)";
  }
  return "";
}

result<std::unique_ptr<kafka_producer>, int> kafka_producer::create(const std::string& brokers, const kafka_properties& properties) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::string why;
  if (!set(conf, "bootstrap.servers", brokers, why) || !set(conf, "enable.idempotence", "true", why) ||
      !set(conf, "acks", "all", why) || !set(conf, "message.max.bytes", "100000000", why) ||
      !set(conf, "linger.ms", "1", why) || !set_all(conf, properties, why)) {
    rd_kafka_conf_destroy(conf);
    return err{0, "kafka producer: " + why};
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  char buf[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, buf, sizeof buf);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return err{0, std::string("kafka producer: ") + buf};
  }
  std::unique_ptr<kafka_producer> p(new kafka_producer());
  p->impl_ = std::make_unique<impl>();
  p->impl_->rk = rk;
  auto* im = p->impl_.get();
  im->poller = std::thread([im] {
    while (!im->stopping.load()) rd_kafka_poll(im->rk, 50);
  });
  return p;
}

kafka_producer::~kafka_producer() = default;

void kafka_producer::produce(const std::string& topic, const std::string& key, const std::string& payload,
                             std::function<void(bool, std::string)> delivered) {
  auto* done = new delivery(std::move(delivered));
  const rd_kafka_resp_err_t e = rd_kafka_producev(
      impl_->rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_OPAQUE(done), RD_KAFKA_V_END);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {  // not queued: no report will come
    std::unique_ptr<delivery> owned(done);
    if (*owned) (*owned)(false, rd_kafka_err2str(e));
  }
}

result<std::monostate, int> kafka_producer::produce_and_wait(const std::string& topic, const std::string& key,
                                                            const std::string& payload) {
  auto outcome = std::make_shared<std::promise<std::string>>();
  auto f = outcome->get_future();
  produce(topic, key, payload, [outcome](bool ok, std::string why) { outcome->set_value(ok ? "" : why.empty() ? "failed" : why); });
  const std::string why = f.get();
  if (!why.empty()) return err{0, "kafka: " + topic + ": " + why};
  return std::monostate{};
}

struct kafka_consumer::impl {
  rd_kafka_t* rk = nullptr;
  std::string topic;
  rebalance_handler on_rebalance;
  bool closed = false;
  ~impl() {
    if (!rk) return;
    if (!closed) rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};

namespace {

/// librdkafka's rebalance callback: tells the handler, then applies the change (incrementally, as
/// the cooperative protocol asks; whole assignments under an eager one).
void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void* opaque) {
  auto* consumer = static_cast<kafka_consumer::impl*>(opaque);
  const bool assigned = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
  std::vector<std::int32_t> partitions;
  for (int i = 0; i < parts->cnt; ++i) partitions.push_back(parts->elems[i].partition);
  if (consumer->on_rebalance) consumer->on_rebalance(assigned, partitions, !assigned && rd_kafka_assignment_lost(rk));
  if (std::string_view(rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE") {
    rd_kafka_error_t* e = assigned ? rd_kafka_incremental_assign(rk, parts) : rd_kafka_incremental_unassign(rk, parts);
    if (e) rd_kafka_error_destroy(e);
  } else {
    rd_kafka_assign(rk, assigned ? parts : nullptr);
  }
}

}  // namespace

result<std::unique_ptr<kafka_consumer>, int> kafka_consumer::create(const std::string& brokers, const std::string& group,
                                                                   const std::string& topic, bool from_start,
                                                                   rebalance_handler handler, const kafka_properties& properties) {
  auto state = std::make_unique<impl>();
  state->topic = topic;
  state->on_rebalance = std::move(handler);
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::string why;
  if (!set(conf, "bootstrap.servers", brokers, why) || !set(conf, "group.id", group, why) ||
      !set(conf, "enable.auto.commit", "false", why) || !set(conf, "auto.offset.reset", from_start ? "earliest" : "latest", why) ||
      !set(conf, "partition.assignment.strategy", "cooperative-sticky", why) ||
      !set(conf, "fetch.message.max.bytes", "100000000", why) || !set(conf, "session.timeout.ms", "6000", why) ||
      !set_all(conf, properties, why)) {
    rd_kafka_conf_destroy(conf);
    return err{0, "kafka consumer: " + why};
  }
  rd_kafka_conf_set_opaque(conf, state.get());
  rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
  char buf[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, buf, sizeof buf);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return err{0, std::string("kafka consumer: ") + buf};
  }
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  const rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_destroy(rk);
    return err{0, std::string("kafka consumer: subscribe: ") + rd_kafka_err2str(e)};
  }
  std::unique_ptr<kafka_consumer> c(new kafka_consumer());
  state->rk = rk;
  c->impl_ = std::move(state);
  return c;
}

void kafka_consumer::close() {
  if (impl_->closed) return;
  rd_kafka_consumer_close(impl_->rk);
  impl_->closed = true;
}

kafka_consumer::~kafka_consumer() = default;

std::optional<kafka_message> kafka_consumer::poll(std::chrono::milliseconds wait) {
  rd_kafka_message_t* m = rd_kafka_consumer_poll(impl_->rk, static_cast<int>(wait.count()));
  if (!m) return std::nullopt;
  std::optional<kafka_message> out;
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    kafka_message k;
    k.topic = m->rkt ? rd_kafka_topic_name(m->rkt) : impl_->topic;
    if (m->key) k.key.assign(static_cast<const char*>(m->key), m->key_len);
    if (m->payload) k.payload.assign(static_cast<const char*>(m->payload), m->len);
    k.partition = m->partition;
    k.offset = m->offset;
    out = std::move(k);
  }
  rd_kafka_message_destroy(m);
  return out;
}

void kafka_consumer::commit(std::int32_t partition, std::int64_t next_offset, bool wait) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, impl_->topic.c_str(), partition)->offset = next_offset;
  // Async: a later commit of the same partition supersedes it.
  rd_kafka_commit(impl_->rk, list, wait ? 0 : 1);
  rd_kafka_topic_partition_list_destroy(list);
}

}  // namespace ciro::net
