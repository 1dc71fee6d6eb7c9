// ciro serve: one proving node (runtime/node.hpp) with its Cap'n Proto sidecar and metrics endpoint
// (net/server.hpp), until SIGTERM or SIGINT (which drain it: nothing is lost) or, with --once,
// until its spool has nothing left to do. With no flags: RPC on 127.0.0.1:7441, metrics on
// 127.0.0.1:7442, the spool ./ciro-spool, all cores.

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "consensus/digest.hpp"
#include "consensus/json_format.hpp"
#include "runtime/node.hpp"

namespace ciro::cli {

namespace {

std::atomic<bool> stop_requested{false};

extern "C" void on_stop_signal(int) { stop_requested = true; }

constexpr const char* serve_usage =
    "usage: ciro serve [--config FILE] [--listen ADDR|none] [--metrics ADDR|none] [--spool DIR] [--token-file FILE]\n"
    "                  [--tls-cert PEM --tls-key PEM] [--kafka BROKERS [--group G] [--jobs-topic T] [--results-topic T]\n"
    "                  [--alerts-topic T] [--kafka-option NAME=VALUE]...] [--redis HOST:PORT [--redis-ttl SECONDS]] [--workers N] [--threads N]\n"
    "                  [--queue N] [--batch-jobs N [--batch-window-ms T]] [--price-core-hour X] [--once]\n"
    "                  [--validators SET.json --validator-key FILE --validator-peers ADDR,ADDR,...\n"
    "                   [--validator-batch N] [--validator-window-ms T]]";

/// A decimal count of at most `max`.
std::optional<unsigned long> count_of(const std::string& s, unsigned long max) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const unsigned long v = std::stoul(s);
  return v > max ? std::nullopt : std::optional(v);
}

/// The first line of a file (a token), without its line end; nothing when unreadable or empty.
std::optional<std::string> first_line(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  if (!f || !std::getline(f, line)) return std::nullopt;
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty() || line.size() > 4096) return std::nullopt;
  return line;
}

/// The settings of `ciro serve`, from --config and then the flags (a flag wins).
struct serve_settings {
  runtime::node_config node;
  std::string listen = net::default_rpc_address, metrics = net::default_metrics_address, token_file, tls_cert, tls_key;
  bool listen_given = false;
  std::map<std::string, std::string> kafka_names;  ///< --group and the topics
  net::kafka_properties kafka_properties;           ///< --kafka-option, in order
  std::optional<std::chrono::seconds> redis_ttl;
  std::string validators_file, validator_key_file;
  std::vector<std::string> validator_peers;
  std::optional<std::size_t> validator_batch;
  std::optional<std::chrono::milliseconds> validator_window;
};

