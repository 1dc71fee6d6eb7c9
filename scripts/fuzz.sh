#!/usr/bin/env bash
# Builds the proof fuzzer (clang-14, libFuzzer + ASan + UBSan) in ${CIRO_FUZZ_BUILD_DIR:-build-fuzz}
# and runs it for ${CIRO_FUZZ_SECONDS:-60} seconds over a scratch copy of fuzz/corpus/proof/ (the
# committed corpus is never rewritten; add interesting finds to it by hand). Exits non-zero on a
# crash, sanitizer report, leak or timeout; libFuzzer then leaves the input in the build directory
# (crash-*, timeout-*, leak-*): reproduce with <build>/fuzz/proof_fuzzer <that file>.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${CIRO_FUZZ_BUILD_DIR:-build-fuzz}
seconds=${CIRO_FUZZ_SECONDS:-60}
CC=${CIRO_FUZZ_CC:-clang-14} CXX=${CIRO_FUZZ_CXX:-clang++-14} \
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCIRO_FUZZ=ON -DCIRO_CUDA=OFF \
  -DCIRO_WERROR=OFF >/dev/null
ninja -C "$build_dir" -j "$(nproc)" proof_fuzzer
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r fuzz/corpus/proof "$work/corpus"
# -timeout bounds one input (the verifier's work is bounded by the parameters), -rss_limit_mb the
# memory, -max_len the input size (the largest seed is a few tens of KB).
rc=0
(cd "$build_dir" && ./fuzz/proof_fuzzer "$work/corpus" -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1) >"$work/log" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
  tail -n 80 "$work/log"
  echo "fuzz: proof_fuzzer failed (exit $rc); the input is in $build_dir" >&2
  exit "$rc"
fi
grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|DONE' "$work/log" || true
