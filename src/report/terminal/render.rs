//! What `render` says of its one case, in the words of the demo's script:
//! notes for stderr (a fallback, a second container), lines for stdout (what
//! was written, by which encoder, at what speed, where).

use std::path::Path;

use crate::ffmpeg::args::{DEFAULT_FOURCC, DEMO_SECOND_FOURCC};
use crate::results::{label, CaseResult};

/// `render`'s words: `notes` before, `lines` after, a failure aside (told
/// by `bench::render::failure`).
#[derive(Debug, Default, PartialEq)]
pub struct Said {
    pub notes: Vec<String>,
    pub lines: Vec<String>,
}

/// What to say of `case`, written where `-o` asked for `asked`.
pub fn said(case: &CaseResult, asked: &Path, verbose: bool) -> Said {
    let mut said = Said::default();
    if let Some(fb) = &case.encoder.fallback {
        said.notes.push(format!(
            "fell back from {} to {}: {} ({})",
            fb.from,
            case.encoder.used.as_deref().unwrap_or("-"),
            fb.cause,
            fb.cause.fix()
        ));
    }
    let written = case.verified.as_ref().map_or(case.frames, |v| v.frames);
    let fps = case.fps.map_or(0.0, |f| f.mean);
    let encoder = label::encoder(case);
    said.lines.push(format!(
        "Successfully encoded {written} frames with {encoder} ({fps:.1} fps)"
    ));
    said.lines.extend(label::decode(case));
    if let Some(r) = case.runs.last().and_then(|r| r.realtime.as_ref()) {
        said.lines.push(format!("realtime: {}", label::realtime(r)));
    }
    let output = case.output.as_deref().unwrap_or(asked);
    if output != asked {
        said.notes.push(format!(
            "note: OpenCV could not open {DEFAULT_FOURCC}: written with {DEMO_SECOND_FOURCC} into {}, as the demo does",
            output.display()
        ));
    }
    said.lines.push(format!(
        "The output video has been written to {}",
        output.display()
    ));
    if let Some(command) = case.command.as_ref().filter(|_| verbose) {
        said.lines.push(format!("command: {command}"));
    }
    said
}