/// Applies one setting (a flag's name without "--", or a config key with '_' for '-'); returns
/// the reason it is refused, or "".
std::string apply(serve_settings& s, const std::string& key, const std::string& value) {
  if (key == "listen") {
    s.listen = value;
    s.listen_given = true;
  } else if (key == "metrics") {
    s.metrics = value;
  } else if (key == "spool") {
    if (value.empty()) return "--spool takes a directory";
    s.node.spool = value;
  } else if (key == "token-file") {
    s.token_file = value;
  } else if (key == "kafka") {
    if (value.empty()) return "--kafka takes the brokers (HOST:PORT[,...])";
    if (!s.node.kafka) s.node.kafka = net::kafka_config{};
    s.node.kafka->brokers = value;
  } else if (key == "group" || key == "jobs-topic" || key == "results-topic" || key == "alerts-topic") {
    if (value.empty()) return "--" + key + " takes a name";
    s.kafka_names[key] = value;
  } else if (key == "kafka-option") {
    const auto eq = value.find('=');
    if (eq == std::string::npos || eq == 0) return "--kafka-option takes NAME=VALUE (a librdkafka property)";
    const std::string name = value.substr(0, eq), why = net::kafka_property_refused(name);
    if (!why.empty()) return "--kafka-option: " + why;
    s.kafka_properties.emplace_back(name, value.substr(eq + 1));
  } else if (key == "redis") {
    auto address = net::parse_redis_address(value);
    if (!address) return "--redis: " + address.error().message;
    if (!s.node.redis) s.node.redis = runtime::redis_cache_config{};
    s.node.redis->address = std::move(address.value());
  } else if (key == "redis-ttl") {
    const auto v = count_of(value, 366UL * 86400);
    if (!v || *v == 0) return "--redis-ttl takes seconds from 1 to 31622400";
    s.redis_ttl = std::chrono::seconds(*v);
  } else if (key == "tls-cert") {
    s.tls_cert = value;
  } else if (key == "tls-key") {
    s.tls_key = value;
  } else if (key == "workers") {
    const auto v = count_of(value, 256);
    if (!v || *v == 0) return "--workers takes a count from 1 to 256";
    s.node.workers = static_cast<unsigned>(*v);
  } else if (key == "threads") {
    const auto v = count_of(value, 4096);
    if (!v) return "--threads takes a count (0: placed by the node)";
    s.node.threads_per_worker = static_cast<unsigned>(*v);
  } else if (key == "queue") {
    const auto v = count_of(value, 1000000);
    if (!v) return "--queue takes a count";
    s.node.queue_limit = *v;
  } else if (key == "batch-jobs") {
    const auto v = count_of(value, 4096);
    if (!v) return "--batch-jobs takes a count from 0 (no batches) to 4096";
    s.node.batch.max_jobs = *v;
  } else if (key == "batch-window-ms") {
    const auto v = count_of(value, 60000);
    if (!v || *v == 0) return "--batch-window-ms takes milliseconds from 1 to 60000";
    s.node.batch.window = std::chrono::milliseconds(*v);
  } else if (key == "validators") {
    if (value.empty()) return "--validators takes a validator set file (ciro.validators.v1)";
    s.validators_file = value;
  } else if (key == "validator-key") {
    if (value.empty()) return "--validator-key takes a key file (ciro validator-key new FILE)";
    s.validator_key_file = value;
  } else if (key == "validator-peers") {
    s.validator_peers.clear();
    for (std::size_t at = 0; at <= value.size();) {
      const std::size_t comma = std::min(value.find(',', at), value.size());
      const std::string address = value.substr(at, comma - at);
      if (address.empty() || address.find(':') == std::string::npos) {
        return "--validator-peers takes HOST:PORT of every validator, in the set's order, separated by commas";
      }
      s.validator_peers.push_back(address);
      at = comma + 1;
    }
  } else if (key == "validator-batch") {
    const auto v = count_of(value, 4096);
    if (!v || *v == 0) return "--validator-batch takes a count from 1 to 4096";
    s.validator_batch = *v;
  } else if (key == "validator-window-ms") {
    const auto v = count_of(value, 60000);
    if (!v || *v == 0) return "--validator-window-ms takes milliseconds from 1 to 60000";
    s.validator_window = std::chrono::milliseconds(*v);
  } else if (key == "price-core-hour") {
    try {
      std::size_t used = 0;
      s.node.price.core_hour = std::stod(value, &used);
      if (used != value.size()) throw std::invalid_argument(value);
    } catch (...) {
      return "--price-core-hour takes a number";
    }
    if (!(s.node.price.core_hour >= 0)) return "--price-core-hour takes a number >= 0";
  } else {
    return "unknown option '--" + key + "'";
  }
  return "";
}

