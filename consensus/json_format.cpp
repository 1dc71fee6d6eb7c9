#include "consensus/json_format.hpp"

#include <initializer_list>
#include <optional>

#include <nlohmann/json.hpp>

namespace ciro::consensus {
namespace {

using json = nlohmann::json;
using code = json_error_code;

/// The first schema problem found while reading, with where it was.
struct reader {
  std::string problem;

  bool fail(const std::string& what) {
    if (problem.empty()) problem = what;
    return false;
  }
  bool object_with(const json& j, const std::string& where, std::initializer_list<const char*> keys) {
    return object_with(j, where, std::vector<const char*>(keys));
  }
  bool object_with(const json& j, const std::string& where, const std::vector<const char*>& keys) {
    if (!j.is_object()) return fail(where + " is not an object");
    for (auto it = j.begin(); it != j.end(); ++it) {
      bool known = false;
      for (const char* k : keys) known = known || it.key() == k;
      if (!known) return fail(where + " has an unknown key \"" + it.key() + "\"");
    }
    for (const char* k : keys) {
      if (!j.contains(k)) return fail(where + " lacks \"" + k + "\"");
    }
    return true;
  }
  std::optional<std::uint64_t> number(const json& j, const std::string& where, std::uint64_t max) {
    if (!j.is_number_unsigned() || j.get<std::uint64_t>() > max) {
      fail(where + " is not an integer in 0 .. " + std::to_string(max));
      return std::nullopt;
    }
    return j.get<std::uint64_t>();
  }
  template <std::size_t N>
  std::optional<std::array<std::uint8_t, N>> hex(const json& j, const std::string& where) {
    std::optional<std::array<std::uint8_t, N>> out;
    if (j.is_string()) out = from_hex<N>(j.get<std::string>());
    if (!out) fail(where + " is not " + std::to_string(2 * N) + " hex digits");
    return out;
  }
  bool format(const json& j, const char* expected) {
    if (!j.is_string() || j.get<std::string>() != expected)
      return fail(std::string("\"format\" is not \"") + expected + "\"");
    return true;
  }
};

/// The largest encoded participation record: sequence, view, count, max_validators commits.
constexpr std::size_t max_participation_record_bytes = 20 + max_validators * (4 + 64);

/// The bytes of a string of 2 to 2 max_bytes hex digits; nothing otherwise.
std::optional<std::vector<std::uint8_t>> hex_bytes(const json& j, std::size_t max_bytes) {
  if (!j.is_string()) return std::nullopt;
  const std::string& hex = j.get_ref<const std::string&>();
  if (hex.empty() || hex.size() % 2 != 0 || hex.size() > 2 * max_bytes) return std::nullopt;
  std::vector<std::uint8_t> bytes;
  bytes.reserve(hex.size() / 2);
  for (std::size_t k = 0; k < hex.size(); k += 2) {
    const auto byte = from_hex<1>(std::string_view(hex).substr(k, 2));
    if (!byte) return std::nullopt;
    bytes.push_back((*byte)[0]);
  }
  return bytes;
}

std::optional<json> parse(std::string_view text, error<code>& failure) {
  if (text.size() > max_json_bytes) {
    failure = {code::too_large, "the file is larger than " + std::to_string(max_json_bytes) + " bytes"};
    return std::nullopt;
  }
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    failure = {code::syntax, "not valid JSON"};
    return std::nullopt;
  }
  return j;
}

}  // namespace

std::string validators_to_json(const validator_set& set) {
  json list = json::array();
  for (const validator& v : set.validators()) {
    list.push_back({{"public_key", to_hex(v.key)},
                    {"stake", v.stake},
                    {"reputation", v.reputation},
                    {"uptime_permille", v.uptime_permille}});
  }
  return json{{"format", "ciro.validators.v1"}, {"validators", list}}.dump(1) + "\n";
}

