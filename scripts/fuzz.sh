#!/usr/bin/env bash
# Builds the fuzzers (clang-14, libFuzzer + ASan + UBSan) in ${CIRO_FUZZ_BUILD_DIR:-build-fuzz} and
# runs each over a scratch copy of its seed corpus, splitting ${CIRO_FUZZ_SECONDS:-60} seconds
# between them: proof_fuzzer (proof decoder and verifier, fuzz/corpus/proof/) gets the first half,
# model_fuzzer (ONNX loader, float reference, input files; fuzz/corpus/model/) the rest. The
# committed corpora are never rewritten; add interesting finds to them by hand. Exits non-zero on a
# crash, sanitizer report, leak or timeout; libFuzzer then leaves the input in the build directory
# (crash-*, timeout-*, leak-*, oom-*): reproduce with <build>/fuzz/<fuzzer> <that file>.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${CIRO_FUZZ_BUILD_DIR:-build-fuzz}
seconds=${CIRO_FUZZ_SECONDS:-60}
CC=${CIRO_FUZZ_CC:-clang-14} CXX=${CIRO_FUZZ_CXX:-clang++-14} \
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCIRO_FUZZ=ON -DCIRO_CUDA=OFF \
  -DCIRO_WERROR=OFF >/dev/null
ninja -C "$build_dir" -j "$(nproc)" proof_fuzzer model_fuzzer
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
proof_seconds=$((seconds / 2))
model_seconds=$((seconds - proof_seconds))
# run NAME CORPUS SECONDS: fuzz for SECONDS over a copy of CORPUS. -timeout bounds one input (the
# verifier's work is bounded by the parameters, the reference's by the model sizes the fuzzer
# runs), -rss_limit_mb the memory, -max_len the input size (the largest seed is a few tens of KB).
run() {
  local name=$1 corpus=$2 time=$3 rc=0
  [ "$time" -gt 0 ] || return 0
  cp -r "$corpus" "$work/$name-corpus"
  (cd "$build_dir" && "./fuzz/$name" "$work/$name-corpus" -max_total_time="$time" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1) >"$work/$name.log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    tail -n 80 "$work/$name.log"
    echo "fuzz: $name failed (exit $rc); the input is in $build_dir" >&2
    exit "$rc"
  fi
  echo "$name:"
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|DONE' "$work/$name.log" || true
}
run proof_fuzzer fuzz/corpus/proof "$proof_seconds"
run model_fuzzer fuzz/corpus/model "$model_seconds"
