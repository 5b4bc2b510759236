"""What the analysis scripts read from a `nvviz-bench bench --export-json` file
(results schema 2 to 4), once: the machine line every table names, per-round
ratios of two interleaved cases, and each case against the encoder ceiling of
its pipe format. Imported by ceiling-ratios.py, ideal-writer-model.py and
perf-targets.py; tests/suite/scripts.rs runs them on this build's output."""


def machine_line(bench):
    """nvviz-bench VERSION (commit C) on CPU (N cores), GPUs; ffmpeg VERSION."""
    env = bench["environment"]
    host = env["host"]
    gpus = ", ".join(g if isinstance(g, str) else g.get("name", "?") for g in env.get("gpus") or []) or "no GPU"
    return (f"nvviz-bench {env['tool_version']} (commit {env['git_commit']}) on {host['cpu_model']} "
            f"({host['logical_cores']} cores), {gpus}; ffmpeg {env['ffmpeg_version']}")


def paired(a, b):
    """fps of `a` over `b` run by run (with --interleave run k of each ran in
    round k); none unless both have runs, as many."""
    ra, rb = (a or {}).get("runs") or [], (b or {}).get("runs") or []
    return [x["fps"] / y["fps"] for x, y in zip(ra, rb)] if ra and len(ra) == len(rb) else []


def label(case):
    """'nvenc (native)': the mode, with the overlay that drew it."""
    return f"{case['mode']} ({case['overlay']})" if case.get("overlay") not in (None, "none") else case["mode"]


def over_ceiling(bench):
    """(case, its pipe format's encoder-ceiling) for every other case that ran."""
    cases = [c for c in bench["cases"] if c["status"] == "ok"]
    ceilings = {c["pix_fmt"]: c for c in cases if c["mode"] == "encoder-ceiling"}
    for c in cases:
        if c["mode"] != "encoder-ceiling" and c["pix_fmt"] in ceilings:
            yield c, ceilings[c["pix_fmt"]]
