// Runs models through ONNX Runtime (onnxruntime-node, CPU) to give the parity test its reference:
//
//   node tests/ort/run_ort.mjs MODEL.onnx INPUTS.json OUT.json [MODEL INPUTS OUT ...]
//
// INPUTS.json is {"inputs": [{"<input name>": {"shape": [...], "data": [...]}}, ...]} (the files
// scripts/make_models.py writes); each input takes the element type the model declares for it.
// OUT.json gets {"runtime": "onnxruntime-node <version>", "runs": [{"<output name>": {"shape": [...],
// "data": [...]}}, ...]}, one run per input set, every output of the model: float values as the
// exact float32 ONNX Runtime computed (JSON numbers print the shortest decimal that reads back to
// the same value), int64 values as numbers (exact up to 2^53).
//
// Sessions run with graphOptimizationLevel 'disabled' on one thread: ONNX Runtime then executes
// the graph's nodes as written (no constant folding, no fusions such as Conv+BatchNormalization or
// LayerNormalization, which change the float32 rounding), so its result is the plain graph's.
//
// Exit codes: 0 written; 77 onnxruntime-node is not installed (scripts/setup.sh installs it into
// tests/ort/node_modules), the output files are removed and ctest reports the run as skipped;
// 1 any other failure; 2 usage.

import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {dirname} from 'node:path';

const args = process.argv.slice(2);
if (args.length === 0 || args.length % 3 !== 0) {
  console.error('usage: node run_ort.mjs MODEL.onnx INPUTS.json OUT.json [MODEL INPUTS OUT ...]');
  process.exit(2);
}
const jobs = [];
for (let i = 0; i < args.length; i += 3) jobs.push({model: args[i], inputs: args[i + 1], out: args[i + 2]});
for (const job of jobs) rmSync(job.out, {force: true});  // never leave a stale reference behind

let ort;
try {
  ort = (await import('onnxruntime-node')).default;
} catch (e) {
  console.log(`run_ort: onnxruntime-node is not installed in tests/ort (run scripts/setup.sh): ${e.message}`);
  process.exit(77);
}

const arrays = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  bool: Uint8Array,
};

function makeTensor(type, {shape, data}) {
  if (type === 'int64') return new ort.Tensor(type, BigInt64Array.from(data, (v) => BigInt(v)), shape);
  const array = arrays[type];
  if (!array) throw new Error(`input type ${type} is not supported`);
  return new ort.Tensor(type, array.from(data), shape);
}

function plain(tensor) { return {shape: tensor.dims.map(Number), data: Array.from(tensor.data, Number)}; }

for (const job of jobs) {
  const session = await ort.InferenceSession.create(job.model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'disabled',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const types = Object.fromEntries(session.inputMetadata.map((m) => [m.name, m.isTensor ? m.type : null]));
  const sets = JSON.parse(readFileSync(job.inputs, 'utf8')).inputs;
  const runs = [];
  for (const set of sets) {
    const feeds = {};
    for (const [name, value] of Object.entries(set)) {
      if (!(name in types)) throw new Error(`${job.inputs}: '${name}' is not an input of ${job.model}`);
      feeds[name] = makeTensor(types[name], value);
    }
    const results = await session.run(feeds);
    runs.push(Object.fromEntries(session.outputNames.map((name) => [name, plain(results[name])])));
  }
  await session.release();
  mkdirSync(dirname(job.out), {recursive: true});
  writeFileSync(job.out, JSON.stringify({runtime: `onnxruntime-node ${ort.env.versions.node}`, runs}) + '\n');
  console.log(`run_ort: ${job.model}: ${runs.length} runs -> ${job.out}`);
}
