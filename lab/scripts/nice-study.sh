#!/usr/bin/env bash
# Does --worker-nice help or hurt? The native visualizer (overlay + pipe +
# encoder) with the engine's workers at niceness 0 and 19, on a quiet machine
# and beside LOAD processes that spin (another tenant's busy hour), rounds
# alternating the niceness so a drifting machine moves both. Each bench also
# records other processes' CPU per run (`others_cores`).
#
#   lab/scripts/nice-study.sh OUT_DIR [ROUNDS] [LOAD]     (LOAD: spinning processes, default: all cores)
#
# Writes OUT_DIR/<load>-nice<N>-round<R>.json and OUT_DIR/summary.md.
set -euo pipefail
out="${1:?usage: nice-study.sh OUT_DIR [ROUNDS] [LOAD]}"
rounds="${2:-3}"
load="${3:-$(nproc)}"
bin="${NVVIZ_BIN:-target/release/nvviz-bench}"
frames="${FRAMES:-300}"
mkdir -p "$out"
spinners=()
stop_load() {
  for pid in "${spinners[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait "${spinners[@]}" 2>/dev/null || true
  spinners=()
}
trap stop_load EXIT
for state in quiet loaded; do
  if [ "$state" = loaded ]; then
    for _ in $(seq "$load"); do
      sh -c 'while :; do :; done' &
      spinners+=("$!")
    done
  fi
  for r in $(seq "$rounds"); do
    order="0 19"
    [ $((r % 2)) -eq 0 ] && order="19 0"
    for nice in $order; do
      "$bin" bench --modes native --codecs h264 --frames "$frames" --runs 1 \
        --worker-nice "$nice" -q --export-json "$out/$state-nice$nice-round$r.json" >/dev/null
    done
  done
  stop_load
done
python3 - "$out" "$load" <<'EOF'
import glob, json, os, statistics, sys
out, load = sys.argv[1], sys.argv[2]
rows = {}
env = None
for path in sorted(glob.glob(os.path.join(out, "*-nice*-round*.json"))):
    state, nice = os.path.basename(path).split("-")[:2]
    r = json.load(open(path))
    env = r["environment"]
    for c in r["cases"]:
        if c["status"] != "ok":
            continue
        run = c["runs"][0]
        key = (c["id"], state, nice)
        ms = run["stages_ms_per_frame"]["overlay"]
        rows.setdefault(key, []).append((run["fps"], run.get("others_cores") or 0.0, ms))
lines = ["# --worker-nice: 0 against 19, quiet and loaded", "",
         f"Machine: {env['host']['cpu_model']} ({env['host']['logical_cores']} cores); "
         f"GPUs: {', '.join(env.get('gpus') or []) or 'none'}; ffmpeg {env.get('ffmpeg_version')}; "
         f"nvviz-bench {env['tool_version']} (commit {env['git_commit']}). Loaded: {load} processes spinning.", "",
         "| case | machine | nice | fps mean ± sd (min–max) | overlay ms/frame (mean) | others' cores (mean) |", "|---|---|---|---|---|---|"]
for (cid, state, nice), vals in sorted(rows.items()):
    fps = [v[0] for v in vals]
    sd = statistics.stdev(fps) if len(fps) > 1 else 0.0
    lines.append(f"| {cid} | {state} | {nice[4:]} | {statistics.fmean(fps):.1f} ± {sd:.1f} ({min(fps):.1f}–{max(fps):.1f}) | "
                 f"{statistics.fmean(v[2] for v in vals):.2f} | {statistics.fmean(v[1] for v in vals):.2f} |")
text = "\n".join(lines) + "\n"
open(os.path.join(out, "summary.md"), "w").write(text)
print(text)
EOF
