#include "net/wire_codec.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <optional>

namespace ciro::net {

namespace {

using err = error<int>;

std::string text_of(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }
std::string bytes_of(capnp::Data::Reader d) { return std::string(reinterpret_cast<const char*>(d.begin()), d.size()); }
capnp::Data::Reader data_of(const std::string& s) {
  return capnp::Data::Reader(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}

}  // namespace

const char* to_string(job_status s) {
  switch (s) {
    case job_status::queued: return "queued";
    case job_status::running: return "running";
    case job_status::done: return "done";
    case job_status::failed: return "failed";
    case job_status::busy: return "busy";
    case job_status::unknown: return "unknown";
    case job_status::cancelled: return "cancelled";
  }
  return "unknown";
}

result<job_submission, int> from_wire(wire::Job::Reader job) {
  // Every text is bounded by the node's checks (parse_job); JSON escapes whatever bytes it holds.
  nlohmann::json j = nlohmann::json::object();
  j["id"] = text_of(job.getId());
  job_submission s;
  switch (job.which()) {
    case wire::Job::AIR: {
      const auto air = job.getAir();
      j["air"] = text_of(air.getName());
      j["log_rows"] = air.getLogRows();
      j["instances"] = air.getInstances();
      break;
    }
    case wire::Job::MODEL: {
      const auto m = job.getModel();
      if (m.getOnnx().size() == 0 || m.getInput().size() == 0) return err{0, "a model job carries the model's and the input's bytes"};
      s.model_bytes = bytes_of(m.getOnnx());
      s.input_bytes = bytes_of(m.getInput());
      break;
    }
    default:
      return err{0, "a job names an AIR statement or a model"};
  }
  if (job.getProfile().size() > 0) j["profile"] = text_of(job.getProfile());
  if (job.getDeadlineMs() > 0) j["deadline_ms"] = job.getDeadlineMs();
  if (job.getPriority() != 0) j["priority"] = job.getPriority();
  s.job_json = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return s;
}

result<std::monostate, int> to_wire(const job_submission& job, wire::Job::Builder out) {
  const nlohmann::json j = nlohmann::json::parse(job.job_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return err{0, "a job is a JSON object"};
  try {
    for (const auto& [k, v] : j.items()) {
      if (k == "id") {
        out.setId(v.get<std::string>());
      } else if (k == "air") {
        out.initAir().setName(v.get<std::string>());
      } else if (k == "profile") {
        out.setProfile(v.get<std::string>());
      } else if (k == "deadline_ms") {
        out.setDeadlineMs(v.get<std::uint64_t>());
      } else if (k == "priority") {
        const int p = v.get<int>();
        if (p < -32768 || p > 32767) return err{0, "\"priority\" must be an integer from -1000 to 1000"};
        out.setPriority(static_cast<std::int16_t>(p));
      } else if (k != "log_rows" && k != "instances") {
        return err{0, "unknown key '" + k.substr(0, 64) + "' in a job"};
      }
    }
    if (j.contains("air")) {
      auto air = out.getAir();
      if (j.contains("log_rows")) {
        const auto r = j["log_rows"].get<std::uint64_t>();
        if (r > 255) return err{0, "\"log_rows\" must be an integer from 1 to 30"};
        air.setLogRows(static_cast<std::uint8_t>(r));
      }
      if (j.contains("instances")) {
        const auto n = j["instances"].get<std::uint64_t>();
        if (n < 1 || n > 65535) return err{0, "\"instances\" must be an integer from 1 to 4096"};
        air.setInstances(static_cast<std::uint16_t>(n));
      }
    } else {
      if (job.model_bytes.empty() || job.input_bytes.empty()) return err{0, "a job names an AIR statement or a model and its input"};
      auto m = out.initModel();
      m.setOnnx(data_of(job.model_bytes));
      m.setInput(data_of(job.input_bytes));
    }
  } catch (const nlohmann::json::exception&) {
    return err{0, "a job's values have the wrong types (docs/runtime.md)"};
  }
  return std::monostate{};
}

job_answer from_wire(wire::Result::Reader r) {
  job_answer a;
  a.id = text_of(r.getId());
  const auto s = static_cast<unsigned>(r.getStatus());
  a.status = s <= static_cast<unsigned>(job_status::cancelled) ? static_cast<job_status>(s) : job_status::unknown;
  a.reason = text_of(r.getReason());
  a.retry_after_ms = r.getRetryAfterMs();
  if (r.getPredictedS() >= 0) a.predicted_s = r.getPredictedS();
  a.result_json = text_of(r.getResultJson());
  a.proof = bytes_of(r.getProof());
  return a;
}

void to_wire(const job_answer& a, wire::Result::Builder out) {
  out.setId(a.id);
  out.setStatus(static_cast<wire::Status>(static_cast<std::uint16_t>(a.status)));
  out.setReason(a.reason);
  out.setRetryAfterMs(a.retry_after_ms);
  out.setPredictedS(a.predicted_s.value_or(-1.0));
  out.setResultJson(a.result_json);
  if (!a.proof.empty()) out.setProof(data_of(a.proof));
}

namespace {

/// Reads `bytes` as one flat Cap'n Proto message and hands its reader to `read`.
template <class Read>
result<std::monostate, int> read_flat(std::string_view bytes, std::size_t max_bytes, Read&& read) {
  if (bytes.size() > max_bytes) return err{0, "a message over " + std::to_string(max_bytes >> 20) + " MiB"};
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0) return err{0, "not a Cap'n Proto message"};
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&] {
    capnp::ReaderOptions limits;
    limits.traversalLimitInWords = max_bytes / sizeof(capnp::word) + 1;
    limits.nestingLimit = 16;
    capnp::FlatArrayMessageReader reader(words, limits);
    read(reader);
  });
  KJ_IF_MAYBE(e, failure) {
    const std::string why = e->getDescription().cStr();
    return err{0, "not a Cap'n Proto message: " + why.substr(0, why.find('\n'))};
  }
  return std::monostate{};
}

std::string flat_bytes(capnp::MessageBuilder& message) {
  const auto words = capnp::messageToFlatArray(message);
  return std::string(reinterpret_cast<const char*>(words.asBytes().begin()), words.asBytes().size());
}

}  // namespace

