#!/usr/bin/env bash
# Proves the instruction-count gate catches a slowdown: builds the kernels with
# the `gate-selftest` feature (the native overlay draws every box outline twice)
# and expects `instructions.py compare` against the committed baseline to fail.
# Exit 0 when the gate caught it, 1 when it did not.
#   scripts/gate-selftest.sh [BASELINE.json]
set -euo pipefail
cd "$(dirname "$0")/.."
baseline="${1:-reports/baseline/instructions-ci-2core.json}"
out="$(mktemp -d)"
trap 'rm -rf "$out"; scripts/cargo build --release --quiet --example kernels' EXIT
scripts/cargo build --release --quiet --example kernels --features gate-selftest
# measure rebuilds without the feature unless told: count this binary as built.
NVVIZ_KERNELS_FEATURES=gate-selftest python3 scripts/instructions.py measure "$out/slow.json" >/dev/null 2>&1
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
