// ciro submit, ciro status, ciro cancel: clients of a node's Cap'n Proto sidecar (net/client.hpp).

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "net/client.hpp"
#include "net/kafka.hpp"
#include "net/wire_codec.hpp"
#include "net/server.hpp"

namespace ciro::cli {

namespace {

/// Reads a whole file of at most `max` bytes.
std::optional<std::string> read_all(const std::string& path, std::size_t max) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::string s;
  char buffer[1 << 16];
  while (f.read(buffer, sizeof buffer) || f.gcount() > 0) {
    s.append(buffer, static_cast<std::size_t>(f.gcount()));
    if (s.size() > max) return std::nullopt;
  }
  return f.bad() ? std::nullopt : std::optional(s);
}

/// A fresh job id: "job-" and 16 random hex digits.
std::string fresh_id() {
  std::random_device rd;
  std::uint64_t v = (std::uint64_t{rd()} << 32) ^ rd();
  char buf[32];
  std::snprintf(buf, sizeof buf, "job-%016llx", static_cast<unsigned long long>(v));
  return buf;
}

/// The options every client command takes: --server ADDR, --token-file FILE, --timeout-s N, --tls
/// and --tls-ca PEM (TLS, trusting the system's certificates and PEM's).
struct connection_flags {
  net::client_options options = [] {
    net::client_options o;
    o.address = net::default_rpc_address;
    return o;
  }();
  /// Consumes args[i] (and its value) when it is one of them; the reason for a bad value in `why`.
  bool take(const std::vector<std::string>& args, std::size_t& i, std::string& why) {
    const std::string& a = args[i];
    if (a == "--tls") {
      options.tls = true;
      return true;
    }
    if (a != "--server" && a != "--token-file" && a != "--timeout-s" && a != "--tls-ca") return false;
    if (i + 1 >= args.size()) {
      why = a + " needs a value";
      return true;
    }
    const std::string& v = args[++i];
    if (a == "--server") {
      options.address = v;
    } else if (a == "--tls-ca") {
      const auto pem = read_all(v, 1 << 20);
      if (!pem) {
        why = "cannot read the certificate " + v;
        return true;
      }
      options.tls = true;
      options.tls_ca_pem = *pem;
    } else if (a == "--token-file") {
      const auto t = read_all(v, 4096);
      if (!t) {
        why = "cannot read a token from " + v;
        return true;
      }
      std::string token = t->substr(0, t->find('\n'));
      while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
      options.token = token;
    } else {
      if (v.empty() || v.size() > 7 || v.find_first_not_of("0123456789") != std::string::npos || std::stoul(v) == 0) {
        why = "--timeout-s takes a positive number of seconds";
        return true;
      }
      options.timeout = std::chrono::seconds(std::stoul(v));
    }
    return true;
  }
};

/// Writes `bytes` to `path`; false when it cannot.
bool write_all(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  return static_cast<bool>(out);
}

/// One line for a result: its status, what was proven, its cost and its prediction.
std::string describe(const net::job_answer& a) {
  std::string line = a.id + ": " + net::to_string(a.status);
  if (!a.reason.empty()) line += ": " + a.reason;
  const nlohmann::json j = nlohmann::json::parse(a.result_json, nullptr, false);
  if (j.is_object() && j.contains("result") && j["result"].is_object()) {
    const auto& r = j["result"];
    if (r.value("kind", "") == "air") {
      line += ", " + r.value("air", std::string("?")) + " 2^" + std::to_string(r.value("log_rows", 0));
    } else if (r.contains("model_hash")) {
      line += ", model " + r.value("model_hash", std::string("?")).substr(0, 18) + "...";
    }
    if (r.contains("proof_bytes")) line += ", proof " + std::to_string(r.value("proof_bytes", 0)) + " bytes";
  }
  if (j.is_object() && j.contains("cost") && j["cost"].is_object() && a.status == net::job_status::done) {
    const auto& c = j["cost"];
    char buf[200];
    std::snprintf(buf, sizeof buf, ", wall %.3f s, cpu %.3f s, peak %.0f MiB, cost %.6g", c.value("wall_s", 0.0),
                  c.value("cpu_s", 0.0), static_cast<double>(c.value("peak_rss_bytes", std::uint64_t{0})) / (1 << 20),
                  c.value("price", 0.0));
    line += buf;
  }
  if (a.predicted_s) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " (predicted %.3f s)", *a.predicted_s);
    line += buf;
  }
  return line;
}

