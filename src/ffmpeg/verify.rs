//! Checking that an encoded file really decodes, by decoding it once with ffmpeg.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::process::run_with_timeout;

/// Why a file's frames could not be counted by decoding it.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// ffmpeg could not run, ran past its deadline or was interrupted.
    #[error("{0}")]
    Child(#[from] crate::process::ChildError),
    #[error("decode failed ({status}): {last_line}")]
    Failed { status: String, last_line: String },
    #[error("decode reported no frame count")]
    NoCount,
}

/// One decode of a file: the frames ffmpeg decoded, and its banner (the
/// `Input #0 …` lines `ffmpeg -i` prints: codec, size, pixel format, the
/// writer's tag), level prefixes dropped.
pub struct Decoded {
    pub frames: u64,
    pub banner: String,
}

/// Number of video frames ffmpeg decodes from `path`, or why it could not.
pub fn decoded_frames(binary: &Path, path: &Path, timeout: Duration) -> Result<u64, DecodeError> {
    decode(binary, path, timeout).map(|d| d.frames)
}

/// Decodes `path` once, into the null muxer: its frames counted and its
/// banner kept, so a check needs one ffmpeg start, not a probe beside it.
pub fn decode(binary: &Path, path: &Path, timeout: Duration) -> Result<Decoded, DecodeError> {
    let out = run_with_timeout(
        Command::new(binary)
            .args(["-hide_banner", "-nostats", "-loglevel", "level+info", "-i"])
            .arg(path)
            .args(["-map", "0:v:0", "-f", "null", "-", "-progress", "pipe:1"]),
        timeout,
    )?;
    let lines: Vec<(Option<&str>, &str)> = out.stderr.lines().map(split_level).collect();
    if !out.status.success() {
        // The last error ffmpeg named; else its last word.
        let said = |(level, text): &&(Option<&str>, &str)| {
            matches!(level, Some("error" | "fatal" | "panic")) && !text.trim().is_empty()
        };
        let last_line = lines
            .iter()
            .rev()
            .find(said)
            .or_else(|| lines.iter().rev().find(|(_, t)| !t.trim().is_empty()))
            .map_or("no message", |(_, text)| text.trim());
        return Err(DecodeError::Failed {
            status: out.status.to_string(),
            last_line: last_line.to_string(),
        });
    }
    let frames = last_progress_frame(&out.stdout).ok_or(DecodeError::NoCount)?;
    let banner = lines
        .iter()
        .map(|(_, text)| *text)
        .collect::<Vec<_>>()
        .join("\n");
    Ok(Decoded { frames, banner })
}

/// `[h264 @ 0x55…] [error] text` → (`error`, `text`); a line without a level
/// (a message continued) as it is. The text keeps its indentation: the
/// banner's nesting is in it.
fn split_level(line: &str) -> (Option<&str>, &str) {
    let mut rest = line;
    if rest.starts_with('[') && rest.contains(" @ ") {
        if let Some(end) = rest.find("] ") {
            rest = &rest[end + 2..];
        }
    }
    let level = rest
        .strip_prefix('[')
        .and_then(|r| r.split_once("] "))
        .filter(|(level, _)| LEVELS.contains(level));
    match level {
        Some((level, text)) => (Some(level), text),
        None => (None, rest),
    }
}

/// ffmpeg's `-loglevel level` names.
const LEVELS: [&str; 8] = [
    "quiet", "panic", "fatal", "error", "warning", "info", "verbose", "debug",
];

/// The final `frame=N` of ffmpeg's `-progress` key=value output.
pub fn last_progress_frame(progress: &str) -> Option<u64> {
    progress
        .lines()
        .rev()
        .filter_map(|l| l.trim().strip_prefix("frame="))
        .find_map(|n| n.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_last_frame_count() {
        let text = "frame=3\nfps=0.0\nprogress=continue\nframe=8\nprogress=end\n";
        assert_eq!(super::last_progress_frame(text), Some(8));
        assert_eq!(super::last_progress_frame("progress=end"), None);
    }

    #[test]
    fn levels_come_off_and_indentation_stays() {
        use super::split_level;
        assert_eq!(
            split_level("[info]       encoder         : Lavc59.37.100 libx264"),
            (
                Some("info"),
                "      encoder         : Lavc59.37.100 libx264"
            )
        );
        assert_eq!(
            split_level("[h264 @ 0x5581] [error] Invalid NAL unit size"),
            (Some("error"), "Invalid NAL unit size")
        );
        assert_eq!(
            split_level("To ignore this, add a trailing '?' to the map."),
            (None, "To ignore this, add a trailing '?' to the map.")
        );
        assert_eq!(split_level("[0] not a level"), (None, "[0] not a level"));
    }
}
