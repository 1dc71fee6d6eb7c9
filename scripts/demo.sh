#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job the way users run it: a proving node
# (`ciro serve`, the embedded default: RPC on 127.0.0.1:7441, metrics on 127.0.0.1:7442, a spool
# in the working directory; with a price of 0.04 per core-hour for the costs) receives jobs
# through `ciro submit` - both example AIRs and two ONNX models - proves them, and hands back
# results and proofs, which `ciro verify` checks. Each job's result line shows its cost. The node
# is stopped (SIGTERM: it drains) at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/setup.sh
scripts/build.sh
ciro="$root/${CIRO_BUILD_DIR:-build}/cli/ciro"
models="$root/tests/zkml/models"

work=$(mktemp -d)
cd "$work"
"$ciro" serve --price-core-hour 0.04 2> serve.log &
node=$!
trap 'kill -TERM $node 2>/dev/null || true; wait $node 2>/dev/null || true' EXIT
# Ready when `ciro status` reaches the node (exit 1: "no such job") instead of failing to connect (2).
for _ in $(seq 1 600); do
  rc=0; "$ciro" status probe >/dev/null 2>&1 || rc=$?
  [ "$rc" = 1 ] && break
  kill -0 $node 2>/dev/null || { cat serve.log >&2; exit 1; }
  sleep 0.1
done
grep "RPC on" serve.log >&2

python3 - "$models" <<'PY'
import json, sys
for name in ("mlp", "lenet"):
    sets = json.load(open(f"{sys.argv[1]}/{name}.inputs.json"))
    json.dump(sets["inputs"][0], open(f"{name}.input.json", "w"))
PY

echo "== jobs through ciro submit (RPC on the embedded default)"
"$ciro" submit --id fib-16 --air fibonacci --log-rows 16 -o fib-16.proof
"$ciro" submit --id poseidon2-12 --air poseidon2 --log-rows 12 -o poseidon2-12.proof
"$ciro" submit --id range-14 --air range-check --log-rows 14 --profile secure -o range-14.proof
"$ciro" submit --id mlp-1 --model "$models/mlp.onnx" --input mlp.input.json -o mlp-1.proof
"$ciro" submit --id lenet-1 --model "$models/lenet.onnx" --input lenet.input.json -o lenet-1.proof

echo "== the proofs, checked by ciro verify"
for p in fib-16 poseidon2-12 range-14; do "$ciro" verify "$p.proof"; done
"$ciro" verify --model "$models/mlp.onnx" --input mlp.input.json mlp-1.proof
"$ciro" verify --model "$models/lenet.onnx" --input lenet.input.json lenet-1.proof

echo "== the node"
"$ciro" status fib-16
curl -fsS http://127.0.0.1:7442/health 2>/dev/null && echo || true
kill -TERM $node
wait $node
trap - EXIT
echo "(spool and proofs in $work)"