/// Produces the job to the farm's jobs topic (key: its id) and waits for its result on the results
/// topic, read from the start by a group of its own (every result of the topic is looked at).
result<net::job_answer, int> submit_through_kafka(const std::string& brokers, const net::kafka_properties& properties,
                                                  const net::job_submission& sub, std::chrono::milliseconds timeout) {
  const net::kafka_config topics;
  const auto payload = net::encode_job_message(sub);
  if (!payload) return payload.error();
  const std::string id = nlohmann::json::parse(sub.job_json)["id"].get<std::string>();
  auto producer = net::kafka_producer::create(brokers, properties);
  if (!producer) return producer.error();
  auto consumer = net::kafka_consumer::create(brokers, "ciro-submit-" + id, topics.results_topic, true, {}, properties);
  if (!consumer) return consumer.error();
  const auto sent = producer.value()->produce_and_wait(topics.jobs_topic, id, payload.value());
  if (!sent) return sent.error();
  std::fprintf(stderr, "ciro submit: %s: sent to %s\n", id.c_str(), topics.jobs_topic.c_str());
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    const auto m = consumer.value()->poll(std::chrono::milliseconds(200));
    if (!m || m->key != id) continue;
    const auto answer = net::decode_result_message(m->payload, std::size_t{1} << 30);
    if (answer) return answer.value();
  }
  return error<int>{0, "no result on " + topics.results_topic + " before the timeout"};
}

}  // namespace

int submit_command(const std::vector<std::string>& args) {
  connection_flags conn;
  nlohmann::json job = nlohmann::json::object();
  std::string model_path, input_path, proof_path, json_path, kafka_brokers;
  net::kafka_properties kafka_properties;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string why;
    if (conn.take(args, i, why)) {
      if (!why.empty()) return usage_error("submit: " + why);
      continue;
    }
    if (a == "--help" || a == "-h") {
      std::puts(
          "usage: ciro submit [--server ADDR [--token-file FILE] [--tls] [--tls-ca PEM] | --kafka BROKERS\n"
          "                   [--kafka-option NAME=VALUE]...] [--timeout-s N] [--id ID]\n"
          "                   (--air NAME --log-rows K [--instances N] | --model M.onnx --input IN)\n"
          "                   [--profile fast|secure] [--deadline-ms T] [--priority P] [-o PROOF] [--json OUT]");
      return exit_ok;
    }
    if (i + 1 >= args.size()) return usage_error("submit: unknown or incomplete option '" + a + "' (see ciro submit --help)");
    const std::string& v = args[++i];
    const auto number = [&](long long lo, long long hi) -> std::optional<long long> {
      try {
        std::size_t used = 0;
        const long long n = std::stoll(v, &used);
        if (used != v.size() || n < lo || n > hi) return std::nullopt;
        return n;
      } catch (...) {
        return std::nullopt;
      }
    };
    if (a == "--kafka") {
      kafka_brokers = v;
    } else if (a == "--kafka-option") {
      const auto eq = v.find('=');
      if (eq == std::string::npos || eq == 0) return usage_error("submit: --kafka-option takes NAME=VALUE (a librdkafka property)");
      const std::string why = net::kafka_property_refused(v.substr(0, eq));
      if (!why.empty()) return usage_error("submit: --kafka-option: " + why);
      kafka_properties.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else if (a == "--id") {
      job["id"] = v;
    } else if (a == "--air") {
      job["air"] = v;
    } else if (a == "--log-rows" || a == "--instances" || a == "--deadline-ms" || a == "--priority") {
      const auto n = a == "--priority" ? number(-1000, 1000) : number(1, a == "--deadline-ms" ? (1ll << 40) : 65535);
      if (!n) return usage_error("submit: " + a + " takes an integer in range, not '" + v + "'");
      job[a == "--log-rows" ? "log_rows" : a == "--instances" ? "instances" : a == "--deadline-ms" ? "deadline_ms" : "priority"] = *n;
    } else if (a == "--profile") {
      job["profile"] = v;
    } else if (a == "--model") {
      model_path = v;
    } else if (a == "--input") {
      input_path = v;
    } else if (a == "-o") {
      proof_path = v;
    } else if (a == "--json") {
      json_path = v;
    } else {
      return usage_error("submit: unknown option '" + a + "' (see ciro submit --help)");
    }
  }
  if (job.contains("air") == !model_path.empty()) return usage_error("submit: give --air NAME --log-rows K, or --model M.onnx --input IN");
  if (job.contains("air") && !job.contains("log_rows")) return usage_error("submit: --air needs --log-rows");
  if (!model_path.empty() && input_path.empty()) return usage_error("submit: --model needs --input");
  if (!job.contains("id")) job["id"] = fresh_id();
  if (!kafka_properties.empty() && kafka_brokers.empty()) return usage_error("submit: --kafka-option needs --kafka BROKERS");
  if (!kafka_brokers.empty() && (conn.options.address != net::default_rpc_address || !conn.options.token.empty())) {
    return usage_error("submit: --kafka and --server/--token-file do not go together");
  }
  net::job_submission sub;
  if (!model_path.empty()) {
    constexpr std::size_t max_file = std::size_t{200} << 20;
    const auto m = read_all(model_path, max_file);
    if (!m) return usage_error("submit: cannot read " + model_path + " (or it is over 200 MiB)");
    const auto in = read_all(input_path, max_file);
    if (!in) return usage_error("submit: cannot read " + input_path + " (or it is over 200 MiB)");
    sub.model_bytes = *m;
    sub.input_bytes = *in;
  }
  sub.job_json = job.dump();
  result<net::job_answer, int> r = error<int>{0, ""};
  if (!kafka_brokers.empty()) {
    r = submit_through_kafka(kafka_brokers, kafka_properties, sub, conn.options.timeout);
  } else {
    auto client = net::client::connect(conn.options);
    if (!client) return usage_error("submit: " + client.error().message);
    r = client.value()->submit(sub, [](const net::job_answer& accepted) {
      std::fprintf(stderr, "ciro submit: %s\n", describe(accepted).c_str());
    });
  }
  if (!r) return usage_error("submit: " + r.error().message);
  const net::job_answer& a = r.value();
  std::printf("%s\n", describe(a).c_str());
  if (!json_path.empty() && !a.result_json.empty() && !write_all(json_path, a.result_json)) {
    return usage_error("submit: cannot write " + json_path);
  }
  if (a.status == net::job_status::busy) return usage_error("submit: the node stayed busy until the timeout");
  if (a.status != net::job_status::done) return exit_failed;
  if (!proof_path.empty() && !write_all(proof_path, a.proof)) return usage_error("submit: cannot write " + proof_path);
  return exit_ok;
}