/// Reads a --config file: a JSON object of the flags' names (listen, metrics, spool, token_file, kafka,
/// group, jobs_topic, results_topic, alerts_topic, redis, redis_ttl,
/// workers, threads, queue, batch_jobs, batch_window_ms, validators, validator_key, validator_peers,
/// validator_batch, validator_window_ms, price_core_hour, once) and their values; kafka_options is
/// an object of librdkafka properties.
std::string apply_config(serve_settings& s, const std::string& path) {
  std::ifstream f(path);
  if (!f) return "cannot read " + path;
  const nlohmann::json j = nlohmann::json::parse(f, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return path + ": a config file is a JSON object (docs/runtime.md)";
  for (const auto& [k, v] : j.items()) {
    std::string key = k;
    for (char& c : key) c = c == '_' ? '-' : c;
    if (key == "kafka-options") {
      if (!v.is_object()) return path + ": \"kafka_options\" is an object of librdkafka properties";
      for (const auto& [name, value] : v.items()) {
        if (!value.is_string()) return path + ": kafka_options values are strings";
        const std::string why = apply(s, "kafka-option", name + "=" + value.get<std::string>());
        if (!why.empty()) return path + ": " + why;
      }
      continue;
    }
    if (key == "once") {
      if (!v.is_boolean()) return path + ": \"once\" is true or false";
      s.node.once = v.get<bool>();
      continue;
    }
    std::string value;
    if (v.is_string()) {
      value = v.get<std::string>();
    } else if (v.is_number()) {
      value = v.is_number_float() ? std::to_string(v.get<double>()) : v.dump();
    } else {
      return path + ": \"" + k.substr(0, 64) + "\" takes a string or a number";
    }
    const std::string why = apply(s, key, value);
    if (!why.empty()) return path + ": " + (why.rfind("unknown option", 0) == 0 ? "unknown key \"" + k.substr(0, 64) + "\"" : why);
  }
  return "";
}

/// Builds s.node.validator from the --validator flags (none given: no validators); returns why
/// they are refused, or "".
std::string validator_settings(serve_settings& s) {
  const bool any = !s.validators_file.empty() || !s.validator_key_file.empty() || !s.validator_peers.empty() ||
                   s.validator_batch || s.validator_window;
  if (!any) return "";
  if (s.validators_file.empty() || s.validator_key_file.empty() || s.validator_peers.empty()) {
    return "--validators, --validator-key and --validator-peers go together";
  }
  std::ifstream f(s.validators_file);
  if (!f) return "cannot read the validator set " + s.validators_file;
  const std::string text(std::istreambuf_iterator<char>(f), {});
  auto set = consensus::validators_from_json(text);
  if (!set) return s.validators_file + ": " + set.error().message;
  const auto key_hex = first_line(s.validator_key_file);
  const auto seed = key_hex ? consensus::from_hex<32>(*key_hex) : std::nullopt;
  if (!seed) return "cannot read a key from " + s.validator_key_file + " (64 hex characters: ciro validator-key new FILE)";
  runtime::validator_config v;
  v.validators = std::move(set.value());
  v.key = consensus::key_pair_from_seed(*seed);
  v.addresses = s.validator_peers;
  if (v.addresses.size() != v.validators.size()) {
    return "--validator-peers names " + std::to_string(v.addresses.size()) + " addresses for " +
           std::to_string(v.validators.size()) + " validators";
  }
  bool member = false;
  for (std::size_t i = 0; i < v.validators.size(); ++i) member = member || v.validators[i].key == v.key.public_key_bytes;
  if (!member) return "the key in " + s.validator_key_file + " is not one of the validators in " + s.validators_file;
  if (s.validator_batch) v.max_verdicts = *s.validator_batch;
  if (s.validator_window) v.window = *s.validator_window;
  s.node.validator = std::move(v);
  return "";
}

}  // namespace

