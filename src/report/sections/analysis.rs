//! Which stage limits throughput, and the guide's "expected 80-150 fps, getting
//! < 30" causes checked against the evidence in the results.

use crate::report::select::visualizer_case;
use crate::report::stages::Stage;
use crate::report::{ok_cases, Input, Section, Table};
use crate::results::{label, CaseResult, EngineKind, Mode};

/// Per-frame seconds of every stage: the declared ones, then the visualizer's own.
pub fn pipeline(input: &Input, user: &[Stage]) -> Vec<Stage> {
    let mut stages: Vec<Stage> = user.to_vec();
    if let Some(s) = visualizer_case(input).and_then(|c| c.stages_ms_per_frame.as_ref()) {
        for (name, ms) in [
            ("input (read frame)", s.input),
            ("overlay", s.overlay),
            ("colour conversion", s.conversion),
            ("encoding (pipe write + finalize)", s.write + s.finalize),
        ] {
            if ms >= 0.001 {
                stages.push(Stage {
                    name: name.into(),
                    seconds_per_frame: ms / 1000.0,
                });
            }
        }
    }
    stages
}

pub struct Bottleneck {
    pub sequential_fps: f64,
    pub pipelined_fps: f64,
    pub slowest: Stage,
}

pub fn analyse(stages: &[Stage]) -> Option<Bottleneck> {
    let total: f64 = stages.iter().map(|s| s.seconds_per_frame).sum();
    let slowest = stages
        .iter()
        .max_by(|a, b| a.seconds_per_frame.total_cmp(&b.seconds_per_frame))?;
    (total > 0.0).then(|| Bottleneck {
        sequential_fps: 1.0 / total,
        pipelined_fps: slowest.fps(),
        slowest: slowest.clone(),
    })
}

/// The same case run by the other engine on the same machine (same CPU and
/// cores), in any of the inputs: a measured figure instead of an estimate.
fn twin<'a>(
    inputs: &'a [Input],
    of: &CaseResult,
    env: &Input,
    engine: EngineKind,
) -> Option<(&'a Input, &'a CaseResult)> {
    let host = &env.results.environment.host;
    inputs
        .iter()
        .filter(|i| {
            let h = &i.results.environment.host;
            h.cpu_model == host.cpu_model && h.logical_cores == host.logical_cores
        })
        .flat_map(|i| ok_cases(&i.results).map(move |c| (i, c)))
        .find(|(_, c)| {
            c.id == of.id
                && c.width == of.width
                && c.height == of.height
                && c.engine == Some(engine)
        })
}

fn measured(input: &Input, c: &CaseResult) -> String {
    format!(
        "**{}** fps (measured: `{}` in `{}`, {}, {} timed frames a run)",
        label::fps(c),
        c.id,
        input.label,
        label::encoder(c),
        c.frames
    )
}

pub fn bottleneck(inputs: &[Input], input: &Input, user: &[Stage], suffix: &str) -> Section {
    let stages = pipeline(input, user);
    let case = visualizer_case(input);
    let engine = case.and_then(|c| c.engine);
    let overlapping = engine == Some(EngineKind::Pipelined);
    let mut t = Table::new(
        format!("bottleneck-{}", input.label),
        format!("Bottleneck analysis{suffix}"),
        &[
            "Stage",
            if overlapping {
                "busy ms/frame"
            } else {
                "ms/frame"
            },
            "FPS alone",
            "Source",
        ],
    );
    for s in &stages {
        let declared = user.iter().any(|u| u.name == s.name);
        t.row(vec![
            s.name.clone(),
            format!("{:.2}", s.seconds_per_frame * 1000.0),
            format!("{:.1}", s.fps()),
            if declared {
                "declared (--stage)".into()
            } else {
                format!(
                    "measured, {} engine",
                    engine.map_or("unrecorded", EngineKind::name)
                )
            },
        ]);
    }
    let mut paragraphs = Vec::new();
    let Some(c) = case else {
        paragraphs
            .push("No visualizer case ran in this file, so there is nothing to analyse.".into());
        return Section {
            title: format!("Bottleneck analysis{suffix}"),
            paragraphs,
            tables: vec![t],
            charts: Vec::new(),
        };
    };
    let own = analyse(&pipeline(input, &[]));
    let (sequential, pipelined) = engines(inputs, input, c, own.as_ref());
    paragraphs.push(format!(
        "Sequential (one frame at a time through every stage, the guide's loop): {sequential}."
    ));
    paragraphs.push(format!(
        "Pipelined (each stage on its own threads): {pipelined}."
    ));
    if let Some(b) = own.as_ref() {
        paragraphs.push(format!(
            "The busiest stage of the visualizer is {} ({:.2} ms/frame{}).",
            b.slowest.name,
            b.slowest.seconds_per_frame * 1000.0,
            if overlapping {
                " of busy time, summed over its workers"
            } else {
                ""
            }
        ));
    }
    paragraphs.extend(whole_pipeline(c, user));
    Section {
        title: format!("Bottleneck analysis{suffix}"),
        paragraphs,
        tables: vec![t],
        charts: Vec::new(),
    }
}

