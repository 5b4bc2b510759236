//! A video decoded by ffmpeg into raw bgr24 frames on its stdout, the size the
//! run asks for, every decoded frame once.

use std::path::Path;

use super::child::FfmpegProcess;
use super::EncodeFailure;

/// `ffmpeg [-ss SECONDS] -i PATH … -f rawvideo -pix_fmt bgr24 -`, scaled to
/// `width`x`height`; `-ss` before `-i` seeks exactly (decoding from the
/// keyframe before and dropping what precedes it).
pub fn bgr24_frames(
    ffmpeg: &Path,
    path: &Path,
    width: u32,
    height: u32,
    seek: Option<f64>,
) -> Result<FfmpegProcess, EncodeFailure> {
    let seek: Vec<String> = seek
        .map(|s| vec!["-ss".to_string(), format!("{s:.6}")])
        .unwrap_or_default();
    let args: Vec<String> = ["-hide_banner", "-nostdin"]
        .iter()
        .map(|s| s.to_string())
        .chain(seek)
        .chain(
            [
                "-i",
                &path.to_string_lossy(),
                "-map",
                "0:v:0",
                // Every decoded frame once, as cv2.VideoCapture gives them: no frames
                // duplicated or dropped for variable-rate input.
                "-fps_mode",
                "passthrough",
                "-vf",
                &format!("scale={width}:{height}"),
                "-f",
                "rawvideo",
                "-pix_fmt",
                "bgr24",
                "-",
            ]
            .iter()
            .map(|s| s.to_string()),
        )
        .collect();
    FfmpegProcess::spawn(ffmpeg, &args)
}
