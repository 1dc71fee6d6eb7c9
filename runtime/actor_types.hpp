#pragma once

#include <caf/all.hpp>

#include <cstdint>
#include <string>

/// The messages and typed interfaces of a node's actors (docs/runtime.md, "Actors"). Every message
/// carries its job's id; a proof runs only on a worker's own thread.
namespace ciro::runtime {

using submit_atom = caf::atom_constant<caf::atom("submit")>;
using run_atom = caf::atom_constant<caf::atom("run")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;
using publish_atom = caf::atom_constant<caf::atom("publish")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using wake_atom = caf::atom_constant<caf::atom("wake")>;
using compile_atom = caf::atom_constant<caf::atom("compile")>;
using aggregate_atom = caf::atom_constant<caf::atom("aggregate")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using decided_atom = caf::atom_constant<caf::atom("decided")>;
using write_atom = caf::atom_constant<caf::atom("write")>;

/// A prover worker: run(id, job text, predicted seconds, cores, throughput kind) proves the job
/// in a TBB arena of that many cores, sends the result to the publisher and tells the scheduler
/// it is idle.
using worker_actor = caf::typed_actor<caf::reacts_to<run_atom, std::string, std::string, double, unsigned, std::string>>;

/// The scheduler: submit(id, job text) queues a taken job (or a batch: runtime/batch.hpp); idle(worker, finished id or "") frees
/// a worker; cancel(id) cancels a queued job; drain() puts the queue back into in/.
using scheduler_actor = caf::typed_actor<caf::reacts_to<submit_atom, std::string, std::string>,
                                         caf::reacts_to<idle_atom, worker_actor, std::string>,
                                         caf::reacts_to<cancel_atom, std::string>, caf::reacts_to<drain_atom>>;

/// The publisher: publish(id, ok, result file text, proof bytes, throughput kind, units, metrics
/// kind, wall s, CPU s, price, predicted s) queues the result; write(), which the publisher sends
/// itself after the first of them, writes every result queued so far at once (spool::finish_many),
/// then tells whoever waits for each and learns the jobs' times.
using publisher_actor = caf::typed_actor<caf::reacts_to<publish_atom, std::string, bool, std::string, std::string,
                                                        std::string, double, std::string, double, double, double, double>,
                                         caf::reacts_to<write_atom>>;

/// The validator (with validators configured, docs/consensus.md "In the runtime"): publish(...)
/// as the publisher takes it, the result held until the batch holding its verdict commits;
/// flush(generation) closes the open batch of verdicts when its window ends; decided(certificate,
/// consensus::encode's bytes) hands the held results of a committed batch to the publisher with the
/// certificate attached.
using validator_actor =
    publisher_actor::extend<caf::reacts_to<flush_atom, std::uint64_t>, caf::reacts_to<decided_atom, std::string>>;

/// The aggregator: aggregate(id, job text) takes a job that can join a batch; flush(key,
/// generation) closes the batch of that key when its window ends; drain() puts its open batches
/// back into in/ and passes the drain on to the scheduler.
using aggregator_actor = caf::typed_actor<caf::reacts_to<aggregate_atom, std::string, std::string>,
                                          caf::reacts_to<flush_atom, std::string, std::uint64_t>, caf::reacts_to<drain_atom>>;

/// The compiler: compile(id, job text) makes what the job's proof needs (compile_cache) and submits
/// the job to the scheduler, or fails it with its reason; drain() is passed on to the scheduler
/// after the jobs before it.
using compiler_actor = caf::typed_actor<caf::reacts_to<compile_atom, std::string, std::string>, caf::reacts_to<drain_atom>>;

/// The intake: tick() polls in/ (and schedules the next poll), wake() takes at once (an RPC job
/// just added), drain() stops taking and passes the drain on to the compiler.
using intake_actor = caf::typed_actor<caf::reacts_to<tick_atom>, caf::reacts_to<wake_atom>, caf::reacts_to<drain_atom>>;

}  // namespace ciro::runtime
