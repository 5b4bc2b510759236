//! A video decoded by ffmpeg into raw bgr24 frames on its stdout, the size the
//! run asks for, every decoded frame once.

use std::path::Path;

use super::child::FfmpegProcess;
use super::EncodeFailure;

/// `ffmpeg -i PATH … -f rawvideo -pix_fmt bgr24 -`, scaled to `width`x`height`.
pub fn bgr24_frames(
    ffmpeg: &Path,
    path: &Path,
    width: u32,
    height: u32,
) -> Result<FfmpegProcess, EncodeFailure> {
    let args: Vec<String> = [
        "-hide_banner",
        "-nostdin",
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
    .map(|s| s.to_string())
    .collect();
    FfmpegProcess::spawn(ffmpeg, &args)
}
