#include "runtime/validator_frames.hpp"

#include "consensus/encoding.hpp"

namespace ciro::runtime {

namespace {

enum frame_tag : std::uint8_t { message_tag = 1, request_tag = 2 };

std::string to_string(const std::vector<std::uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

}  // namespace

std::string encode_frame(const validator_frame& frame) {
  consensus::byte_writer w;
  if (const auto* m = std::get_if<consensus::message>(&frame)) {
    w.u8(message_tag);
    consensus::encode(w, *m);
  } else {
    const auto& r = std::get<validator_request>(frame);
    w.u8(request_tag);
    consensus::encode(w, r.verdicts);
    w.u32(static_cast<std::uint32_t>(r.proofs.size()));
    for (const auto& p : r.proofs) w.string(p);
  }
  return to_string(w.data());
}

std::optional<validator_frame> decode_frame(const std::string& bytes) {
  const std::span<const std::uint8_t> in(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  if (in.empty()) return std::nullopt;
  switch (in[0]) {
    case message_tag: {
      auto m = consensus::decode_message(in.subspan(1));
      if (!m) return std::nullopt;
      return validator_frame{std::move(*m)};
    }
    case request_tag: {
      consensus::byte_reader r(in.subspan(1));
      validator_request req;
      auto b = consensus::decode_batch(r);
      if (!b) return std::nullopt;
      req.verdicts = std::move(*b);
      const auto n = r.count(static_cast<std::uint32_t>(req.verdicts.verdicts.size() + req.verdicts.evidence.size()));
      if (!n) return std::nullopt;
      std::size_t total = 0;
      for (std::uint32_t i = 0; i < *n; ++i) {
        auto p = r.string(max_request_proof_bytes);
        if (!p || (total += p->size()) > max_request_bytes) return std::nullopt;
        req.proofs.push_back(std::move(*p));
      }
      if (!r.at_end()) return std::nullopt;
      return validator_frame{std::move(req)};
    }
    default:
      return std::nullopt;
  }
}

}  // namespace ciro::runtime
