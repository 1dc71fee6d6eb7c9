#pragma once

#include <string_view>

#include "core/result.hpp"
#include "net/ciro.capnp.h"
#include "net/job_service.hpp"

/// Between the wire structs of net/ciro.capnp and the plain ones of net/job_service.hpp, both ways.
namespace ciro::net {

/// A wire Job as a job_submission: its job JSON (the spool's job file format, without "model" and
/// "input" for a model job) and, for a model job, the files' bytes. The JSON is checked by the
/// node (parse_job); here only the union is: a Job names an AIR or a model with both files.
[[nodiscard]] result<job_submission, int> from_wire(wire::Job::Reader job);
/// A job_submission on the wire. Fails when job_json is not a JSON object of the job file's keys.
[[nodiscard]] result<std::monostate, int> to_wire(const job_submission& job, wire::Job::Builder out);

[[nodiscard]] job_answer from_wire(wire::Result::Reader r);
void to_wire(const job_answer& a, wire::Result::Builder out);

/// Kafka's messages (docs/farm.md): a Job or a Result as one flat Cap'n Proto message, and back.
/// Decoding bounds the message (`max_bytes`, nesting 16) and fails with one line for anything that
/// is not such a message.
[[nodiscard]] result<std::string, int> encode_job_message(const job_submission& job);
[[nodiscard]] result<job_submission, int> decode_job_message(std::string_view bytes, std::size_t max_bytes);
[[nodiscard]] std::string encode_result_message(const job_answer& a);
[[nodiscard]] result<job_answer, int> decode_result_message(std::string_view bytes, std::size_t max_bytes);

[[nodiscard]] node_health from_wire(wire::Health::Reader h);
void to_wire(const node_health& h, wire::Health::Builder out);

}  // namespace ciro::net
