//! Every encoded output is checked by decoding it: frame count, resolution, codec.

use std::path::Path;
use std::time::Duration;

use crate::ffmpeg::probe_file;
use crate::ffmpeg::verify::decoded_frames;

pub use crate::results::Verified;

/// Why an output was not verified.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Ctrl-C or SIGTERM came while checking: the output is neither good nor bad.
    #[error("interrupted while checking the output")]
    Interrupted,
    /// The output is missing, short, the wrong size or does not decode.
    #[error("{0}")]
    Failed(String),
}

/// Decodes `path` and checks it holds `frames` frames of at least `width`x`height`
/// (odd sizes are padded by one pixel, never shrunk). Whatever fails while an
/// interrupt is pending (the probe's ffmpeg killed by it, most often) is
/// [`VerifyError::Interrupted`], never a verdict on the file.
pub fn verify(
    ffmpeg: &Path,
    path: &Path,
    frames: u64,
    width: u32,
    height: u32,
) -> Result<Verified, VerifyError> {
    check(ffmpeg, path, frames, width, height).map_err(|why| {
        if crate::interrupt::requested() {
            VerifyError::Interrupted
        } else {
            VerifyError::Failed(why)
        }
    })
}

fn check(
    ffmpeg: &Path,
    path: &Path,
    frames: u64,
    width: u32,
    height: u32,
) -> Result<Verified, String> {
    let bytes = std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("output missing: {e}"))?;
    if bytes == 0 {
        return Err("output is empty".into());
    }
    let info = probe_file::probe(ffmpeg, path).map_err(|e| format!("{e:#}"))?;
    let decoded = decoded_frames(ffmpeg, path, Duration::from_secs(120))?;
    if decoded != frames {
        return Err(format!(
            "wrote {frames} frames, the output decodes to {decoded}"
        ));
    }
    let padded = |v: u32| v + v % 2;
    let got = (info.width, info.height);
    if got != (width, height) && got != (padded(width), padded(height)) {
        let cropped = got == (width - width % 2, height - height % 2);
        return Err(format!(
            "output is {}x{}, expected {width}x{height}{}",
            info.width,
            info.height,
            if cropped {
                " (the writer cropped the odd size: use an even --resolution)"
            } else {
                ""
            }
        ));
    }
    Ok(Verified {
        frames: decoded,
        width: info.width,
        height: info.height,
        codec: info.codec,
        bytes,
    })
}
