#!/usr/bin/env bash
# The steps of the nvviz-bench GitHub Action (action.yml runs this script), so
# that they run — and are tested (tests/package.rs) — outside GitHub too:
# install the portable binary, doctor, bench, compare with a baseline, write
# the job summary and the step outputs.
#
# Inputs, as environment variables (action.yml maps its inputs onto them):
#   INPUT_RELEASE_URL   URL of a packaged tarball (scripts/package.sh); its
#                       URL.sha256 is fetched and checked. file:// works.
#                       Empty: build the tarball from this checkout (needs Rust).
#   INPUT_REQUIRE       doctor --require value (nvenc, ffmpeg, opencv) or empty
#   INPUT_BENCH_ARGS    arguments for `nvviz-bench bench` (word-split)
#   INPUT_BASELINE      a results file to compare with; empty: no comparison
#   INPUT_COMPARE_ARGS  more arguments for `compare` (e.g. --threshold 15%)
#   INPUT_RESULTS       where the results go (default nvviz-results.json)
#   INPUT_REPORT_DIR    where `report` writes (default nvviz-report)
# Outside GitHub, GITHUB_STEP_SUMMARY / GITHUB_OUTPUT default to files under
# RUNNER_TEMP (or a temporary directory), printed at the end.
#
# Outputs (GITHUB_OUTPUT): results, report, nvenc (true/false), verdict
# (pass | regression | incomparable | skipped), bin (the installed binary).
# Exit status: compare's (0 pass, 1 regression, 2 incomparable), else the
# failing step's.
set -euo pipefail
action_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="${RUNNER_TEMP:-$(mktemp -d)}"
summary="${GITHUB_STEP_SUMMARY:-$tmp/step-summary.md}"
outputs="${GITHUB_OUTPUT:-$tmp/outputs.txt}"
results="${INPUT_RESULTS:-nvviz-results.json}"
report_dir="${INPUT_REPORT_DIR:-nvviz-report}"
say() { echo "[nvviz-bench action] $*" >&2; }
output() { echo "$1=$2" >>"$outputs"; }

# 1. Install: the release tarball (checked) or one built from this checkout.
install_dir="$tmp/nvviz-bench-install"
rm -rf "$install_dir"
mkdir -p "$install_dir"
if [ -n "${INPUT_RELEASE_URL:-}" ]; then
  say "downloading $INPUT_RELEASE_URL"
  name="$(basename "$INPUT_RELEASE_URL")"
  curl -fsSL --retry 3 -o "$install_dir/$name" "$INPUT_RELEASE_URL"
  curl -fsSL --retry 3 -o "$install_dir/$name.sha256" "$INPUT_RELEASE_URL.sha256"
else
  say "building the portable tarball from $action_root (scripts/package.sh)"
  "$action_root/scripts/package.sh" --out "$install_dir" >/dev/null
  name="$(cd "$install_dir" && ls ./*.tar.gz | head -n1 | xargs basename)"
fi
(cd "$install_dir" && sha256sum -c "$name.sha256" >&2)
tar -xzf "$install_dir/$name" -C "$install_dir" --strip-components=1
bin="$install_dir/nvviz-bench"
"$bin" --version >&2
output bin "$bin"

# 2. What this runner can encode (doctor's table into the summary).
doctor_args=(doctor --json)
[ -n "${INPUT_REQUIRE:-}" ] && doctor_args+=(--require "$INPUT_REQUIRE")
set +e
"$bin" "${doctor_args[@]}" >"$tmp/doctor.json"
doctor_exit=$?
set -e
nvenc="$(python3 -c 'import json,sys; print(str(json.load(open(sys.argv[1]))["verdict"]["nvenc_usable"]).lower())' "$tmp/doctor.json")"
output nvenc "$nvenc"
{
  echo "## nvviz-bench"
  echo
  echo "NVENC usable on this runner: **$nvenc**"
  python3 - "$tmp/doctor.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))["verdict"]
print()
print("| guide mode | writes video with | note |")
print("|---|---|---|")
for m in v["modes"]:
    print("| {} | {} | {} |".format(m["mode"], m["path"] or "-", m["note"]))
for s in v["next_steps"]:
    print("- " + s)
PY
  echo
} >>"$summary"
if [ "$doctor_exit" -ne 0 ]; then
  say "doctor: the required path (${INPUT_REQUIRE:-any}) does not work here (exit $doctor_exit)"
  output verdict skipped
  exit "$doctor_exit"
fi

# 3. Bench (results kept whatever compare says).
# shellcheck disable=SC2086 # word-splitting the user's argument string is the point
"$bin" bench ${INPUT_BENCH_ARGS:-} --quiet --export-json "$results" \
  --export-markdown "$tmp/bench.md"
output results "$results"
{ cat "$tmp/bench.md"; echo; } >>"$summary"
"$bin" report "$results" -o "$report_dir" >&2
output report "$report_dir"

# 4. The gate.
if [ -z "${INPUT_BASELINE:-}" ]; then
  say "no baseline given: nothing to compare"
  output verdict skipped
  exit 0
fi
set +e
# shellcheck disable=SC2086
GITHUB_STEP_SUMMARY="$summary" "$bin" compare "$INPUT_BASELINE" "$results" --markdown \
  ${INPUT_COMPARE_ARGS:-} >"$tmp/compare.md"
compare_exit=$?
set -e
case "$compare_exit" in
  0) output verdict pass ;;
  1) output verdict regression ;;
  *) output verdict incomparable ;;
esac
say "compare exit $compare_exit; summary: $summary; outputs: $outputs"
exit "$compare_exit"
