//! The end-of-run summary `bench` prints: the machine, a table of the cases
//! (mode, encoder, preset, fps ± spread, stage costs, speedup vs original),
//! then in words what a reader must not miss — realtime verdicts, failures
//! with their fixes, fallbacks, a busy or stolen machine.

use comfy_table::{Cell, Color};

use crate::results::Mode;
use crate::results::{label, CaseResult, CaseStatus, Results, Sink};

/// The summary of `results`; `verbose` adds each case's command line.
pub fn summary(results: &Results, verbose: bool) -> String {
    let mut out = header(results);
    out.push_str(&format!("{}\n", table(results)));
    for c in &results.cases {
        // --realtime: did each case keep up live (its last run)?
        if let Some(r) = c.runs.last().and_then(|r| r.realtime.as_ref()) {
            out.push_str(&format!("realtime: {}: {}\n", c.id, label::realtime(r)));
        }
    }
    out.push_str(&commands(results));
    out.push_str(&failures(results));
    out.push_str(&fallbacks(results, verbose));
    out.push_str(&warnings(results));
    out
}

fn header(results: &Results) -> String {
    let env = &results.environment;
    format!(
        "\nnvviz-bench {} (commit {}) on {} ({} cores){}; ffmpeg {}\n",
        env.tool_version,
        env.git_commit,
        env.host.cpu_model,
        env.host.logical_cores,
        if env.gpus.is_empty() {
            String::new()
        } else {
            format!(", {}", env.gpus.join(", "))
        },
        env.ffmpeg_version.as_deref().unwrap_or("not found"),
    )
}

fn table(results: &Results) -> comfy_table::Table {
    let original = results
        .cases
        .iter()
        .find(|c| c.mode == Mode::Original && c.is_ok())
        .and_then(|c| c.fps.map(|f| f.mean));
    let mut table = super::styled_table(&[
        "mode",
        "overlay",
        "encoder",
        "preset",
        "pipe",
        "fps",
        "overlay ms/f",
        "encode ms/f",
        "vs original",
    ]);
    for c in &results.cases {
        table.add_row(row(c, original));
    }
    table
}

/// Yellow where a stand-in or fallback ran, red where the case did not run.
fn tinted(text: String, yellow: bool, red: bool) -> Cell {
    Cell::new(text).fg(if red {
        Color::Red
    } else if yellow {
        Color::Yellow
    } else {
        Color::Reset
    })
}

fn row(c: &CaseResult, original: Option<f64>) -> Vec<Cell> {
    let ok = c.is_ok();
    let stages = c.stages_ms_per_frame.as_ref();
    let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
    let overlay_ms = stages
        .filter(|_| c.overlay.is_some())
        .map(|s| s.overlay + s.conversion);
    let encode_ms = stages
        .filter(|_| c.sink != Sink::Null)
        .map(|s| s.write + s.finalize);
    let speedup = match (original, c.fps) {
        (Some(o), Some(f)) if o > 0.0 && c.status == CaseStatus::Ok => {
            format!("{:.1}x", f.mean / o)
        }
        _ => "-".into(),
    };
    let stand_in = c.stand_in.is_some();
    vec![
        Cell::new(label::mode(c)),
        tinted(label::overlay(c), stand_in, false),
        tinted(
            label::encoder(c),
            c.encoder.is_fallback() || stand_in,
            false,
        ),
        Cell::new(c.preset.used.as_deref().unwrap_or("-")),
        Cell::new(label::pipe(c)),
        tinted(
            if ok { label::fps(c) } else { label::outcome(c) },
            false,
            !ok,
        ),
        Cell::new(ms(overlay_ms)),
        Cell::new(ms(encode_ms)),
        Cell::new(speedup),
    ]
}

