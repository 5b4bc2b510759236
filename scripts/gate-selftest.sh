#!/usr/bin/env bash
# Proves the instruction-count gate catches a slowdown: counts the native
# overlay kernel with NVVIZ_KERNELS_SELFTEST set (kernels/src/main.rs draws one
# person more: the same library code, ~10 % more work) and expects
# `instructions.py compare` against the committed baseline to fail.
# Exit 0 when the gate caught it, 1 when it did not.
#   scripts/gate-selftest.sh [BASELINE.json]
set -euo pipefail
cd "$(dirname "$0")/.."
baseline="${1:-reports/baseline/instructions-ci-2core.json}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# The same build as gate 2 (no recompilation): the kernel draws one person more.
NVVIZ_KERNELS_SELFTEST=1 python3 scripts/instructions.py measure "$out/slow.json" \
  --only overlay-native >/dev/null 2>&1
set +e
python3 scripts/instructions.py compare "$baseline" "$out/slow.json"
status=$?
set -e
if [ "$status" -eq 1 ]; then
  echo "gate self-test: the deliberate slowdown was caught (compare exit 1)"
  exit 0
fi
echo "gate self-test: the deliberate slowdown was NOT caught (compare exit $status)" >&2
exit 1
