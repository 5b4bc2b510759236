//! The guide's components table (time per 100 frames): declared stages beside
//! the visualizer's measured ones, and each visualizer end to end.

use crate::report::select::{id_suffix, visualizer_case};
use crate::report::stages::Stage;
use crate::report::{ok_cases, Input, Section, Table};
use crate::results::{label, Mode};

pub fn section(input: &Input, user: &[Stage], suffix: &str) -> Section {
    let mut t = Table::new(
        format!("components{}", id_suffix(input)),
        format!("Components (time per 100 frames){suffix}"),
        &["Component", "Time (100 frames)", "FPS"],
    );
    let row = |t: &mut Table, name: String, seconds_per_frame: f64| {
        let fps = if seconds_per_frame > 0.0 {
            format!("{:.1}", 1.0 / seconds_per_frame)
        } else {
            "-".into()
        };
        t.row(vec![
            name,
            format!("{:.2}s", seconds_per_frame * 100.0),
            fps,
        ]);
    };
    for s in user {
        row(
            &mut t,
            format!("{} (declared)", s.name),
            s.seconds_per_frame,
        );
    }
    let mut paragraphs = Vec::new();
    if let Some(c) = visualizer_case(input) {
        if let Some(s) = &c.stages_ms_per_frame {
            let label = format!("{} visualizer", c.mode);
            for (name, ms) in [
                ("input (read frame)", s.input),
                ("overlay", s.overlay),
                ("colour conversion", s.conversion),
                ("encode (pipe write + finalize)", s.write + s.finalize),
            ] {
                // A stage this visualizer does not have (no colour conversion) is not a row.
                if ms >= 0.001 {
                    row(&mut t, format!("{label}: {name}"), ms / 1000.0);
                }
            }
        }
        paragraphs.push(format!(
            "Stages of the `{}` case ({}); declared stages come from `--stage`.",
            c.id,
            label::encoder(c)
        ));
    }
    for mode in [Mode::Original, Mode::Fast, Mode::Nvenc, Mode::Native] {
        if let Some(c) = ok_cases(&input.results).find(|c| c.mode == mode) {
            let fps = c.fps.map_or(0.0, |f| f.mean);
            if fps > 0.0 {
                let name = if c.encoder.is_fallback() {
                    format!(
                        "{} visualizer, end to end ({})",
                        capitalize(mode),
                        label::encoder(c)
                    )
                } else {
                    format!("{} visualizer, end to end", capitalize(mode))
                };
                row(&mut t, name, 1.0 / fps);
            }
        }
    }
    Section {
        title: format!("Components{suffix}"),
        paragraphs,
        tables: vec![t],
        charts: Vec::new(),
    }
}

/// The guide's names for its visualizers.
fn capitalize(mode: Mode) -> String {
    match mode {
        Mode::Nvenc => "NVENC".into(),
        m => {
            let mut c = m.name().chars();
            c.next()
                .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
        }
    }
}
