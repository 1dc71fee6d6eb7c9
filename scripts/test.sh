#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (ctest labels: unit, integration, slow,
# gpu; GPU tests skip visibly without a device). Prints ctest's summary; exits non-zero on any
# failure. Pass ctest arguments through, e.g. scripts/test.sh -L unit. Then, where clang++-14 is
# installed (setup.sh installs it), a short run of the proof fuzzer (scripts/fuzz.sh, about 60 s
# plus its build; CIRO_FUZZ_SECONDS=0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
(cd "${CIRO_BUILD_DIR:-build}" && ctest --output-on-failure -j "$(nproc)" "$@")
if [ "${CIRO_FUZZ_SECONDS:-60}" != 0 ] && command -v clang++-14 >/dev/null 2>&1; then
  scripts/fuzz.sh
fi