result<validator_set, json_error_code> validators_from_json(std::string_view text) {
  error<code> failure{code::syntax, ""};
  const auto j = parse(text, failure);
  if (!j) return failure;
  reader r;
  std::vector<validator> out;
  if (r.object_with(*j, "the validator set", {"format", "validators"}) &&
      r.format((*j)["format"], "ciro.validators.v1")) {
    const json& list = (*j)["validators"];
    if (!list.is_array() || list.size() > max_validators) {
      r.fail("\"validators\" is not a list of at most " + std::to_string(max_validators));
    } else {
      for (std::size_t i = 0; i < list.size() && r.problem.empty(); ++i) {
        const std::string where = "validator " + std::to_string(i);
        if (!r.object_with(list[i], where, {"public_key", "stake", "reputation", "uptime_permille"})) break;
        const auto key = r.hex<32>(list[i]["public_key"], where + " public_key");
        const auto stake = r.number(list[i]["stake"], where + " stake", max_stake);
        const auto reputation = r.number(list[i]["reputation"], where + " reputation", max_reputation);
        const auto uptime = r.number(list[i]["uptime_permille"], where + " uptime_permille", max_uptime_permille);
        if (!key || !stake || !reputation || !uptime) break;
        validator v;
        v.key = *key;
        v.stake = *stake;
        v.reputation = static_cast<std::uint32_t>(*reputation);
        v.uptime_permille = static_cast<std::uint32_t>(*uptime);
        out.push_back(v);
      }
    }
  }
  if (!r.problem.empty()) return error<code>{code::schema, r.problem};
  auto set = validator_set::make(std::move(out));
  if (!set) return error<code>{code::invalid_set, set.error().message};
  return std::move(set).value();
}

std::string certificate_to_json(const quorum_certificate& cert, const validator_set& set) {
  json verdicts = json::array();
  json committed = {{"time_s", cert.committed.time_s}};
  if (!cert.committed.evidence.empty()) {
    json evidence = json::array();
    for (const std::string& e : cert.committed.evidence) {
      evidence.push_back(to_hex({reinterpret_cast<const std::uint8_t*>(e.data()), e.size()}));
    }
    committed["evidence"] = evidence;
  }
  if (!cert.committed.participation.empty()) {
    json records = json::array();
    for (const participation_record& p : cert.committed.participation) {
      byte_writer w;
      encode(w, p);
      records.push_back(to_hex(w.data()));
    }
    committed["participation"] = records;
  }
  for (const verdict& v : cert.committed.verdicts) {
    verdicts.push_back({{"job_id", v.job_id},
                        {"statement_hash", to_hex(v.statement_hash)},
                        {"input_commitment", to_hex(v.input_commitment)},
                        {"output_hash", to_hex(v.output_hash)},
                        {"proof_digest", to_hex(v.proof_digest)},
                        {"valid", v.valid}});
  }
  json commits = json::array();
  committed["verdicts"] = verdicts;
  for (const commit_signature& c : cert.commits)
    commits.push_back({{"validator", c.sender}, {"signature", to_hex(c.sig)}});
  return json{{"format", "ciro.certificate.v1"},
              {"validator_set", to_hex(set.digest())},
              {"view", cert.view},
              {"sequence", cert.sequence},
              {"batch", committed},
              {"commits", commits}}
             .dump(1) +
         "\n";
}

