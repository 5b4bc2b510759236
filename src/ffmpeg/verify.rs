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

/// Number of video frames ffmpeg decodes from `path`, or why it could not.
pub fn decoded_frames(binary: &Path, path: &Path, timeout: Duration) -> Result<u64, DecodeError> {
    let out = run_with_timeout(
        Command::new(binary)
            .args(["-hide_banner", "-nostats", "-v", "error", "-i"])
            .arg(path)
            .args(["-map", "0:v:0", "-f", "null", "-", "-progress", "pipe:1"]),
        timeout,
    )?;
    if !out.status.success() {
        return Err(DecodeError::Failed {
            status: out.status.to_string(),
            last_line: out
                .stderr
                .lines()
                .last()
                .unwrap_or("no message")
                .to_string(),
        });
    }
    last_progress_frame(&out.stdout).ok_or(DecodeError::NoCount)
}

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
}