/// Both engines' fps for the file's visualizer case: measured where the file
/// (or a twin file of the other engine) holds them, else an estimate, said so.
fn engines(
    inputs: &[Input],
    input: &Input,
    c: &crate::results::CaseResult,
    own: Option<&Bottleneck>,
) -> (String, String) {
    let engine = c.engine;
    match engine {
        Some(EngineKind::Sequential) => (
            measured(input, c),
            match twin(inputs, c, input, EngineKind::Pipelined) {
                Some((i, p)) => measured(i, p),
                None => own.map_or("not measured".into(), |b| format!(
                    "{:.1} fps, an **estimate** (1 / the slowest stage's time in the sequential run: {}); run `bench --engine pipelined` to measure it",
                    b.pipelined_fps, b.slowest.name
                )),
            },
        ),
        Some(EngineKind::Pipelined) => (
            match twin(inputs, c, input, EngineKind::Sequential) {
                Some((i, s)) => measured(i, s),
                None => "not measured — in the pipelined engine the stages overlap, so their busy times do not add up to a sequential frame time; run `bench --engine sequential` to measure it".into(),
            },
            measured(input, c),
        ),
        None => match own {
            Some(b) => (
                format!("{:.1} fps, an **estimate** (the sum of the stage times; this file does not record which engine ran)", b.sequential_fps),
                format!("{:.1} fps, an **estimate** (1 / the slowest stage, {})", b.pipelined_fps, b.slowest.name),
            ),
            None => ("not measured".into(), "not measured".into()),
        },
    }
}

/// The whole pipeline with the user's declared stages, where declared.
fn whole_pipeline(c: &crate::results::CaseResult, user: &[Stage]) -> Vec<String> {
    let mut paragraphs = Vec::new();
    if user.is_empty() {
        paragraphs.push(
            "Declare your detector's stages with `--stage \"Person detection=16.1fps\"` to see the whole pipeline."
                .into(),
        );
    } else if let Some(fps) = c.fps.map(|f| f.mean).filter(|f| *f > 0.0) {
        // The whole pipeline: the declared stages plus the visualizer as measured.
        let mut whole: Vec<Stage> = user.to_vec();
        whole.push(Stage {
            name: format!("{} visualizer (measured)", c.mode),
            seconds_per_frame: 1.0 / fps,
        });
        if let Some(b) = analyse(&whole) {
            paragraphs.push(format!(
                "With the declared stages (estimates from declared figures plus the measured visualizer): sequential {:.1} fps (the stages' times added), pipelined {:.1} fps, capped by {}.",
                b.sequential_fps, b.pipelined_fps, b.slowest.name
            ));
            paragraphs.push(if user.iter().any(|s| s.name == b.slowest.name) {
                format!(
                    "Encoding is not the bottleneck; {} is.",
                    b.slowest.name.to_lowercase()
                )
            } else {
                "The visualizer (overlay + encode) is the bottleneck of the whole pipeline.".into()
            });
        }
    }
    paragraphs
}

pub fn diagnosis(input: &Input, suffix: &str) -> Section {
    let mut t = Table::new(
        format!("diagnosis-{}", input.label),
        format!("Poor-performance diagnosis{suffix}"),
        &["Possible cause (the guide's list)", "Holds?", "Evidence"],
    );
    let results = &input.results;
    for (cause, (holds, evidence)) in [
        ("1. NVENC not actually being used", nvenc_not_used(results)),
        ("2. CPU bottleneck", cpu_bound(input)),
        ("3. Disk I/O bottleneck", disk_bound(results)),
        ("4. Wrong preset (use p1 for speed)", wrong_preset(input)),
    ] {
        t.row(vec![cause.into(), holds.into(), evidence]);
    }
    Section {
        title: format!("Poor-performance diagnosis{suffix}"),
        paragraphs: vec![
            "The guide's troubleshooting lists four causes for \"expected 80-150 fps, getting < 30\"; each is checked against this file's measurements.".into(),
        ],
        tables: vec![t],
        charts: Vec::new(),
    }
}