/// Each user command in words: how it was timed, what wrote its stream, what
/// its processes used, the guide's causes its run shows, and what the best
/// built-in visualizer reached in the same run.
fn commands(results: &Results) -> String {
    let best = results
        .cases
        .iter()
        .filter(|c| c.mode.is_visualizer() && c.is_ok())
        .filter_map(|c| Some((c, c.fps?.mean)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let mut out = String::new();
    for c in &results.cases {
        let Some(command) = c
            .user_command
            .as_ref()
            .filter(|u| c.is_ok() || !u.findings.is_empty())
        else {
            continue;
        };
        let timing = command.timing.map_or("", |t| t.describe());
        out.push_str(&format!("command {}: {}", command.name, label::fps(c)));
        if c.is_ok() {
            out.push_str(&format!(" fps, {timing}"));
        }
        if let Some(v) = &c.verified {
            out.push_str(&format!(
                "; written by {} ({}, {}{})",
                v.written_by
                    .as_deref()
                    .unwrap_or("an encoder the file does not name"),
                v.codec,
                v.pix_fmt.as_deref().unwrap_or("?"),
                v.mbps(c.fps_target)
                    .map_or(String::new(), |m| format!(", {m:.1} Mb/s")),
            ));
        }
        if let Some(run) = c.runs.last().and_then(|r| r.command.as_ref()) {
            out.push_str(&format!(
                "; its processes: {:.1} CPU-s user, {:.1} sys, peak {:.0} MiB",
                run.user_s, run.sys_s, run.peak_rss_mib
            ));
        }
        if let (Some((b, fps)), Some(mine)) = (best, c.fps.filter(|_| c.is_ok())) {
            out.push_str(&format!(
                "; best built-in here: {} {:.1} fps ({:.2}x this)",
                label::mode(b),
                fps,
                fps / mine.mean
            ));
        }
        out.push('\n');
        for f in &command.findings {
            out.push_str(&format!("  - {f}\n"));
        }
    }
    out
}

/// Failures in words, each with what to do: the cause name alone is not enough.
fn failures(results: &Results) -> String {
    let mut out = String::new();
    for c in results
        .cases
        .iter()
        .filter(|c| c.status == CaseStatus::Failed)
    {
        if let Some(r) = c.reason.as_ref().filter(|r| !r.is_interrupted()) {
            out.push_str(&format!("failed: {}: {} ({r})", c.id, r.cause()));
            if let Some(fix) = r.fix() {
                out.push_str(&format!("; fix: {fix}"));
            }
            out.push('\n');
        }
    }
    out
}

/// Fallbacks, once each and with their reasons: a libx264 number is not an
/// NVENC number. `verbose`: every case's command line too.
fn fallbacks(results: &Results, verbose: bool) -> String {
    let mut out = String::new();
    let mut seen = std::collections::BTreeSet::new();
    for c in &results.cases {
        if let Some(fb) = &c.encoder.fallback {
            let line = format!(
                "fallback: {} -> {}: {} ({})",
                fb.from,
                c.encoder.used_or_requested(),
                fb.cause.kind(),
                fb.cause
            );
            if seen.insert(line.clone()) {
                out.push_str(&format!("{line}\n"));
            }
        }
        if let Some(why) = c.gpu_path.as_ref().and_then(|p| p.fallback.as_ref()) {
            let line = format!(
                "fallback: NVDEC + CUDA filters -> ffmpeg's CPU decoder and overlay: {} ({why}; fix: {})",
                why.kind(),
                why.fix()
            );
            if seen.insert(line.clone()) {
                out.push_str(&format!("{line}\n"));
            }
        }
        if let Some(cmd) = c.command.as_ref().filter(|_| verbose) {
            out.push_str(&format!("{}: {cmd}\n", c.id));
        }
    }
    out
}

/// The worst flagged value over the cases, how many were flagged, the first.
fn flagged(
    results: &Results,
    per_case: fn(&CaseResult) -> Option<f64>,
) -> Option<(f64, usize, &str)> {
    let cases: Vec<(&str, f64)> = results
        .cases
        .iter()
        .filter_map(|c| Some((c.id.as_str(), per_case(c)?)))
        .collect();
    let worst = cases.iter().map(|(_, o)| *o).reduce(f64::max)?;
    Some((worst, cases.len(), cases[0].0))
}

/// Like hyperfine's warnings: a busy machine measures its scheduler.
fn warnings(results: &Results) -> String {
    let mut out = String::new();
    let total = results.cases.len();
    if let Some((worst, n, first)) = flagged(results, CaseResult::flagged_others) {
        out.push_str(&format!(
            "warning: other processes used up to {worst:.1} cores during {n} of {total} cases ({first}...): \
             their figures measure the machine's load as much as the work; rerun on a quiet machine \
             (the results keep `others_cores` per run)\n"
        ));
    }
    if let Some((worst, n, first)) = flagged(results, CaseResult::flagged_steal) {
        out.push_str(&format!(
            "warning: the hypervisor ran other guests on this VM's CPUs, up to {worst:.1} cores' worth (steal), \
             during {n} of {total} cases ({first}...): their figures measure the host's load as much as the work; \
             rerun when the host is quieter, or on dedicated cores (the results keep `steal_cores` per run)\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::summary;
    use crate::results::{label, Results};

    /// A real bench of the CI type (quiet: nothing flagged), then one run given
    /// the hypervisor's steal: the summary warns and the case's fps says so.
    #[test]
    fn stolen_time_is_flagged_like_other_processes_load() {
        let text = include_str!("../../../tests/fixtures/results/ci-2core-ceiling-study.json");
        let mut results = Results::from_json(text).unwrap();
        let quiet = summary(&results, false);
        assert!(!quiet.contains("warning"), "{quiet}");
        let case = 1;
        results.cases[case].runs[0].steal_cores = Some(1.24);
        // Under the busy threshold elsewhere: only the one case is named.
        results.cases[0].runs[0].steal_cores = Some(0.1);
        let noisy = summary(&results, false);
        let id = &results.cases[case].id;
        assert!(
            noisy.contains(&format!(
                "warning: the hypervisor ran other guests on this VM's CPUs, up to 1.2 cores' worth (steal), \
                 during 1 of {} cases ({id}...)",
                results.cases.len()
            )),
            "{noisy}"
        );
        assert!(!noisy.contains("other processes used"), "{noisy}");
        assert!(label::fps(&results.cases[case]).ends_with(" (stolen: 1.2 cores)"));
        assert!(!label::fps(&results.cases[0]).contains("stolen"));
    }
}
