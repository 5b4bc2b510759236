#!/usr/bin/env bash
# The short end-to-end bench CI runs on every submission (and that made the
# committed baseline): the embedded clip at 640x360, every CPU-side mode,
# rounds interleaved so that each case carries its in-run ratio to a reference
# case of the same rounds (what `compare --metric ratio` gates on).
#
#   scripts/ci-bench.sh OUT.json                 measure
#   NVVIZ_CI_ROUNDS=9 scripts/ci-bench.sh reports/baseline/ci-2core.json
#                                                regenerate the baseline (on the CI machine type):
#                                                more rounds, so that its ratios are the machine
#                                                type's middle and spread, not one run's
set -euo pipefail
out="${1:?usage: ci-bench.sh OUT.json}"
bin="${NVVIZ_BIN:-target/release/nvviz-bench}"
exec "$bin" bench --resolution 640x360 --frames 300 --warmup 5 --runs "${NVVIZ_CI_ROUNDS:-3}" --interleave \
  --modes original,fast,native,overlay-only,encode-only,encoder-ceiling \
  --quiet --export-json "$out"
