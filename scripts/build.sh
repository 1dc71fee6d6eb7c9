#!/usr/bin/env bash
# Configures and builds Ciro (Release) into ${CIRO_BUILD_DIR:-build}. Extra arguments go to
# CMake, e.g. scripts/build.sh -DCIRO_CUDA=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${CIRO_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCIRO_WERROR=ON "$@" >/dev/null
ninja -C "$build_dir" -j "$(nproc)"