result<certificate_file, json_error_code> certificate_from_json(std::string_view text) {
  error<code> failure{code::syntax, ""};
  const auto j = parse(text, failure);
  if (!j) return failure;
  reader r;
  certificate_file file;
  quorum_certificate& cert = file.certificate;
  const auto read = [&]() -> bool {
    if (!r.object_with(*j, "the certificate", {"format", "validator_set", "view", "sequence", "batch", "commits"}) ||
        !r.format((*j)["format"], "ciro.certificate.v1")) {
      return false;
    }
    const auto set = r.hex<32>((*j)["validator_set"], "validator_set");
    const auto view = r.number((*j)["view"], "view", UINT64_MAX);
    const auto sequence = r.number((*j)["sequence"], "sequence", UINT64_MAX);
    if (!set || !view || !sequence) return false;
    file.validator_set = *set;
    cert.view = *view;
    cert.sequence = *sequence;
    const json& b = (*j)["batch"];
    const bool carries_evidence = b.is_object() && b.contains("evidence");
    const bool carries_participation = b.is_object() && b.contains("participation");
    std::vector<const char*> keys = {"time_s", "verdicts"};
    if (carries_evidence) keys.push_back("evidence");
    if (carries_participation) keys.push_back("participation");
    if (!r.object_with(b, "batch", keys)) return false;
    if (carries_participation) {
      const json& records = b["participation"];
      if (!records.is_array() || records.size() > max_batch_participation) {
        return r.fail("batch participation is not a list of at most " + std::to_string(max_batch_participation));
      }
      for (std::size_t i = 0; i < records.size(); ++i) {
        const auto bytes = hex_bytes(records[i], max_participation_record_bytes);
        std::optional<participation_record> p;
        if (bytes) {
          byte_reader br(*bytes);
          p = decode_participation_record(br);
          if (p && !br.at_end()) p.reset();
        }
        if (!p) return r.fail("batch participation " + std::to_string(i) + " is not the hex of a participation record");
        cert.committed.participation.push_back(std::move(*p));
      }
    }
    if (carries_evidence) {
      const json& evidence = b["evidence"];
      if (!evidence.is_array() || evidence.size() > max_batch_evidence) {
        return r.fail("batch evidence is not a list of at most " + std::to_string(max_batch_evidence));
      }
      for (std::size_t i = 0; i < evidence.size(); ++i) {
        const auto bytes = hex_bytes(evidence[i], max_evidence_bytes);
        if (!bytes) return r.fail("batch evidence " + std::to_string(i) + " is not hex of 1 to " + std::to_string(max_evidence_bytes) + " bytes");
        cert.committed.evidence.emplace_back(bytes->begin(), bytes->end());
      }
    }
    const auto time = r.number(b["time_s"], "batch time_s", UINT64_MAX);
    if (!time) return false;
    cert.committed.time_s = *time;
    const json& verdicts = b["verdicts"];
    if (!verdicts.is_array() || verdicts.size() > max_batch_verdicts) {
      return r.fail("batch verdicts is not a list of at most " + std::to_string(max_batch_verdicts));
    }
    for (std::size_t i = 0; i < verdicts.size(); ++i) {
      const std::string where = "verdict " + std::to_string(i);
      const json& v = verdicts[i];
      if (!r.object_with(v, where,
                         {"job_id", "statement_hash", "input_commitment", "output_hash", "proof_digest", "valid"})) {
        return false;
      }
      if (!v["job_id"].is_string() || v["job_id"].get<std::string>().empty() ||
          v["job_id"].get<std::string>().size() > max_job_id_bytes) {
        return r.fail(where + " job_id is not a string of 1 to " + std::to_string(max_job_id_bytes) + " bytes");
      }
      if (!v["valid"].is_boolean()) return r.fail(where + " valid is not true or false");
      const auto s = r.hex<32>(v["statement_hash"], where + " statement_hash");
      const auto in = r.hex<32>(v["input_commitment"], where + " input_commitment");
      const auto out = r.hex<32>(v["output_hash"], where + " output_hash");
      const auto p = r.hex<32>(v["proof_digest"], where + " proof_digest");
      if (!s || !in || !out || !p) return false;
      verdict x;
      x.job_id = v["job_id"].get<std::string>();
      x.statement_hash = *s;
      x.input_commitment = *in;
      x.output_hash = *out;
      x.proof_digest = *p;
      x.valid = v["valid"].get<bool>();
      cert.committed.verdicts.push_back(std::move(x));
    }
    const json& commits = (*j)["commits"];
    if (!commits.is_array() || commits.size() > max_validators) {
      return r.fail("commits is not a list of at most " + std::to_string(max_validators));
    }
    for (std::size_t i = 0; i < commits.size(); ++i) {
      const std::string where = "commit " + std::to_string(i);
      if (!r.object_with(commits[i], where, {"validator", "signature"})) return false;
      const auto sender = r.number(commits[i]["validator"], where + " validator", max_validators - 1);
      const auto sig = r.hex<64>(commits[i]["signature"], where + " signature");
      if (!sender || !sig) return false;
      cert.commits.push_back({static_cast<std::uint32_t>(*sender), *sig});
    }
    return true;
  };
  if (!read()) return error<code>{code::schema, r.problem};
  return file;
}

}  // namespace ciro::consensus
