#!/usr/bin/env bash
# This project's CI performance gate, on what a shared 2-core runner can judge
# (the study behind it: lab/gate-study/, docs/ci-gate.md):
#  1. in-run ratios of CURRENT against the committed baseline, with the settings in
#     reports/baseline/gate.args (metric, threshold, the cases gated);
#  2. the CPU kernels' instruction counts (callgrind) against
#     reports/baseline/instructions-ci-2core.json: more than +2 % fails; counts
#     made by another rustc or valgrind are not comparable (reported, not failed);
#  3. the gate's self-test: a deliberate slowdown must be caught.
# Absolute fps is compared last, for the record only.
#   scripts/ci-gate.sh CURRENT.json WORKDIR
set -euo pipefail
cd "$(dirname "$0")/.."
current="${1:?usage: ci-gate.sh CURRENT.json WORKDIR}"
work="${2:?usage: ci-gate.sh CURRENT.json WORKDIR}"
bin="${NVVIZ_BIN:-target/release/nvviz-bench}"
read -r -a gate <<<"$(cat reports/baseline/gate.args)"
echo "== gate 1: in-run ratios (${gate[*]})"
"$bin" compare reports/baseline/ci-2core.json "$current" "${gate[@]}" --allow-env-mismatch
echo "== gate 2: instruction counts"
set +e
python3 scripts/instructions.py measure "$work/instructions.json" \
  --baseline reports/baseline/instructions-ci-2core.json --threshold 2
status=$?
set -e
case "$status" in
  0) ;;
  2) echo "(instruction counts not comparable with the baseline's toolchain: refresh reports/baseline/instructions-ci-2core.json)" ;;
  *) echo "instruction-count gate: regression" >&2; exit 1 ;;
esac
echo "== gate 3: self-test (a deliberate slowdown must fail gate 2)"
bash scripts/gate-selftest.sh
echo "== absolute fps (informational: it moves 10-50 % on shared runners, lab/gate-study/)"
"$bin" compare reports/baseline/ci-2core.json "$current" --allow-env-mismatch \
  || echo "(absolute fps comparison is informational on shared CI machines: exit $?)"
