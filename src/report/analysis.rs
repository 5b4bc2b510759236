//! Which stage limits throughput, and the guide's "expected 80-150 fps, getting
//! < 30" causes checked against the evidence in the results.

use super::stages::Stage;
use super::tables::{reason_text, visualizer_case};
use super::{encoder_label, ok_cases, Input, Section, Table};

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
            if ms > 0.0 {
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

pub fn bottleneck(input: &Input, user: &[Stage], suffix: &str) -> Section {
    let stages = pipeline(input, user);
    let mut t = Table::new(
        format!("bottleneck-{}", input.label),
        format!("Bottleneck analysis{suffix}"),
        &["Stage", "ms/frame", "FPS alone", "Share of sequential time"],
    );
    let total: f64 = stages.iter().map(|s| s.seconds_per_frame).sum();
    for s in &stages {
        t.row(vec![
            s.name.clone(),
            format!("{:.2}", s.seconds_per_frame * 1000.0),
            format!("{:.1}", s.fps()),
            format!(
                "{:.0}%",
                100.0 * s.seconds_per_frame / total.max(f64::MIN_POSITIVE)
            ),
        ]);
    }
    let mut paragraphs = Vec::new();
    match analyse(&stages) {
        None => paragraphs.push("No stage timings in this file.".into()),
        Some(b) => {
            paragraphs.push(format!(
                "Sequential (one thread, as the guide's demo runs; every stage's time adds up): **{:.1} fps**.",
                b.sequential_fps
            ));
            paragraphs.push(format!(
                "Pipelined (each stage on its own thread, the guide's multithreading plan): **{:.1} fps**, capped by {}.",
                b.pipelined_fps, b.slowest.name
            ));
            let encoding_is_slowest = b.slowest.name.starts_with("encoding");
            let verdict = if encoding_is_slowest {
                format!(
                    "Encoding is the bottleneck: it caps the pipeline at {:.1} fps.",
                    b.pipelined_fps
                )
            } else if user.iter().any(|s| s.name == b.slowest.name) {
                format!(
                    "Encoding is no longer the bottleneck; {} caps the pipeline at {:.1} fps.",
                    b.slowest.name.to_lowercase(),
                    b.pipelined_fps
                )
            } else {
                format!(
                    "The {} stage caps the pipeline at {:.1} fps.",
                    b.slowest.name, b.pipelined_fps
                )
            };
            paragraphs.push(verdict);
            if user.is_empty() {
                paragraphs.push(
                    "Declare your detector's stages with `--stage \"Person detection=16.1fps\"` to see the whole pipeline."
                        .into(),
                );
            }
        }
    }
    Section {
        title: format!("Bottleneck analysis{suffix}"),
        paragraphs,
        tables: vec![t],
        charts: Vec::new(),
    }
}

pub fn diagnosis(input: &Input, suffix: &str) -> Section {
    let mut t = Table::new(
        format!("diagnosis-{}", input.label),
        format!("Poor-performance diagnosis{suffix}"),
        &["Possible cause (the guide's list)", "Holds?", "Evidence"],
    );
    let results = &input.results;

    // 1. NVENC not actually used.
    let nvenc_requested: Vec<_> = results
        .cases
        .iter()
        .filter(|c| {
            c.requested_encoder
                .as_deref()
                .is_some_and(|e| e.ends_with("_nvenc"))
        })
        .collect();
    let fell_back = nvenc_requested.iter().find(|c| c.fallback.is_some());
    let ran = nvenc_requested
        .iter()
        .find(|c| c.fallback.is_none() && c.encoder == c.requested_encoder && c.fps.is_some());
    let (holds, evidence) = match (fell_back, ran) {
        (Some(c), _) => (
            "yes",
            format!(
                "{}: {}",
                encoder_label(c),
                c.fallback
                    .as_ref()
                    .map(|f| reason_text(&f["reason"]))
                    .unwrap_or_default()
            ),
        ),
        (None, Some(c)) => (
            "no",
            format!("{} ran ({})", c.encoder.as_deref().unwrap_or("?"), c.id),
        ),
        (None, None) => ("not measured", "no case asked for an NVENC encoder".into()),
    };
    t.row(vec![
        "1. NVENC not actually being used".into(),
        holds.into(),
        evidence,
    ]);

    // 2. CPU bottleneck.
    let cores = results.environment.host.logical_cores as f64;
    let row = match visualizer_case(input) {
        Some(c) => {
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
            format!(
                "{holds}|{} of {cores:.0} cores busy in `{}`; overlay {overlay:.2} ms/frame vs encode {encode:.2} ms/frame{}",
                busy.map_or("?".into(), |b| format!("{b:.1}")),
                c.id,
                if overlay > encode { " (the overlay costs more than the encode)" } else { "" }
            )
        }
        None => "not measured|no visualizer case succeeded".into(),
    };
    let (holds, evidence) = row.split_once('|').unwrap_or(("?", ""));
    t.row(vec![
        "2. CPU bottleneck".into(),
        holds.into(),
        evidence.into(),
    ]);

    // 3. Disk I/O.
    let disk = ok_cases(results)
        .filter(|c| c.mode == "encode-only")
        .find_map(|c| {
            let twin = ok_cases(results).find(|n| {
                n.mode == "encode-to-null"
                    && n.requested_encoder == c.requested_encoder
                    && n.preset == c.preset
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
    t.row(vec![
        "3. Disk I/O bottleneck".into(),
        holds.into(),
        evidence,
    ]);

    // 4. Wrong preset.
    let (holds, evidence) =
        match visualizer_case(input).and_then(|c| c.requested_preset().map(|p| (c, p))) {
            Some((c, p)) if p == "p1" => ("no", format!("`{}` uses p1, the fastest preset", c.id)),
            Some((c, p)) => (
                "yes",
                format!("`{}` uses {p}; p1 is the guide's speed preset", c.id),
            ),
            None => ("not measured", "no ffmpeg-pipe visualizer case".into()),
        };
    t.row(vec![
        "4. Wrong preset (use p1 for speed)".into(),
        holds.into(),
        evidence,
    ]);

    Section {
        title: format!("Poor-performance diagnosis{suffix}"),
        paragraphs: vec![
            "The guide's troubleshooting lists four causes for \"expected 80-150 fps, getting < 30\"; each is checked against this file's measurements.".into(),
        ],
        tables: vec![t],
        charts: Vec::new(),
    }
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
