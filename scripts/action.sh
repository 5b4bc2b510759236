#!/usr/bin/env bash
# The steps of the nvviz-bench GitHub Action (action.yml runs this script), so
# that they run — and are tested (tests/suite/package.rs) — outside GitHub too:
# install the portable binary, doctor, bench, compare with a baseline, write
# the job summary and the step outputs.
#
# Inputs, as environment variables (action.yml maps its inputs onto them):
#   INPUT_RELEASE_URL   URL of a packaged tarball (scripts/package.sh). The
#                       tarball itself is hashed here and compared with
#                       INPUT_SHA256 or, when that is empty, with the hash in
#                       URL.sha256 (fetched). file:// works.
#                       Empty: build the tarball from this checkout (needs Rust).
#   INPUT_SHA256        the tarball's expected SHA-256 (64 hex digits), pinned
#                       in the workflow; empty: trust URL.sha256's hash
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
# (pass | regression | incomparable | skipped | install-failed | unmet-requirement
# | bench-failed), error (what failed, when something did), bin (the installed
# binary).
# Exit status: 0 pass (or nothing to compare), 1 regression, 2 incomparable
# (compare's own), 3 the install failed (download, checksum, unpack, build),
# 4 doctor's requirement not met, 5 bench or report failed. 1 means a
# regression and nothing else.
set -euo pipefail
action_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="${RUNNER_TEMP:-$(mktemp -d)}"
summary="${GITHUB_STEP_SUMMARY:-$tmp/step-summary.md}"
outputs="${GITHUB_OUTPUT:-$tmp/outputs.txt}"
results="${INPUT_RESULTS:-nvviz-results.json}"
report_dir="${INPUT_REPORT_DIR:-nvviz-report}"
say() { echo "[nvviz-bench action] $*" >&2; }
output() { echo "$1=$2" >>"$outputs"; }
# A step that failed: say what, record it in the outputs, exit with its status.
fail() {  # fail STATUS VERDICT MESSAGE
  say "$3"
  output verdict "$2"
  output error "$3"
  exit "$1"
}
hex64() { [[ "$1" =~ ^[0-9a-fA-F]{64}$ ]]; }

# 1. Install: the release tarball (checked) or one built from this checkout.
install_dir="$tmp/nvviz-bench-install"
rm -rf "$install_dir"
mkdir -p "$install_dir"
if [ -n "${INPUT_RELEASE_URL:-}" ]; then
  say "downloading $INPUT_RELEASE_URL"
  name="$(basename "$INPUT_RELEASE_URL")"
  curl -fsSL --retry 3 -o "$install_dir/$name" "$INPUT_RELEASE_URL" ||
    fail 3 install-failed "install: could not download $INPUT_RELEASE_URL"
  if [ -n "${INPUT_SHA256:-}" ]; then
    hex64 "$INPUT_SHA256" || fail 3 install-failed "install: the sha256 input is not 64 hex digits"
    expected="$INPUT_SHA256"
  else
    curl -fsSL --retry 3 -o "$install_dir/$name.sha256" "$INPUT_RELEASE_URL.sha256" ||
      fail 3 install-failed "install: could not download $INPUT_RELEASE_URL.sha256 (or pin the hash with the sha256 input)"
    # Only the hash is read from it: the file name beside it is never trusted
    # (sha256sum -c would check whatever file that name points at).
    expected="$(awk 'NR == 1 {print $1}' "$install_dir/$name.sha256")"
    hex64 "$expected" || fail 3 install-failed "install: $name.sha256 holds no SHA-256 hash"
  fi
else
  say "building the portable tarball from $action_root (scripts/package.sh)"
  "$action_root/scripts/package.sh" --out "$install_dir" >/dev/null ||
    fail 3 install-failed "install: scripts/package.sh could not build the tarball (needs Rust on the runner)"
  name="$(cd "$install_dir" && ls ./*.tar.gz | head -n1 | xargs basename)"
  expected="$(awk 'NR == 1 {print $1}' "$install_dir/$name.sha256")"
fi
# The downloaded tarball itself, hashed here.
actual="$(sha256sum "$install_dir/$name" | awk '{print $1}')"
if [ "${actual,,}" != "${expected,,}" ]; then
  fail 3 install-failed "install: checksum FAILED for $name: sha256 $actual, expected $expected; nothing installed"
fi
say "$name: sha256 $actual OK"
tar -xzf "$install_dir/$name" -C "$install_dir" --strip-components=1 ||
  fail 3 install-failed "install: could not unpack $name"
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
  fail 4 unmet-requirement "doctor: the required path (${INPUT_REQUIRE:-any}) does not work here (doctor exit $doctor_exit)"
fi

# 3. Bench (results kept whatever compare says).
# shellcheck disable=SC2086 # word-splitting the user's argument string is the point
set +e
"$bin" bench ${INPUT_BENCH_ARGS:-} --quiet --export-json "$results" \
  --export-markdown "$tmp/bench.md"
bench_exit=$?
set -e
[ -s "$results" ] && output results "$results"
[ -s "$tmp/bench.md" ] && { cat "$tmp/bench.md"; echo; } >>"$summary"
[ "$bench_exit" -eq 0 ] || fail 5 bench-failed "bench: exit $bench_exit (a case failed, or bad bench-args); results kept in $results where written"
"$bin" report "$results" -o "$report_dir" >&2 || fail 5 bench-failed "report: could not write $report_dir"
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
