#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: first, where clang++-14 is installed
# (setup.sh installs it), a short run of the proof and model fuzzers (scripts/fuzz.sh, about 60 s plus its
# build; CIRO_FUZZ_SECONDS=0 skips it), then ctest (labels: unit, integration, slow, gpu; GPU
# tests skip visibly without a device), whose summary is the last thing printed. Exits non-zero
# on any failure. Extra arguments go to ctest, e.g. scripts/test.sh -L unit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
if [ "${CIRO_FUZZ_SECONDS:-60}" != 0 ] && command -v clang++-14 >/dev/null 2>&1; then
  scripts/fuzz.sh
fi
cd "${CIRO_BUILD_DIR:-build}"
ctest --output-on-failure -j "$(nproc)" "$@"
