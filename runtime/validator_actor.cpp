#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <memory>

#include "consensus/certificate.hpp"
#include "consensus/encoding.hpp"
#include "consensus/json_format.hpp"
#include "runtime/actors.hpp"

namespace ciro::runtime {

namespace {

/// A proven job's result waiting for its batch to commit: the publish message as the worker sent it.
struct held_result {
  bool ok = true;
  std::string result_text, proof, kind;
  double units = 0;
  std::string label;
  double wall_s = 0, cpu_s = 0, price = 0, predicted_s = 0;
  consensus::verdict verdict;
};

struct validator_state {
  std::map<std::string, held_result> held;  ///< by job id
  std::vector<consensus::verdict> open;     ///< the batch being gathered
  std::uint64_t generation = 0;             ///< of the open batch
};

}  // namespace

validator_actor::behavior_type validator(validator_actor::pointer self, shared_state* s, publisher_actor pub) {
  auto st = std::make_shared<validator_state>();
  const auto& vc = *s->config.validator;
  const auto flush = [s, st] {
    if (st->open.empty()) return;
    consensus::batch b;
    b.time_s = unix_seconds();
    b.verdicts = std::move(st->open);
    st->open.clear();
    ++st->generation;
    s->consensus->submit(std::move(b));
  };
  return {
      [=](publish_atom, const std::string& id, bool ok, const std::string& result_text, const std::string& proof,
          const std::string& kind, double units, const std::string& label, double wall_s, double cpu_s, double price,
          double predicted_s) {
        if (!ok || proof.empty()) {
          self->send(pub, publish_atom::value, id, ok, result_text, proof, kind, units, label, wall_s, cpu_s, price, predicted_s);
          return;
        }
        const consensus::digest d = s->proofs->add(proof);
        auto v = s->proofs->verdict(id, d);
        if (!v) {  // evicted at once: the store is smaller than one proof
          auto failed = nlohmann::json::parse(result_text);
          failed["status"] = "failed";
          failed["reason"] = "the proof is larger than the validator's proof store";
          self->send(pub, publish_atom::value, id, false, json_text(failed), std::string(), kind, units, label, wall_s, cpu_s,
                     price, predicted_s);
          return;
        }
        {
          // Proven: if the node stops before the batch commits, the job runs again without this
          // start counting against it (docs/runtime.md, max attempts).
          std::lock_guard lock(s->mutex);
          s->dir.end_attempt(id);
        }
        st->held[id] = held_result{ok, result_text, proof, kind, units, label, wall_s, cpu_s, price, predicted_s, *v};
        st->open.push_back(std::move(*v));
        if (st->open.size() >= vc.max_verdicts) {
          flush();
        } else if (st->open.size() == 1) {
          self->delayed_send(self, vc.window, flush_atom::value, st->generation);
        }
      },
      [](write_atom) {},  // the publisher's own message to itself: never sent here
      [=](flush_atom, std::uint64_t generation) {
        if (generation == st->generation) flush();
      },
      [=](decided_atom, const std::string& encoded) {
        consensus::byte_reader r({reinterpret_cast<const std::uint8_t*>(encoded.data()), encoded.size()});
        const auto cert = consensus::decode_certificate(r);
        if (!cert) return;
        const auto cert_json = nlohmann::json::parse(consensus::certificate_to_json(*cert, vc.validators));
        for (const auto& v : cert->committed.verdicts) {
          const auto it = st->held.find(v.job_id);
          if (it == st->held.end() || it->second.verdict != v) continue;  // another node's job
          held_result h = std::move(it->second);
          st->held.erase(it);
          auto result = nlohmann::json::parse(h.result_text);
          result["certificate"] = cert_json;
          if (!v.valid) {
            h.ok = false;
            h.proof.clear();
            result["status"] = "failed";
            result["reason"] = "the validators found its proof invalid (certificate attached)";
          }
          self->send(pub, publish_atom::value, v.job_id, h.ok, json_text(result), h.proof, h.kind, h.units, h.label,
                     h.wall_s, h.cpu_s, h.price, h.predicted_s);
        }
      },
  };
}

}  // namespace ciro::runtime