/// Whether a cause holds ("yes", "no", "not measured") and the evidence.
type Finding = (&'static str, String);

/// 1. NVENC asked for, and a fallback ran instead.
fn nvenc_not_used(results: &crate::results::Results) -> Finding {
    let nvenc_requested: Vec<_> = results
        .cases
        .iter()
        .filter(|c| c.encoder.requested_nvenc())
        .collect();
    let fell_back = nvenc_requested.iter().find(|c| c.encoder.is_fallback());
    let ran = nvenc_requested
        .iter()
        .find(|c| c.encoder.used_nvenc() && c.is_ok());
    let (holds, evidence) = match (fell_back, ran) {
        (Some(c), _) => (
            "yes",
            format!(
                "{}: {}",
                label::encoder(c),
                c.encoder
                    .fallback
                    .as_ref()
                    .map(|f| f.cause.to_string())
                    .unwrap_or_default()
            ),
        ),
        (None, Some(c)) => ("no", format!("{} ran ({})", label::encoder(c), c.id)),
        (None, None) => ("not measured", "no case asked for an NVENC encoder".into()),
    };
    (holds, evidence)
}

/// 2. The CPU saturated, or the overlay costing more than the encode.
fn cpu_bound(input: &Input) -> Finding {
    let cores = input.results.environment.host.logical_cores as f64;
    let Some(c) = visualizer_case(input) else {
        return ("not measured", "no visualizer case succeeded".into());
    };
    let busy: Option<f64> = c
        .runs
        .iter()
        .map(|r| r.cpu_own_cores + r.cpu_children_cores.unwrap_or(0.0))
        .reduce(f64::max);
    let s = c.stages_ms_per_frame.clone().unwrap_or_default();
    let overlay = s.overlay + s.conversion;
    let encode = s.write + s.finalize;
    let saturated = busy.is_some_and(|b| b >= 0.85 * cores);
    let holds = if saturated || overlay > encode {
        "yes"
    } else {
        "no"
    };
    (
        holds,
        format!(
            "{} of {cores:.0} cores busy in `{}`; overlay {overlay:.2} ms/frame vs encode {encode:.2} ms/frame{}",
            busy.map_or("?".into(), |b| format!("{b:.1}")),
            c.id,
            if overlay > encode { " (the overlay costs more than the encode)" } else { "" }
        ),
    )
}

/// 3. Writing to disk slower than discarding.
fn disk_bound(results: &crate::results::Results) -> Finding {
    let disk = ok_cases(results)
        .filter(|c| c.mode == Mode::EncodeOnly)
        .find_map(|c| {
            let twin = ok_cases(results).find(|n| {
                n.mode == Mode::EncodeToNull
                    && n.encoder.requested == c.encoder.requested
                    && n.preset == c.preset
                    && n.pix_fmt == c.pix_fmt
                    && n.sessions == c.sessions
            })?;
            Some((c.fps?.mean, twin.fps?.mean))
        });
    let (holds, evidence) = match disk {
        Some((to_disk, to_null)) => (
            if to_null > to_disk * 1.10 { "yes" } else { "no" },
            format!("encode-only (to disk) {to_disk:.1} fps vs encode-to-null {to_null:.1} fps"),
        ),
        None => (
            "not measured",
            "run `nvviz-bench bench --modes encode-only,encode-to-null` to compare writing to disk with discarding".into(),
        ),
    };
    (holds, evidence)
}

/// 4. A preset other than p1 on the visualizer.
fn wrong_preset(input: &Input) -> Finding {
    let (holds, evidence) =
        match visualizer_case(input).and_then(|c| c.preset.requested.clone().map(|p| (c, p))) {
            Some((c, p)) if p == "p1" => ("no", format!("`{}` uses p1, the fastest preset", c.id)),
            Some((c, p)) => (
                "yes",
                format!("`{}` uses {p}; p1 is the guide's speed preset", c.id),
            ),
            None => ("not measured", "no ffmpeg-pipe visualizer case".into()),
        };
    (holds, evidence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guides_pipeline() {
        let stages = vec![
            Stage {
                name: "Person detection".into(),
                seconds_per_frame: 1.0 / 16.1,
            },
            Stage {
                name: "Action prediction".into(),
                seconds_per_frame: 0.051,
            },
            Stage {
                name: "encoding (pipe write + finalize)".into(),
                seconds_per_frame: 0.008,
            },
        ];
        let b = analyse(&stages).unwrap();
        assert_eq!(b.slowest.name, "Person detection");
        assert!((b.pipelined_fps - 16.1).abs() < 1e-9);
        assert!((b.sequential_fps - 1.0 / (1.0 / 16.1 + 0.051 + 0.008)).abs() < 1e-9);
        assert!(analyse(&[]).is_none());
    }
}
