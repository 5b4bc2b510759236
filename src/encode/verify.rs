//! Every encoded output is checked by decoding it: frame count, resolution, codec.

use std::path::Path;
use std::time::Duration;

use crate::ffmpeg::probe_file;
use crate::ffmpeg::verify::decode;

use crate::results::Verified;

/// Why an output was not verified.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Ctrl-C or SIGTERM came while checking: the output is neither good nor bad.
    #[error("interrupted while checking the output")]
    Interrupted,
    /// The output is missing, short, the wrong size or does not decode.
    #[error("{0}")]
    Failed(#[from] CheckFailure),
}

/// What is wrong with an output.
#[derive(Debug, thiserror::Error)]
pub enum CheckFailure {
    #[error("output missing: {0}")]
    Missing(std::io::Error),
    #[error("output is empty")]
    Empty,
    #[error("{0}")]
    Unreadable(crate::ffmpeg::probe_file::ProbeError),
    #[error("{0}")]
    Decode(#[from] crate::ffmpeg::verify::DecodeError),
    #[error("{wrote} frames went in, the output decodes to {decoded}")]
    FrameCount { wrote: u64, decoded: u64 },
    #[error("output is {got_w}x{got_h}, expected {width}x{height}{}", if *.cropped { " (the writer cropped the odd size: use an even --resolution)" } else { "" })]
    Size {
        got_w: u32,
        got_h: u32,
        width: u32,
        height: u32,
        cropped: bool,
    },
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
) -> Result<Verified, CheckFailure> {
    let bytes = std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(CheckFailure::Missing)?;
    if bytes == 0 {
        return Err(CheckFailure::Empty);
    }
    // One ffmpeg start: the decode counts the frames, its banner names the rest.
    let decoded = decode(ffmpeg, path, Duration::from_secs(120))?;
    // A banner ffmpeg-sidecar cannot read (a "1k fps" stream): the full probe.
    let info = match probe_file::parse_probe(&decoded.banner) {
        Ok(info) => info,
        Err(_) => probe_file::probe(ffmpeg, path).map_err(CheckFailure::Unreadable)?,
    };
    let decoded = decoded.frames;
    if decoded != frames {
        return Err(CheckFailure::FrameCount {
            wrote: frames,
            decoded,
        });
    }
    let padded = |v: u32| v + v % 2;
    let got = (info.width, info.height);
    if got != (width, height) && got != (padded(width), padded(height)) {
        return Err(CheckFailure::Size {
            got_w: info.width,
            got_h: info.height,
            width,
            height,
            cropped: got == (width - width % 2, height - height % 2),
        });
    }
    Ok(Verified {
        frames: decoded,
        width: info.width,
        height: info.height,
        codec: info.codec,
        bytes,
        written_by: info.written_by.or_else(|| sei_writer(path)),
        pix_fmt: info.pix_fmt,
        stream_fps: Some(info.fps).filter(|f| *f > 0.0),
    })
}

/// Why an output could not be checked without ffmpeg.
#[derive(Debug, thiserror::Error)]
pub enum OpenCvCheckError {
    #[error("OpenCV cannot read it back: {0}")]
    Unreadable(String),
    #[error("{went_in} frames went in, OpenCV reads {read} back (no ffmpeg to check it further)")]
    Count { went_in: u64, read: u64 },
    #[error("no ffmpeg and no OpenCV in this build to decode the output back")]
    NoDecoder,
}

/// An output checked without ffmpeg: OpenCV's VideoCapture decodes it, every
/// frame counted (a build without OpenCV cannot check it, and says so).
pub fn read_back_with_opencv(path: &Path, frames: u64) -> Result<Verified, OpenCvCheckError> {
    #[cfg(feature = "opencv")]
    {
        let (stream, decoded) = crate::workload::video::OpenCvReader::probe(path)
            .map_err(|e| OpenCvCheckError::Unreadable(format!("{e:#}")))?;
        if decoded != frames {
            return Err(OpenCvCheckError::Count {
                went_in: frames,
                read: decoded,
            });
        }
        Ok(Verified {
            frames: decoded,
            width: stream.width,
            height: stream.height,
            codec: stream.codec,
            bytes: std::fs::metadata(path).map_or(0, |m| m.len()),
            written_by: None,
            pix_fmt: None,
            stream_fps: Some(stream.fps).filter(|f| *f > 0.0),
        })
    }
    #[cfg(not(feature = "opencv"))]
    {
        let _ = (path, frames);
        Err(OpenCvCheckError::NoDecoder)
    }
}

/// The writer an H.264 stream names in its own bitstream where the container
/// does not: x264 leaves its version and options in an SEI message near the
/// start ("x264 - core 164 …"); NVENC and others leave nothing.
fn sei_writer(path: &Path) -> Option<String> {
    let mut head = vec![0u8; 256 * 1024];
    let n = std::io::Read::read(&mut std::fs::File::open(path).ok()?, &mut head).ok()?;
    head[..n]
        .windows(12)
        .any(|w| w == b"x264 - core ")
        .then(|| "libx264".to_string())
}
