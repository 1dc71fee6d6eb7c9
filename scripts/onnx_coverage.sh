#!/usr/bin/env bash
# Regenerates docs/onnx_coverage.md: builds onnx_coverage in ${CIRO_BUILD_DIR:-build} and grades
# ONNX's backend tests (Debian libonnx-testdata; scripts/setup.sh installs it) against the float
# reference: per suite and per op, the tests that exist, run and pass, and why the others are
# skipped. The header records the date, the commit and the machine (CIRO_MACHINE overrides the
# detected "<cores>-core <CPU model>"). Exits non-zero when a test that runs fails (the table is
# written anyway and lists it).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${CIRO_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCIRO_WERROR=ON >/dev/null
ninja -C "$build_dir" onnx_coverage >/dev/null
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then commit="$commit (with uncommitted changes)"; fi
cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//' || true)
machine=${CIRO_MACHINE:-"$(nproc)-core ${cpu:-CPU}"}
package="libonnx-testdata $(dpkg-query -W -f '${Version}' libonnx-testdata 2>/dev/null || echo '(version unknown)')"
"$build_dir/zkml/onnx_coverage" --out docs/onnx_coverage.md --date "$(date -u +%F)" --commit "$commit" \
  --machine "$machine" --package "$package"
echo "wrote docs/onnx_coverage.md" >&2
