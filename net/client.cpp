#include "net/client.hpp"

#include <capnp/message.h>
#include <capnp/rpc-twoparty.h>
#include <capnp/rpc.h>
#include <kj/async-io.h>
#include <kj/compat/tls.h>

#include "net/wire_codec.hpp"

namespace ciro::net {

namespace {

using err = error<int>;
using clock = std::chrono::steady_clock;

/// The first line of a kj exception's description, without kj's "remote exception: " prefix.
std::string reason_of(const kj::Exception& e) {
  std::string s = e.getDescription().cStr();
  s = s.substr(0, s.find('\n'));
  const std::string prefix = "remote exception: ";
  if (s.rfind(prefix, 0) == 0) s = s.substr(prefix.size());
  if (e.getType() == kj::Exception::Type::DISCONNECTED) return "the connection to the node ended (" + s + ")";
  return s;
}

kj::Duration kj_ms(std::chrono::milliseconds ms) { return static_cast<std::int64_t>(std::max<std::int64_t>(0, ms.count())) * kj::MILLISECONDS; }

}  // namespace

struct client::impl {
  impl() : io(kj::setupAsyncIo()) {}
  kj::AsyncIoContext io;
  kj::Maybe<kj::TlsCertificate> trusted;
  kj::Own<kj::TlsContext> tls;
  kj::Own<kj::AsyncIoStream> stream;
  kj::Own<capnp::TwoPartyVatNetwork> network;
  kj::Own<capnp::RpcSystem<capnp::rpc::twoparty::VatId>> rpc;
  kj::Maybe<wire::Prover::Client> prover;

  /// Waits for `p` at most `limit`; throws kj's exception (a timeout is an OVERLOADED one).
  template <class T>
  T wait(kj::Promise<T>&& p, std::chrono::milliseconds limit) {
    return io.provider->getTimer().timeoutAfter(kj_ms(limit), kj::mv(p)).wait(io.waitScope);
  }
  wire::Prover::Client& the_prover() {
    KJ_IF_MAYBE(p, prover) { return *p; }
    KJ_FAIL_REQUIRE("not logged in");
  }
};

client::~client() = default;

result<std::unique_ptr<client>, int> client::connect(const client_options& options) {
  std::unique_ptr<client> c(new client());
  c->options_ = options;
  kj::Maybe<kj::Exception> no_loop = kj::runCatchingExceptions([&] { c->impl_ = std::make_unique<impl>(); });
  KJ_IF_MAYBE(e, no_loop) { return err{0, "one client per thread at a time: " + reason_of(*e)}; }
  auto& im = *c->impl_;
  const std::chrono::milliseconds limit = std::chrono::seconds(30);  // connecting and logging in
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&] {
    auto address = im.wait(im.io.provider->getNetwork().parseAddress(options.address), limit);
    im.stream = im.wait(address->connect(), limit);
    if (options.tls) {
      kj::TlsContext::Options tls_options;
      tls_options.useSystemTrustStore = true;
      if (!options.tls_ca_pem.empty()) im.trusted = kj::TlsCertificate(options.tls_ca_pem.c_str());
      KJ_IF_MAYBE(t, im.trusted) { tls_options.trustedCertificates = kj::arrayPtr(t, 1); }
      im.tls = kj::heap<kj::TlsContext>(kj::mv(tls_options));
      const std::string host = options.address.front() == '['
                                   ? options.address.substr(1, options.address.find(']') - 1)
                                   : options.address.substr(0, options.address.rfind(':'));
      im.stream = im.wait(im.tls->wrapClient(kj::mv(im.stream), host.c_str()), limit);
    }
    capnp::ReaderOptions limits;
    limits.traversalLimitInWords = (std::uint64_t{1} << 30) / sizeof(capnp::word);  // results carry proofs
    im.network = kj::heap<capnp::TwoPartyVatNetwork>(*im.stream, capnp::rpc::twoparty::Side::CLIENT, limits);
    im.rpc = kj::heap<capnp::RpcSystem<capnp::rpc::twoparty::VatId>>(capnp::makeRpcClient(*im.network));
    capnp::MallocMessageBuilder vat;
    auto server_id = vat.initRoot<capnp::rpc::twoparty::VatId>();
    server_id.setSide(capnp::rpc::twoparty::Side::SERVER);
    auto gate = im.rpc->bootstrap(server_id).castAs<wire::Gate>();
    auto login = gate.loginRequest();
    login.setToken(options.token);
    im.prover = im.wait(login.send(), limit).getProver();
  });
  KJ_IF_MAYBE(e, failure) {
    return err{0, "cannot reach the node at " + options.address + ": " + reason_of(*e)};
  }
  return c;
}