result<std::string, int> encode_job_message(const job_submission& job) {
  capnp::MallocMessageBuilder message;
  const auto encoded = to_wire(job, message.initRoot<wire::Job>());
  if (!encoded) return encoded.error();
  return flat_bytes(message);
}

result<job_submission, int> decode_job_message(std::string_view bytes, std::size_t max_bytes) {
  std::optional<result<job_submission, int>> job;
  const auto read = read_flat(bytes, max_bytes, [&](capnp::MessageReader& r) { job = from_wire(r.getRoot<wire::Job>()); });
  if (!read) return read.error();
  return std::move(*job);
}

std::string encode_result_message(const job_answer& a) {
  capnp::MallocMessageBuilder message;
  to_wire(a, message.initRoot<wire::Result>());
  return flat_bytes(message);
}

result<job_answer, int> decode_result_message(std::string_view bytes, std::size_t max_bytes) {
  std::optional<job_answer> a;
  const auto read = read_flat(bytes, max_bytes, [&](capnp::MessageReader& r) { a = from_wire(r.getRoot<wire::Result>()); });
  if (!read) return read.error();
  return std::move(*a);
}

node_health from_wire(wire::Health::Reader h) {
  node_health n;
  n.version = text_of(h.getVersion());
  n.cores = h.getCores();
  n.simd_target = text_of(h.getSimdTarget());
  for (const auto g : h.getGpus()) n.gpus.push_back({text_of(g.getName()), g.getMemoryBytes(), text_of(g.getSelfTest())});
  n.gpu_note = text_of(h.getGpuNote());
  n.waiting = h.getWaiting();
  n.queued = h.getQueued();
  n.running = h.getRunning();
  n.workers = h.getWorkers();
  return n;
}

void to_wire(const node_health& h, wire::Health::Builder out) {
  out.setVersion(h.version);
  out.setCores(h.cores);
  out.setSimdTarget(h.simd_target);
  auto gpus = out.initGpus(static_cast<unsigned>(h.gpus.size()));
  for (unsigned i = 0; i < h.gpus.size(); ++i) {
    gpus[i].setName(h.gpus[i].name);
    gpus[i].setMemoryBytes(h.gpus[i].memory_bytes);
    gpus[i].setSelfTest(h.gpus[i].self_test);
  }
  out.setGpuNote(h.gpu_note);
  out.setWaiting(static_cast<std::uint32_t>(h.waiting));
  out.setQueued(static_cast<std::uint32_t>(h.queued));
  out.setRunning(static_cast<std::uint32_t>(h.running));
  out.setWorkers(static_cast<std::uint32_t>(h.workers));
}

std::string health_json(const node_health& h) {
  nlohmann::json gpus = nlohmann::json::array();
  for (const auto& g : h.gpus) gpus.push_back({{"name", g.name}, {"memory_bytes", g.memory_bytes}, {"self_test", g.self_test}});
  const nlohmann::json j = {{"status", "ok"},       {"version", h.version}, {"cores", h.cores},
                            {"simd_target", h.simd_target}, {"gpus", gpus},    {"gpu_note", h.gpu_note},
                            {"waiting", h.waiting}, {"queued", h.queued},   {"running", h.running},
                            {"workers", h.workers}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ciro::net
