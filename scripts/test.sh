#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (ctest labels: unit, integration, slow,
# gpu; GPU tests skip visibly without a device). Prints ctest's summary; exits non-zero on any
# failure. Pass ctest arguments through, e.g. scripts/test.sh -L unit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd "${CIRO_BUILD_DIR:-build}"
ctest --output-on-failure -j "$(nproc)" "$@"
