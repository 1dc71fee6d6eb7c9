#include "net/server.hpp"

#include <capnp/rpc-twoparty.h>
#include <capnp/rpc.h>
#include <kj/async-io.h>
#include <kj/compat/http.h>
#include <kj/compat/tls.h>

#include <future>

#include "net/rpc_accept.hpp"
#include "net/wire_codec.hpp"

namespace ciro::net {

namespace {

using err = error<int>;

/// Compares two strings in time that depends on their lengths only.
bool same_token(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

/// One job's result, for as many Ticket.result() calls as come.
class ticket_impl final : public wire::Ticket::Server {
 public:
  explicit ticket_impl(kj::Promise<job_answer> result) : result_(result.fork()) {}

 protected:
  kj::Promise<void> result(ResultContext context) override {
    return result_.addBranch().then([context](job_answer a) mutable { to_wire(a, context.getResults().initResult()); });
  }

 private:
  kj::ForkedPromise<job_answer> result_;
};

/// A callback that fulfills a promise of this event loop from any thread, at most once.
template <class T>
std::function<void(T)> cross_thread_callback(kj::Own<kj::CrossThreadPromiseFulfiller<T>> fulfiller) {
  auto shared = std::make_shared<kj::Own<kj::CrossThreadPromiseFulfiller<T>>>(kj::mv(fulfiller));
  return [shared](T value) { (*shared)->fulfill(kj::mv(value)); };
}

class prover_impl final : public wire::Prover::Server {
 public:
  explicit prover_impl(job_service& service) : service_(service) {}

 protected:
  kj::Promise<void> submit(SubmitContext context) override {
    auto results = context.getResults();
    auto sub = from_wire(context.getParams().getJob());
    job_answer accepted;
    auto paf = kj::newPromiseAndCrossThreadFulfiller<job_answer>();
    if (!sub) {
      accepted.id = std::string(context.getParams().getJob().getId().cStr());
      accepted.status = job_status::failed;
      accepted.reason = sub.error().message;
    } else {
      accepted = service_.submit(sub.value(), cross_thread_callback(kj::mv(paf.fulfiller)));
    }
    kj::Promise<job_answer> final_answer = nullptr;
    if (accepted.status == job_status::queued || accepted.status == job_status::running) {
      final_answer = kj::mv(paf.promise);
    } else {
      final_answer = kj::Promise<job_answer>(accepted);  // already final: the ticket answers it
      accepted.proof.clear();                            // the proof comes once, with the ticket
    }
    to_wire(accepted, results.initAccepted());
    results.setTicket(kj::heap<ticket_impl>(kj::mv(final_answer)));
    return kj::READY_NOW;
  }

  kj::Promise<void> status(StatusContext context) override {
    const auto p = context.getParams();
    to_wire(service_.status(p.getId(), p.getWithProof()), context.getResults().initResult());
    return kj::READY_NOW;
  }

  kj::Promise<void> cancel(CancelContext context) override {
    auto paf = kj::newPromiseAndCrossThreadFulfiller<job_answer>();
    service_.cancel(context.getParams().getId(), cross_thread_callback(kj::mv(paf.fulfiller)));
    return paf.promise.then([context](job_answer a) mutable { to_wire(a, context.getResults().initResult()); });
  }

  kj::Promise<void> verify(VerifyContext context) override {
    const auto p = context.getParams();
    const auto proof = p.getProof();
    const verdict v = service_.verify(std::string(reinterpret_cast<const char*>(proof.begin()), proof.size()),
                                      p.getMinSecurityBits() == 0 ? 100u : p.getMinSecurityBits());
    auto r = context.getResults();
    r.setValid(v.valid);
    r.setMessage(v.message);
    return kj::READY_NOW;
  }

  kj::Promise<void> health(HealthContext context) override {
    to_wire(service_.health(), context.getResults().initHealth());
    return kj::READY_NOW;
  }

 private:
  job_service& service_;
};

class gate_impl final : public wire::Gate::Server {
 public:
  gate_impl(job_service& service, std::string token) : service_(service), token_(std::move(token)) {}

 protected:
  kj::Promise<void> login(LoginContext context) override {
    const auto t = context.getParams().getToken();
    if (!same_token(std::string(t.cStr(), t.size()), token_)) {
      return KJ_EXCEPTION(FAILED, "refused: wrong or missing token");
    }
    context.getResults().setProver(kj::heap<prover_impl>(service_));
    return kj::READY_NOW;
  }

 private:
  job_service& service_;
  std::string token_;
};

/// The HTTP endpoints: /metrics, /health and /.
class http_endpoints final : public kj::HttpService {
 public:
  http_endpoints(job_service& service, const kj::HttpHeaderTable& table) : service_(service), table_(table) {}

  kj::Promise<void> request(kj::HttpMethod method, kj::StringPtr url, const kj::HttpHeaders&, kj::AsyncInputStream&,
                            Response& response) override {
    std::string path(url.cStr());
    path = path.substr(0, path.find('?'));
    if (method != kj::HttpMethod::GET && method != kj::HttpMethod::HEAD) {
      return reply(response, 405, "Method Not Allowed", "text/plain; charset=utf-8", "GET only\n", false);
    }
    const bool head = method == kj::HttpMethod::HEAD;
    if (path == "/metrics") return reply(response, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", service_.prometheus_metrics(), head);
    if (path == "/health") return reply(response, 200, "OK", "application/json", health_json(service_.health()) + "\n", head);
    if (path == "/") return reply(response, 200, "OK", "text/html; charset=utf-8", service_.status_page(), head);
    return reply(response, 404, "Not Found", "text/plain; charset=utf-8", "not found: try /, /metrics or /health\n", head);
  }

 private:
  kj::Promise<void> reply(Response& response, unsigned code, kj::StringPtr status, kj::StringPtr type, std::string body,
                          bool head) {
    kj::HttpHeaders headers(table_);
    headers.set(kj::HttpHeaderId::CONTENT_TYPE, type);
    auto body_text = kj::heapString(body.data(), body.size());
    auto stream = response.send(code, status, headers, head ? kj::Maybe<std::uint64_t>(nullptr) : kj::Maybe<std::uint64_t>(body.size()));
    if (head) return kj::READY_NOW;
    auto promise = stream->write(body_text.begin(), body_text.size());
    return promise.attach(kj::mv(stream), kj::mv(body_text));
  }

  job_service& service_;
  const kj::HttpHeaderTable& table_;
};

std::string host_of(const std::string& address) {
  if (!address.empty() && address.front() == '[') return address.substr(1, address.find(']') - 1);
  const auto colon = address.rfind(':');
  if (colon != std::string::npos && address.find(':') == colon) return address.substr(0, colon);
  return address;
}

}  // namespace

bool is_loopback_address(const std::string& address) {
  const std::string host = host_of(address);
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

/// What the event-loop thread shares with the server object: how startup went and how to stop.
struct server::state {
  std::promise<std::string> started;  // "" or why it could not start
  bool announced = false;
  kj::Own<kj::CrossThreadPromiseFulfiller<void>> stop;
  std::string rpc_bound, metrics_bound;
};

namespace {

void run_event_loop(server::state& st, const server_config config, job_service& service) {
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&] {
    auto io = kj::setupAsyncIo();
    auto& network = io.provider->getNetwork();
    // Declared first, destroyed last: the wrapped listener uses the TLS context, which uses the key.
    kj::Maybe<kj::TlsKeypair> keypair;
    kj::Own<kj::TlsContext> tls;
    auto rpc_listener = network.parseAddress(config.rpc_address).wait(io.waitScope)->listen();
    const std::uint16_t rpc_port = static_cast<std::uint16_t>(rpc_listener->getPort());
    // TLS: every accepted RPC connection is wrapped (the handshake runs before the RPC sees it).
    if (!config.tls_certificate_pem.empty()) {
      keypair = kj::TlsKeypair{kj::TlsPrivateKey(config.tls_private_key_pem.c_str()),
                               kj::TlsCertificate(config.tls_certificate_pem.c_str())};
      kj::TlsContext::Options options;
      KJ_IF_MAYBE(k, keypair) { options.defaultKeypair = *k; }
      options.useSystemTrustStore = false;
      tls = kj::heap<kj::TlsContext>(kj::mv(options));
      rpc_listener = tls->wrapPort(kj::mv(rpc_listener));
    }
    kj::Own<kj::ConnectionReceiver> http_listener;
    if (!config.metrics_address.empty()) {
      http_listener = network.parseAddress(config.metrics_address).wait(io.waitScope)->listen();
    }
    st.rpc_bound = detail::bound_address(config.rpc_address, rpc_port);
    if (http_listener) st.metrics_bound = detail::bound_address(config.metrics_address, static_cast<std::uint16_t>(http_listener->getPort()));
    auto stop = kj::newPromiseAndCrossThreadFulfiller<void>();
    st.stop = kj::mv(stop.fulfiller);

    const capnp::ReaderOptions limits = detail::reader_limits(config.max_message_bytes);
    detail::ignore_errors errors;
    kj::TaskSet connections(errors);
    kj::TaskSet listeners(errors);
    capnp::Capability::Client gate = kj::heap<gate_impl>(service, config.token);
    listeners.add(detail::accept_rpc(*rpc_listener, gate, limits, connections));
    kj::HttpHeaderTable table;
    http_endpoints endpoints(service, table);
    kj::HttpServer http(io.provider->getTimer(), table, endpoints);
    if (http_listener) listeners.add(http.listenHttp(*http_listener));
    st.announced = true;
    st.started.set_value("");
    stop.promise.wait(io.waitScope);
  });
  KJ_IF_MAYBE(e, failure) {
    std::string why = e->getDescription().cStr();
    if (!st.announced) st.started.set_value(why.empty() ? "the network front end failed" : why);
  }
}

}  // namespace

result<std::unique_ptr<server>, int> server::start(const server_config& config, job_service& service) {
  if (config.tls_certificate_pem.empty() != config.tls_private_key_pem.empty()) {
    return err{0, "TLS needs both a certificate and its private key"};
  }
  const bool secured = !config.token.empty() && !config.tls_certificate_pem.empty();
  for (const auto& a : {config.rpc_address, config.metrics_address}) {
    if (!a.empty() && !secured && !is_loopback_address(a)) {
      return err{0, a + " is not a loopback address: listening beyond this machine needs a token and TLS"};
    }
  }
  std::unique_ptr<server> s(new server());
  s->state_ = std::make_unique<state>();
  auto started = s->state_->started.get_future();
  s->thread_ = std::thread([st = s->state_.get(), config, &service] { run_event_loop(*st, config, service); });
  const std::string why = started.get();
  if (!why.empty()) {
    s->thread_.join();
    s->state_->stop = nullptr;
    return err{0, "cannot listen: " + why.substr(0, why.find('\n'))};
  }
  s->rpc_address_ = s->state_->rpc_bound;
  s->metrics_address_ = s->state_->metrics_bound;
  return s;
}

server::~server() {
  if (state_ && state_->stop.get() != nullptr) state_->stop->fulfill();
  if (thread_.joinable()) thread_.join();
}

}  // namespace ciro::net
