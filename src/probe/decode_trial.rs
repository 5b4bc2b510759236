//! Trial decodes on NVDEC: per codec, a small clip made on the spot by a CPU
//! encoder, decoded through `-hwaccel cuda` with its frames kept on the GPU
//! and counted. Only this tells whether NVDEC decodes a codec here: listings
//! (`-hwaccels`, `*_cuvid`) say what ffmpeg was built with, not what the GPU
//! and driver do.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::ffmpeg::args::{shell_line, strings};
use crate::ffmpeg::child::{exit_info, FfmpegProcess};
use crate::ffmpeg::decode::{cuda_trial, nvdec_decode, nvdec_trial_args};
use crate::ffmpeg::failure::classify;
use crate::ffmpeg::info::FfmpegInfo;
use crate::results::codec::Codec;
use crate::results::failure::EncodeFailure;

/// Frames of each trial clip: 320x240 is above every codec's NVDEC minimum
/// (HEVC's 144x144 the largest).
const CLIP_FRAMES: u32 = 10;

#[derive(Debug, Clone, Serialize)]
pub struct DecodeTrial {
    /// "h264", "hevc", "av1".
    pub codec: &'static str,
    /// The CPU encoder that made the clip (None: none here could).
    pub made_with: Option<String>,
    pub command: String,
    pub seconds: f64,
    #[serde(flatten)]
    pub outcome: DecodeOutcome,
    /// The same clip through NVDEC driven from this process (`cuda::video`,
    /// what `--decoder nvdec` and the GPU modes try first); absent for a
    /// codec this process does not hand NVDEC, or with no clip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_process: Option<DecodeOutcome>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum DecodeOutcome {
    /// NVDEC decoded all of the clip's frames.
    Ok {
        frames: u64,
    },
    Failed {
        failure: EncodeFailure,
    },
    /// No clip to try: no CPU encoder of this codec in this ffmpeg.
    NotTried {
        detail: String,
    },
}

impl DecodeTrial {
    pub fn ok(&self) -> bool {
        matches!(self.outcome, DecodeOutcome::Ok { .. })
    }
}

/// A trial per codec NVDEC may decode (H.264, HEVC, AV1), in `dir`.
pub fn run(binary: &Path, info: &FfmpegInfo, timeout: Duration, dir: &Path) -> Vec<DecodeTrial> {
    let started = Instant::now();
    // No cuda hwaccel, no driver, no GPU: one answer for every codec, no clip made.
    let device = if info.decode.as_ref().is_some_and(|d| d.has_cuda_hwaccel()) {
        cuda_trial(binary, None, timeout)
    } else {
        Err(EncodeFailure::HwaccelNotCompiled {
            hwaccel: "cuda".into(),
        })
    };
    Codec::ALL
        .into_iter()
        .map(|codec| match &device {
            Err(failure) => DecodeTrial {
                codec: codec.name(),
                made_with: None,
                command: String::new(),
                seconds: started.elapsed().as_secs_f64(),
                outcome: DecodeOutcome::Failed {
                    failure: failure.clone(),
                },
                in_process: None,
            },
            Ok(()) => trial(binary, info, codec, timeout, dir),
        })
        .collect()
}

fn trial(
    binary: &Path,
    info: &FfmpegInfo,
    codec: Codec,
    timeout: Duration,
    dir: &Path,
) -> DecodeTrial {
    let started = Instant::now();
    let Some(encoder) = codec.cpu_encoders().iter().find(|e| info.has_encoder(e)) else {
        return DecodeTrial {
            codec: codec.name(),
            made_with: None,
            command: String::new(),
            seconds: 0.0,
            outcome: DecodeOutcome::NotTried {
                detail: format!(
                    "this ffmpeg has no CPU encoder of {} ({}) to make a clip with",
                    codec.name(),
                    codec.cpu_encoders().join(", ")
                ),
            },
            in_process: None,
        };
    };
    let clip = dir.join(format!("decode-{}.mkv", codec.name()));
    let made = make_clip(binary, encoder, &clip, timeout);
    let outcome = counted(
        made.clone()
            .and_then(|()| nvdec_decode(binary, &clip, None, None, None, timeout)),
    );
    let in_process = crate::ffmpeg::decode::NvdecCodec::from_ffmpeg(codec.name())
        .filter(|_| made.is_ok())
        .map(|c| {
            counted(
                crate::cuda::video::decode_all(binary, &clip, c, (320, 240), None)
                    .map_err(EncodeFailure::from),
            )
        });
    DecodeTrial {
        codec: codec.name(),
        made_with: Some(encoder.to_string()),
        command: shell_line(binary, &nvdec_trial_args(&clip, None, None, None)),
        seconds: started.elapsed().as_secs_f64(),
        outcome,
        in_process,
    }
}

/// A trial's frames decoded: all of the clip's, or a failure.
fn counted(frames: Result<u64, EncodeFailure>) -> DecodeOutcome {
    match frames {
        Ok(n) if n == u64::from(CLIP_FRAMES) => DecodeOutcome::Ok { frames: n },
        Ok(n) => DecodeOutcome::Failed {
            failure: EncodeFailure::NvdecUnsupported {
                detail: format!("decoded {n} of the clip's {CLIP_FRAMES} frames"),
            },
        },
        Err(failure) => DecodeOutcome::Failed { failure },
    }
}

/// `CLIP_FRAMES` frames of testsrc2 at 320x240, 4:2:0, by `encoder`.
fn make_clip(
    binary: &Path,
    encoder: &str,
    clip: &Path,
    timeout: Duration,
) -> Result<(), EncodeFailure> {
    let family = crate::results::codec::EncoderName::from(encoder).family();
    let quiet: &[&str] = match family {
        crate::results::codec::EncoderFamily::X265 => &["-x265-params", "log-level=error"],
        _ => &[],
    };
    let args: Vec<String> = strings(&[
        "-hide_banner",
        "-nostdin",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=320x240:r=30",
        "-frames:v",
        &CLIP_FRAMES.to_string(),
        "-pix_fmt",
        "yuv420p",
        "-c:v",
        encoder,
    ])
    .chain(strings(quiet))
    .chain([clip.to_string_lossy().into_owned()])
    .collect();
    let mut process = FfmpegProcess::spawn(binary, &args)?;
    let status = process.wait(timeout)?;
    if status.success() {
        return Ok(());
    }
    Err(classify(&process.stderr_lines(), &exit_info(&status), None))
}
