#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job. Until the prover exists that is
# `ciro bench --quick`: the field, NTT, LDE and hashing workloads with their throughput.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
"${CIRO_BUILD_DIR:-build}"/cli/ciro bench --quick
