#!/usr/bin/env bash
# Installs every Debian package Ciro needs to build and test. Idempotent and quiet: when all
# packages are present it only checks (well under a second); `apt-get update` runs only when
# something is missing. Needs root (or sudo). Where npm is present it also installs ONNX Runtime
# for Node (tests/ort, the reference of the model parity test) unless it is already there.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  libtbb-dev libhwy-dev nlohmann-json3-dev libmimalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev
  libprotobuf-dev libonnx-dev libonnx-testdata
  libcaf-dev capnproto libcapnp-dev librdkafka-dev libhiredis-dev redis-server libsodium-dev
  python3-onnx python3-numpy
  chromium openssl
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# onnxruntime-node (CPU runtime inside the package; ONNXRUNTIME_NODE_INSTALL=skip stops its install
# script from fetching GPU binaries) into tests/ort/node_modules (gitignored), from the committed
# lock. Up to date when npm's record of the install is not older than the lock. Not fatal: without
# it the parity test skips and says why.
ort="$(cd "$(dirname "$0")/.." && pwd)/tests/ort"
if command -v npm >/dev/null 2>&1 && { ! [ -f "$ort/node_modules/.package-lock.json" ] ||
  [ "$ort/package-lock.json" -nt "$ort/node_modules/.package-lock.json" ]; }; then
  echo "setup: installing onnxruntime-node into tests/ort/node_modules" >&2
  (cd "$ort" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
    echo "setup: npm ci failed in tests/ort; the ONNX Runtime parity test will skip" >&2
fi