int serve_command(const std::vector<std::string>& args) {
  serve_settings s;
  s.node.spool = "ciro-spool";
  // --config first, so the flags override it wherever they stand.
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] != "--config") continue;
    if (i + 1 >= args.size()) return usage_error("serve: --config takes a file");
    const std::string why = apply_config(s, args[i + 1]);
    if (!why.empty()) return usage_error("serve: " + why);
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::puts(serve_usage);
      return exit_ok;
    }
    if (a == "--once") {
      s.node.once = true;
      continue;
    }
    if (a.rfind("--", 0) != 0 || i + 1 >= args.size()) {
      return usage_error("serve: unknown or incomplete option '" + a + "' (see ciro serve --help)");
    }
    const std::string value = args[++i];
    if (a == "--config") continue;
    const std::string why = apply(s, a.substr(2), value);
    if (!why.empty()) return usage_error("serve: " + why + " (see ciro serve --help)");
  }
  if ((!s.kafka_names.empty() || !s.kafka_properties.empty()) && !s.node.kafka) {
    return usage_error("serve: --group, the topics and --kafka-option need --kafka BROKERS");
  }
  if (s.node.kafka) {
    s.node.kafka->properties = s.kafka_properties;
    for (const auto& [key, name] : s.kafka_names) {
      (key == "group" ? s.node.kafka->group : key == "jobs-topic" ? s.node.kafka->jobs_topic
                                            : key == "results-topic" ? s.node.kafka->results_topic
                                                                     : s.node.kafka->alerts_topic) = name;
    }
  }
  if (s.redis_ttl && !s.node.redis) return usage_error("serve: --redis-ttl needs --redis HOST:PORT");
  if (s.redis_ttl) s.node.redis->ttl = *s.redis_ttl;
  if (const std::string why = validator_settings(s); !why.empty()) return usage_error("serve: " + why);
  // --once drains a spool and stops: no network unless --listen asks for it.
  if (s.node.once && !s.listen_given) s.listen = "none";
  if (s.listen != "none") {
    net::server_config network;
    network.rpc_address = s.listen;
    network.metrics_address = s.metrics == "none" ? "" : s.metrics;
    if (!s.token_file.empty()) {
      const auto token = first_line(s.token_file);
      if (!token) return usage_error("serve: cannot read a token from " + s.token_file);
      network.token = *token;
    }
    if (s.tls_cert.empty() != s.tls_key.empty()) return usage_error("serve: --tls-cert and --tls-key go together");
    if (!s.tls_cert.empty()) {
      const auto pem = [](const std::string& path) -> std::optional<std::string> {
        std::ifstream f(path);
        if (!f) return std::nullopt;
        std::string text(std::istreambuf_iterator<char>(f), {});
        if (text.size() > (1 << 20)) return std::nullopt;
        return text;
      };
      const auto cert = pem(s.tls_cert), key = pem(s.tls_key);
      if (!cert) return usage_error("serve: cannot read the certificate " + s.tls_cert);
      if (!key) return usage_error("serve: cannot read the private key " + s.tls_key);
      network.tls_certificate_pem = *cert;
      network.tls_private_key_pem = *key;
    }
    const bool secured = !network.token.empty() && !network.tls_certificate_pem.empty();
    for (const auto& address : {network.rpc_address, network.metrics_address}) {
      if (!address.empty() && !secured && !net::is_loopback_address(address)) {
        return usage_error("serve: " + address +
                           " is not a loopback address: listening beyond this machine needs a token and TLS (--token-file, --tls-cert, --tls-key)");
      }
    }
    s.node.network = network;
    s.node.on_listening = [](const std::string& rpc, const std::string& metrics) {
      std::fprintf(stderr, "ciro serve: RPC on %s%s%s\n", rpc.c_str(), metrics.empty() ? "" : ", metrics on http://",
                   metrics.empty() ? "" : (metrics + "/").c_str());
    };
  } else if (!s.token_file.empty() || !s.tls_cert.empty()) {
    return usage_error("serve: --token-file and --tls-cert need the RPC (--listen)");
  }
  s.node.log = [](const std::string& line) { std::fprintf(stderr, "ciro serve: %s\n", line.c_str()); };
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGINT, on_stop_signal);
  const std::string workers = s.node.workers ? std::to_string(s.node.workers) + " worker(s)" : "a worker per core";
  std::fprintf(stderr, "ciro serve: spool %s, %s%s\n", s.node.spool.c_str(), workers.c_str(),
               s.node.once ? ", until the spool is empty" : "; SIGTERM drains and stops");
  auto r = runtime::run_node(s.node, stop_requested);
  if (!r) return usage_error("serve: " + r.error().message);
  std::printf("done %zu, failed %zu, recovered %zu, put back %zu\n", r.value().done, r.value().failed,
              r.value().recovered, r.value().put_back);
  return exit_ok;
}

}  // namespace ciro::cli
