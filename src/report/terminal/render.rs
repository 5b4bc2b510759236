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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::encoder::Fallback;
    use crate::results::failure::EncodeFailure;
    use crate::results::Results;

    /// The native case of a real bench of the CI type (libx264 wrote it).
    fn native() -> CaseResult {
        let text = include_str!("../../../tests/fixtures/results/ci-2core-bench.json");
        let results = Results::from_json(text).unwrap();
        let case = results.cases.iter().find(|c| c.id.starts_with("native/"));
        case.unwrap().clone()
    }

    #[test]
    fn a_written_video_is_told_as_the_demo_tells_it() {
        let mut case = native();
        case.encoder.fallback = None;
        case.output = None;
        let said = said(&case, Path::new("out.mp4"), false);
        assert!(said.notes.is_empty(), "{said:?}");
        let frames = case.verified.as_ref().unwrap().frames;
        assert!(
            said.lines[0].starts_with(&format!("Successfully encoded {frames} frames with ")),
            "{said:?}"
        );
        assert_eq!(
            said.lines.last().unwrap(),
            "The output video has been written to out.mp4"
        );
        assert!(!said.lines.iter().any(|l| l.starts_with("command: ")));
    }

    #[test]
    fn a_fallback_and_the_demos_second_container_are_notes() {
        let mut case = native();
        case.encoder.fallback = Some(Fallback {
            from: "h264_nvenc".into(),
            cause: EncodeFailure::DriverLibraryMissing {
                library: "libcuda.so.1".into(),
            },
        });
        case.output = Some("out.avi".into());
        let said = said(&case, Path::new("out.mp4"), true);
        assert!(
            said.notes[0].starts_with("fell back from h264_nvenc to libx264: "),
            "{said:?}"
        );
        assert!(
            said.notes[1].contains("written with XVID into out.avi"),
            "{said:?}"
        );
        let last = said.lines.len() - 1;
        assert_eq!(
            said.lines[last - 1],
            "The output video has been written to out.avi"
        );
        assert!(said.lines[last].starts_with("command: "), "{said:?}");
    }
}
