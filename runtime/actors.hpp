#pragma once

#include "runtime/actor_types.hpp"
#include "runtime/node_state.hpp"

/// The behaviors of a node's actors (docs/runtime.md, "Actors"). Each works on the node's shared
/// state `s` (which must outlive it) and meets the others by the messages of actor_types.hpp only.
namespace ciro::runtime {

/// The publisher: writes each result (and proof) through the spool, hands it to the callbacks
/// waiting for it, counts it in the metrics and teaches the throughput model the job's time.
publisher_actor::behavior_type publisher(publisher_actor::pointer self, shared_state* s);

/// The validator (with config.validator): gives each proven job's proof to `s.proofs`, verifies
/// it there (its verdict), and gathers the verdicts into batches of at most max_verdicts, closed
/// a window after their first, which it submits to s.consensus. It holds each job's result until
/// the batch with its verdict commits, then sends it to `pub` with "certificate" (the quorum
/// certificate as `ciro verify-certificate` reads it) added; a verdict of "invalid" makes the job
/// fail. Failed jobs (no proof) go to `pub` at once. Spawn it detached: verification takes
/// milliseconds a proof.
validator_actor::behavior_type validator(validator_actor::pointer self, shared_state* s, publisher_actor pub);

/// A prover worker. Spawn it detached in a node (its proof runs on its own thread); the first
/// idle message, announcing it to the scheduler, is its spawner's to send.
worker_actor::behavior_type worker(worker_actor::pointer self, shared_state* s, publisher_actor publisher,
                                   scheduler_actor scheduler);

/// The scheduler: a bounded priority queue (larger priority first, then arrival order) whose first
/// job goes to an idle worker once the cores of its placement are free. A job with a deadline is
/// refused when the predicted time of the work ahead of it (the queued jobs it does not pass, the
/// rest of the running ones, shared by the workers) plus its own exceeds the deadline.
scheduler_actor::behavior_type scheduler(scheduler_actor::pointer self, shared_state* s);

/// The compiler: compiles each job into s.compiled (an AIR's proving key; a model's parse and
/// circuit, cached by content) before it is queued, so a model that cannot be proven fails before
/// it waits, and the workers prove with what is compiled. Spawn it detached: a model's compile
/// takes seconds, which no other actor's mailbox waits for. With an aggregator `agg` (batches on),
/// the jobs that can join a batch go to it instead, uncompiled (their batch is compiled by shape).
compiler_actor::behavior_type compiler(compiler_actor::pointer self, shared_state* s, scheduler_actor sched,
                                       aggregator_actor agg);

/// The aggregator (with config.batch.max_jobs > 0): gathers the jobs that can join a batch by
/// batch_key until max_jobs of them or the window since the first has passed, then sends them to
/// the scheduler as one batch (one job alone as itself). A job with a deadline joins only when
/// the window plus the throughput model's time for a full batch meets it; otherwise, and when the
/// model has never measured its kind, it goes to the scheduler alone (which refuses it if even
/// that is too late).
aggregator_actor::behavior_type aggregator(aggregator_actor::pointer self, shared_state* s, scheduler_actor sched);

/// The intake: takes job files from in/ (every config.poll, and at once on wake) as far as the
/// queue has room, fails bad ones at once, sends the others to the compiler `comp`.
intake_actor::behavior_type intake(intake_actor::pointer self, shared_state* s, compiler_actor comp);

/// Writes DIR/throughput.json and DIR/metrics.json. Holds s.mutex.
void save_model_and_metrics(shared_state& s);

}  // namespace ciro::runtime
