//! Checking that an encoded file really decodes, by decoding it once with ffmpeg.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::process::run_with_timeout;

/// Number of video frames ffmpeg decodes from `path`, or why it could not.
pub fn decoded_frames(binary: &Path, path: &Path, timeout: Duration) -> Result<u64, String> {
    let out = run_with_timeout(
        Command::new(binary)
            .args(["-hide_banner", "-nostats", "-v", "error", "-i"])
            .arg(path)
            .args(["-map", "0:v:0", "-f", "null", "-", "-progress", "pipe:1"]),
        timeout,
    )
    .map_err(|e| e.to_string())?;
    if !out.status.success() {
        let reason = out
            .stderr
            .lines()
            .last()
            .unwrap_or("no message")
            .to_string();
        return Err(format!("decode failed ({}): {reason}", out.status));
    }
    last_progress_frame(&out.stdout).ok_or_else(|| "decode reported no frame count".to_string())
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
