@0xebdff97362470925;
# Ciro's wire format: the sidecar's RPC interface (docs/rpc.md), and the job and result messages
# every client speaks. A client connects, receives a Gate, logs in with the node's bearer token
# (empty when the node has none) and gets a Prover.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("ciro::net::wire");

# An example AIR statement, as `ciro prove --air NAME --log-rows K --instances N` proves it.
struct AirStatement {
  name @0 :Text;                 # fibonacci, poseidon2, range-check, permutation
  logRows @1 :UInt8;             # 1 to 30
  instances @2 :UInt16 = 1;      # 1 to 4096
}

# A model and its input, as `ciro prove --model M.onnx --input IN` proves them: the files' bytes.
struct ModelJob {
  onnx @0 :Data;                 # the ONNX model file
  input @1 :Data;                # the input file: JSON, a TensorProto (.pb) or NumPy (.npy)
}

struct Job {
  id @0 :Text;                   # 1 to 128 characters of [A-Za-z0-9._-]; one id, one result
  union {
    air @1 :AirStatement;
    model @2 :ModelJob;
  }
  profile @3 :Text;              # "fast" (also when empty) or "secure"
  deadlineMs @4 :UInt64;         # 0: none; else refused at once when the node predicts a miss
  priority @5 :Int16;            # -1000 to 1000; larger runs first
}

enum Status {
  queued @0;                     # accepted, waiting for a worker
  running @1;                    # being proven
  done @2;                       # resultJson and proof hold the result
  failed @3;                     # reason says why (a refused deadline included)
  busy @4;                       # not accepted: the node is full or stopping; retry after retryAfterMs
  unknown @5;                    # no job of this id
  cancelled @6;                  # cancelled before it ran
}

struct Result {
  id @0 :Text;
  status @1 :Status;
  reason @2 :Text;               # failed, busy, cancelled: one line
  retryAfterMs @3 :UInt32;       # busy: the node's estimate of when a place frees up
  predictedS @4 :Float64 = -1;   # the node's prediction of the proof's wall time; -1: none
  resultJson @5 :Text;           # done and failed: the result file of docs/runtime.md (cost included)
  proof @6 :Data;                # done: the proof file (`ciro verify` checks it)
}

struct Gpu {
  name @0 :Text;
  memoryBytes @1 :UInt64;
  selfTest @2 :Text;             # "ok", or why the device is not used
}

struct Health {
  version @0 :Text;
  cores @1 :UInt32;
  simdTarget @2 :Text;
  gpus @3 :List(Gpu);
  gpuNote @4 :Text;              # why no GPU is used, when none is
  waiting @5 :UInt32;            # job files not taken yet
  queued @6 :UInt32;             # jobs in the scheduler's queue
  running @7 :UInt32;
  workers @8 :UInt32;
}

# The promise of one job's result: result() returns when the job has it (call it at once, with
# promise pipelining: submit and result in one round trip, no polling).
interface Ticket {
  result @0 () -> (result :Result);
}

interface Prover {
  # Accepts a job (the answer says queued, or at once done/failed/busy) and returns its ticket.
  # The same id again answers from the first job: its result, or a ticket for it.
  submit @0 (job :Job) -> (accepted :Result, ticket :Ticket);
  # Where the job of this id is; withProof: the proof too when done.
  status @1 (id :Text, withProof :Bool) -> (result :Result);
  # Cancels a job not yet running (answer: cancelled), else says where it is.
  cancel @2 (id :Text) -> (result :Result);
  # Checks a proof file (an AIR proof or a model proof) at minSecurityBits (0: 100).
  verify @3 (proof :Data, minSecurityBits :UInt16) -> (valid :Bool, message :Text);
  health @4 () -> (health :Health);
}

# What a connection starts with. login() with the node's token (empty when it has none) gives the
# Prover; a wrong token is refused.
interface Gate {
  login @0 (token :Text) -> (prover :Prover);
}

# A validator's endpoint (docs/consensus.md, "In the runtime"): what a node with validators
# configured serves at its address in the validator peer list, with a Validator as the bootstrap.
# Frames are opaque to the transport: each is one consensus message, request or evidence in the
# runtime's framing, authenticated by the Ed25519 signatures and proofs inside it, not by the
# connection. A sender sends what has queued since its last call returned, in one call.
interface Validator {
  deliver @0 (frames :List(Data)) -> ();
}
