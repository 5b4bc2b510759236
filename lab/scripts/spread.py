"""The project's one rule for calling a target met from repeated measurements
(lab/perf/README.md): a target is **met** only when every round clears it
(the lowest per-round figure for an at-least goal, the highest for an at-most
one), *not met* when no round does, *not resolved* when the rounds straddle
it. A mean past the goal is not enough: on the shared VMs one round ranges
±5-30 % around it. Imported by the scripts that print verdicts."""
import statistics as st


def summary(values):
    """mean ± sd (min–max; median), three decimals."""
    sd = st.stdev(values) if len(values) > 1 else 0.0
    return (f"{st.mean(values):.3f} ± {sd:.3f} ({min(values):.3f}–{max(values):.3f}; "
            f"median {st.median(values):.3f})")


def at_least(values, goal):
    """The verdict on `values` (one per round) against `figure >= goal`."""
    if not values:
        return "not measured"
    if min(values) >= goal:
        return "**met** (every round)"
    if max(values) < goal:
        return "not met (no round)"
    return f"not resolved ({sum(v >= goal for v in values)} of {len(values)} rounds clear it)"


def at_most(values, goal):
    """The verdict on `values` (one per round) against `figure <= goal`."""
    if not values:
        return "not measured"
    if max(values) <= goal:
        return "**met** (every round)"
    if min(values) > goal:
        return "not met (no round)"
    return f"not resolved ({sum(v <= goal for v in values)} of {len(values)} rounds clear it)"


# The tool's own line between a quiet run and a disturbed one
# (nvviz_bench::results::BUSY_CORES; a test holds the two equal): other
# processes' CPU, or the hypervisor's steal, averaged over a run, in cores.
BUSY_CORES = 0.25


def disturbance(run):
    """Why the tool flags one run of its results JSON (`others_cores` or
    `steal_cores` at BUSY_CORES or more: "busy", "stolen"), or None."""
    why = [f"{name} {run[key]:.2f} cores" for key, name in
           (("others_cores", "busy"), ("steal_cores", "stolen"))
           if (run.get(key) or 0.0) >= BUSY_CORES]
    return ", ".join(why) or None