result<job_answer, int> client::submit(const job_submission& job, const std::function<void(const job_answer&)>& on_accepted) {
  auto& im = *impl_;
  const auto until = clock::now() + options_.timeout;
  const auto left = [&] { return std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now()); };
  std::optional<job_answer> answer;
  std::optional<std::string> refused;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&] {
    for (;;) {
      auto request = im.the_prover().submitRequest();
      const auto encoded = to_wire(job, request.initJob());
      if (!encoded) {
        refused = encoded.error().message;
        return;
      }
      auto response = request.send();
      auto final_answer = response.getTicket().resultRequest().send();  // pipelined: no round trip more
      const job_answer accepted = from_wire(im.wait(kj::mv(response), left()).getAccepted());
      if (accepted.status == job_status::busy && left() > std::chrono::milliseconds(accepted.retry_after_ms)) {
        im.io.provider->getTimer().afterDelay(std::max<std::uint32_t>(1, accepted.retry_after_ms) * kj::MILLISECONDS).wait(im.io.waitScope);
        continue;
      }
      if (on_accepted) on_accepted(accepted);
      if (accepted.status == job_status::busy) {  // out of time to wait for a place
        answer = accepted;
        return;
      }
      answer = from_wire(im.wait(kj::mv(final_answer), left()).getResult());
      return;
    }
  });
  KJ_IF_MAYBE(e, failure) { return err{0, reason_of(*e)}; }
  if (refused) return err{0, *refused};
  return *answer;
}

result<job_answer, int> client::status(const std::string& id, bool with_proof) {
  auto& im = *impl_;
  std::optional<job_answer> answer;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&] {
    auto request = im.the_prover().statusRequest();
    request.setId(id);
    request.setWithProof(with_proof);
    answer = from_wire(im.wait(request.send(), options_.timeout).getResult());
  });
  KJ_IF_MAYBE(e, failure) { return err{0, reason_of(*e)}; }
  return *answer;
}

result<job_answer, int> client::cancel(const std::string& id) {
  auto& im = *impl_;
  std::optional<job_answer> answer;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&] {
    auto request = im.the_prover().cancelRequest();
    request.setId(id);
    answer = from_wire(im.wait(request.send(), options_.timeout).getResult());
  });
  KJ_IF_MAYBE(e, failure) { return err{0, reason_of(*e)}; }
  return *answer;
}

result<verdict, int> client::verify(const std::string& proof, unsigned min_security_bits) {
  auto& im = *impl_;
  verdict v;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&] {
    auto request = im.the_prover().verifyRequest();
    request.setProof(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(proof.data()), proof.size()));
    request.setMinSecurityBits(static_cast<std::uint16_t>(std::min(min_security_bits, 65535u)));
    auto r = im.wait(request.send(), options_.timeout);
    v.valid = r.getValid();
    v.message = r.getMessage().cStr();
  });
  KJ_IF_MAYBE(e, failure) { return err{0, reason_of(*e)}; }
  return v;
}

result<node_health, int> client::health() {
  auto& im = *impl_;
  node_health h;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&] {
    h = from_wire(im.wait(im.the_prover().healthRequest().send(), options_.timeout).getHealth());
  });
  KJ_IF_MAYBE(e, failure) { return err{0, reason_of(*e)}; }
  return h;
}

}  // namespace ciro::net