int status_command(const std::vector<std::string>& args, bool cancel) {
  const char* name = cancel ? "cancel" : "status";
  connection_flags conn;
  std::string id, proof_path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string why;
    if (conn.take(args, i, why)) {
      if (!why.empty()) return usage_error(std::string(name) + ": " + why);
      continue;
    }
    if (args[i] == "--help" || args[i] == "-h") {
      std::printf("usage: ciro %s [--server ADDR] [--token-file FILE] [--tls] [--tls-ca PEM] [--timeout-s N] ID%s\n", name,
                  cancel ? "" : " [-o PROOF]");
      return exit_ok;
    }
    if (!cancel && args[i] == "-o" && i + 1 < args.size()) {
      proof_path = args[++i];
    } else if (args[i].rfind("-", 0) != 0 && id.empty()) {
      id = args[i];
    } else {
      return usage_error(std::string(name) + ": unknown option or second id '" + args[i] + "'");
    }
  }
  if (id.empty()) return usage_error(std::string(name) + ": which job? (ciro " + name + " ID)");
  auto client = net::client::connect(conn.options);
  if (!client) return usage_error(std::string(name) + ": " + client.error().message);
  const auto r = cancel ? client.value()->cancel(id) : client.value()->status(id, !proof_path.empty());
  if (!r) return usage_error(std::string(name) + ": " + r.error().message);
  std::printf("%s\n", describe(r.value()).c_str());
  if (!proof_path.empty() && r.value().status == net::job_status::done && !write_all(proof_path, r.value().proof)) {
    return usage_error("status: cannot write " + proof_path);
  }
  if (cancel) return r.value().status == net::job_status::cancelled ? exit_ok : exit_failed;
  return r.value().status == net::job_status::unknown ? exit_failed : exit_ok;
}

}  // namespace ciro::cli
