//! A workload from its spec, the one way in for every caller (the CLI's
//! `bench` and `render`, tests): the embedded clip, or the user's video —
//! probed, its frames counted and decoded up to the first damage, cut to its
//! `--start`/`--duration` window — with detections loaded, captioned by the
//! rule and scaled to the frames. What a user should know is returned as
//! notes (the library never prints).

use std::path::{Path, PathBuf};

use super::actions::CaptionRule;
use super::detections::{self, Detections, DetectionsError, Loaded};
use super::{synthetic, video, Decoder, Input, Workload, WorkloadInfo};
use crate::ffmpeg::probe_file::ProbeError;
use crate::results::decode::{DecodeChoice, NvdecRoute};
use crate::results::failure::EncodeFailure;

/// Why a workload could not be built from its spec: each a user's next step.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    #[error("--fps must be between 0 and 1000 (got {0})")]
    Fps(f64),
    #[error("--frames must be at least 1")]
    NoFrames,
    #[error("--tracks gives the boxes of the persons of an AVA CSV: pass the CSV as --detections (or the MOT file alone as --detections)")]
    TracksAlone,
    #[error("--start and --duration cut a window of --video: give a video, or drop them for the embedded clip")]
    WindowWithoutVideo,
    #[error("--preload decodes a --video before the runs: give one (the embedded clip is held in memory already)")]
    PreloadWithoutVideo,
    /// The ffmpeg there is fails, with its own fix: not "install ffmpeg".
    #[error("--video needs ffmpeg to decode it: {0}: {fix} (or read it with OpenCV: --decoder opencv)", fix = .0.fix())]
    FfmpegBroken(EncodeFailure),
    #[error("--video needs ffmpeg to decode it: install ffmpeg or pass --ffmpeg (or read it with OpenCV: --decoder opencv)")]
    FfmpegMissing,
    #[error(
        "--decoder opencv needs a build with the `opencv` feature; install ffmpeg to read --video"
    )]
    OpencvMissing,
    #[error(transparent)]
    Probe(#[from] ProbeError),
    #[error(transparent)]
    Detections(#[from] DetectionsError),
    #[error("{} is {w}x{h}; frames must be 16 to 8192 pixels a side: scale it with --resolution (e.g. --resolution 1920x1080)", path.display())]
    FrameSize { path: PathBuf, w: u32, h: u32 },
    #[error("{} reports no usable frame rate: pass --fps", .0.display())]
    NoFrameRate(PathBuf),
    /// No frame decodes (ffmpeg), or none reads (OpenCV, `by_opencv`).
    #[error("{} has no {}: use a video with at least one frame", path.display(), if *.by_opencv { "video frames OpenCV can read" } else { "decodable video frames" })]
    Undecodable { path: PathBuf, by_opencv: bool },
    #[error("{}: {cause}", path.display())]
    Window {
        path: PathBuf,
        cause: video::WindowError,
    },
    /// More frames asked for than the video's window holds.
    #[error("--frames {asked}{}: {} has {available} decodable frames{}; ask for at most {}", warmup_text(*.warmup), path.display(), within_text(*.windowed), available.saturating_sub(*.warmup))]
    TooManyFrames {
        asked: u64,
        warmup: u64,
        path: PathBuf,
        available: u64,
        windowed: bool,
    },
    #[error("{} has only {available} decodable frames{}; lower --warmup", path.display(), within_text(*.windowed))]
    TooFewFrames {
        path: PathBuf,
        available: u64,
        windowed: bool,
    },
    /// Reading the video (OpenCV's probe, `--preload`'s decode) failed: what the reader said.
    #[error("{0}")]
    Read(String),
}

fn warmup_text(warmup: u64) -> String {
    if warmup > 0 {
        format!(" with --warmup {warmup}")
    } else {
        String::new()
    }
}

fn within_text(windowed: bool) -> &'static str {
    if windowed {
        " in the --start/--duration window"
    } else {
        ""
    }
}

/// Frame sides the tool accepts: ffmpeg's H.264 encoders need 16 pixels, and
/// 8192 is the largest any NVENC codec takes.
pub const FRAME_SIDE: std::ops::RangeInclusive<u32> = 16..=8192;

/// A frame size that is not `WxH` within `FRAME_SIDE`.
#[derive(Debug, thiserror::Error)]
pub enum SizeError {
    #[error("'{0}' is not WxH (e.g. 1920x1080)")]
    NotWxH(String),
    #[error("'{0}': width and height must be whole numbers from 16 to 8192")]
    OutOfRange(String),
}

/// A frame size `WxH` (`--resolution`), each side within `FRAME_SIDE`.
pub fn parse_size(text: &str) -> Result<(u32, u32), SizeError> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| SizeError::NotWxH(text.to_string()))?;
    let side = |v: &str| {
        v.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| FRAME_SIDE.contains(n))
    };
    match (side(w), side(h)) {
        (Some(w), Some(h)) => Ok((w, h)),
        _ => Err(SizeError::OutOfRange(text.to_string())),
    }
}

/// What to draw on, as the user asked for it.
#[derive(Debug, Clone)]
pub struct WorkloadSpec {
    /// None: the embedded clip.
    pub video: Option<PathBuf>,
    pub decoder: Decoder,
    pub start_ms: u64,
    /// -1: to the end.
    pub duration_ms: i64,
    pub detections: Option<PathBuf>,
    /// A MOT file's boxes for an AVA CSV's persons (`--tracks`).
    pub tracks: Option<PathBuf>,
    /// Frames scaled to this size (the embedded clip's: 1920x1080).
    pub resolution: Option<(u32, u32)>,
    pub fps: Option<f64>,
    pub frames: Option<u64>,
    /// Synthetic tracks where no detections are given.
    pub persons: u32,
    pub show_time: bool,
    pub rule: CaptionRule,
    /// Frames drawn before the timed ones (they need tracks and frames too).
    pub warmup: u64,
    /// The CUDA device NVDEC decodes on (`--gpu`), else CUDA's default.
    pub nvdec_device: Option<u32>,
    /// Decode the video once before the runs and time them on those frames.
    pub preload: bool,
}

impl WorkloadSpec {
    /// Refuses an output path (named by its flag) that is the input video or
    /// detections: writing there would destroy the file being read.
    pub fn refuse_overwriting(
        &self,
        outputs: &[(&str, PathBuf)],
    ) -> Result<(), crate::atomic_file::OutputFileError> {
        let inputs = [
            ("video", self.video.as_deref()),
            ("detections", self.detections.as_deref()),
        ];
        crate::atomic_file::refuse_overwriting(&inputs, outputs)
    }
}

/// A workload and what the user should be told about how it was made.
pub struct Built {
    pub workload: Workload,
    pub notes: Vec<String>,
}

/// The workload `spec` describes. `ffmpeg` is the binary to decode a video
/// with, or why there is none.
pub fn build(
    spec: &WorkloadSpec,
    ffmpeg: Result<&Path, Option<&EncodeFailure>>,
) -> Result<Built, WorkloadError> {
    check(spec)?;
    let mut notes = Vec::new();
    // An AVA CSV's timestamps land on frames at the source's own rate.
    let load = |source_fps: Option<f64>| {
        let fps = source_fps
            .filter(|f| f.is_finite() && *f > 0.0)
            .or(spec.fps)
            .unwrap_or(30.0);
        spec.detections
            .as_deref()
            .map(|path| detections::load(path, spec.tracks.as_deref(), &spec.rule, fps))
            .transpose()
    };
    let workload = match &spec.video {
        None => synthetic_clip(spec, load(None)?, &mut notes),
        Some(path) => match (ffmpeg, spec.decoder) {
            (Ok(ffmpeg), _) => {
                let probed = probe_with_ffmpeg(ffmpeg, path, &mut notes)?;
                let loaded = load(Some(probed.stream.fps))?;
                user_video(spec, path, Some(ffmpeg), probed, loaded, &mut notes)?
            }
            // The demo's own path needs no ffmpeg: VideoCapture reads the video.
            (Err(_), Decoder::Opencv) => {
                let probed = probe_with_opencv(path)?;
                let loaded = load(Some(probed.stream.fps))?;
                notes.push(format!(
                    "no ffmpeg: OpenCV reads {} as the demo does (outputs cannot be decoded back to check them)",
                    path.display()
                ));
                user_video(spec, path, None, probed, loaded, &mut notes)?
            }
            // The reason there is none, with its own fix: a broken --ffmpeg is not "install ffmpeg".
            (Err(Some(f)), Decoder::Ffmpeg | Decoder::Nvdec) => {
                return Err(WorkloadError::FfmpegBroken(f.clone()))
            }
            (Err(None), Decoder::Ffmpeg | Decoder::Nvdec) => {
                return Err(WorkloadError::FfmpegMissing)
            }
        },
    };
    let workload = match (spec.preload, &spec.video) {
        (true, Some(_)) => workload
            .preloaded(spec.warmup, &mut notes)
            .map_err(|e| WorkloadError::Read(format!("{e:#}")))?,
        (true, None) => return Err(WorkloadError::PreloadWithoutVideo),
        (false, _) => workload,
    };
    Ok(Built { workload, notes })
}

fn check(spec: &WorkloadSpec) -> Result<(), WorkloadError> {
    if let Some(fps) = spec.fps {
        if !(fps.is_finite() && fps > 0.0 && fps <= 1000.0) {
            return Err(WorkloadError::Fps(fps));
        }
    }
    if spec.frames == Some(0) {
        return Err(WorkloadError::NoFrames);
    }
    if spec.tracks.is_some() && spec.detections.is_none() {
        return Err(WorkloadError::TracksAlone);
    }
    if spec.video.is_none() && windowed(spec) {
        return Err(WorkloadError::WindowWithoutVideo);
    }
    Ok(())
}

fn windowed(spec: &WorkloadSpec) -> bool {
    spec.start_ms > 0 || spec.duration_ms != -1
}

/// Boxes recorded at another size, scaled to the frames they are drawn on.
fn fit(loaded: Loaded, w: u32, h: u32, notes: &mut Vec<String>) -> Detections {
    match loaded.size {
        Some((fw, fh)) if (fw, fh) != (w, h) && fw > 0 && fh > 0 => {
            let (sx, sy) = (w as f32 / fw as f32, h as f32 / fh as f32);
            notes.push(if (fw, fh) == detections::FRACTIONS {
                format!("the detections' boxes are fractions of the frame (AVA): drawn on {w}x{h}")
            } else {
                format!(
                    "the detections were recorded at {fw}x{fh}; boxes scaled by {sx:.3} x {sy:.3} to {w}x{h}"
                )
            });
            loaded.detections.scaled(sx, sy)
        }
        _ => loaded.detections,
    }
}

fn path_text(path: Option<&PathBuf>) -> String {
    path.map(|p| p.display().to_string()).unwrap_or_default()
}

fn synthetic_clip(
    spec: &WorkloadSpec,
    loaded: Option<Loaded>,
    notes: &mut Vec<String>,
) -> Workload {
    let (w, h) = spec.resolution.unwrap_or((1920, 1080));
    let fps = spec.fps.unwrap_or(30.0);
    let frames = spec.frames.unwrap_or(100);
    let mut workload = Workload::synthetic(w, h, fps, frames, spec.persons);
    workload.info.show_time = spec.show_time;
    // Warm-up frames are drawn too: give them tracks.
    workload.detections = synthetic::tracks_with(
        w,
        h,
        frames + spec.warmup,
        spec.persons,
        fps,
        spec.rule.clone(),
    );
    if let Some(loaded) = loaded {
        let dets = fit(loaded, w, h, notes);
        workload.info.detections = path_text(spec.detections.as_ref());
        workload.info.persons = dets.max_persons();
        workload.detections = dets;
    }
    workload
}

/// The video's size and frame rate as the run will use them.
fn size_and_fps(
    spec: &WorkloadSpec,
    path: &Path,
    stream: &crate::ffmpeg::probe_file::VideoStreamInfo,
) -> Result<(u32, u32, f64), WorkloadError> {
    let (w, h) = spec.resolution.unwrap_or((stream.width, stream.height));
    if !(FRAME_SIDE.contains(&w) && FRAME_SIDE.contains(&h)) {
        return Err(WorkloadError::FrameSize {
            path: path.to_path_buf(),
            w,
            h,
        });
    }
    let fps = spec.fps.unwrap_or(stream.fps);
    if !(fps.is_finite() && fps > 0.0) {
        return Err(WorkloadError::NoFrameRate(path.to_path_buf()));
    }
    Ok((w, h, fps))
}

/// What the video holds, as its reader will give it.
struct Probed {
    stream: crate::ffmpeg::probe_file::VideoStreamInfo,
    /// Frames that decode (to the first damage).
    decodable: u64,
}

fn probe_with_ffmpeg(
    ffmpeg: &Path,
    path: &Path,
    notes: &mut Vec<String>,
) -> Result<Probed, WorkloadError> {
    Ok(Probed {
        stream: crate::ffmpeg::probe_file::probe(ffmpeg, path)?,
        decodable: decodable(ffmpeg, path, notes)?,
    })
}

#[cfg(feature = "opencv")]
fn probe_with_opencv(path: &Path) -> Result<Probed, WorkloadError> {
    let (stream, decodable) =
        video::OpenCvReader::probe(path).map_err(|e| WorkloadError::Read(format!("{e:#}")))?;
    if decodable == 0 {
        return Err(WorkloadError::Undecodable {
            path: path.to_path_buf(),
            by_opencv: true,
        });
    }
    Ok(Probed { stream, decodable })
}

#[cfg(not(feature = "opencv"))]
fn probe_with_opencv(_: &Path) -> Result<Probed, WorkloadError> {
    Err(WorkloadError::OpencvMissing)
}

/// Frames in the file (packets, no decoding) and frames that really decode:
/// real footage can be damaged part-way (OpenCV's tree.avi: 444 and 68).
fn decodable(ffmpeg: &Path, path: &Path, notes: &mut Vec<String>) -> Result<u64, WorkloadError> {
    let stored = crate::ffmpeg::probe_file::count_frames(ffmpeg, path)?;
    let decodable = if stored == 0 {
        0
    } else {
        crate::ffmpeg::probe_file::decodable_frames(ffmpeg, path)?
    };
    if decodable == 0 {
        return Err(WorkloadError::Undecodable {
            path: path.to_path_buf(),
            by_opencv: false,
        });
    }
    if decodable < stored {
        notes.push(format!(
            "{} holds {stored} frames but only the first {decodable} decode ({} missing: damaged or undecodable); using those {decodable}",
            path.display(),
            stored - decodable
        ));
    }
    Ok(decodable)
}

/// The timed frames out of the `available` ones of the window, after the warm-up.
fn timed_frames(spec: &WorkloadSpec, path: &Path, available: u64) -> Result<u64, WorkloadError> {
    let warmup = spec.warmup;
    match spec.frames {
        Some(n) if n + warmup <= available => Ok(n),
        Some(asked) => Err(WorkloadError::TooManyFrames {
            asked,
            warmup,
            path: path.to_path_buf(),
            available,
            windowed: windowed(spec),
        }),
        None if available > warmup => Ok(available - warmup),
        None => Err(WorkloadError::TooFewFrames {
            path: path.to_path_buf(),
            available,
            windowed: windowed(spec),
        }),
    }
}

/// How long NVDEC's trial may take (a CUDA context's start included).
const NVDEC_TRIAL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The decoder that will run: NVDEC where its trial decodes the window's
/// first frames, else ffmpeg's CPU decoder with the reason kept and told.
fn decode_choice(
    spec: &WorkloadSpec,
    ffmpeg: Option<&Path>,
    path: &Path,
    trial: NvdecTrial,
    start_frame: u64,
    fps: f64,
    notes: &mut Vec<String>,
) -> DecodeChoice {
    let asked = spec.decoder;
    let (Decoder::Nvdec, Some(ffmpeg)) = (asked, ffmpeg) else {
        return DecodeChoice::as_asked(asked);
    };
    let device = spec.nvdec_device;
    match trial.in_process(ffmpeg, path, device) {
        Ok(()) => return DecodeChoice::nvdec(NvdecRoute::InProcess),
        Err(why) => notes.push(format!(
            "NVDEC cannot be driven in this process for {}: {why}; trying NVDEC through ffmpeg (frames down its pipe)",
            path.display()
        )),
    }
    let seek = video::seek_seconds(start_frame, fps);
    match crate::ffmpeg::decode::nvdec_trial(ffmpeg, path, seek, device, NVDEC_TRIAL_TIMEOUT) {
        Ok(()) => DecodeChoice::nvdec(NvdecRoute::Ffmpeg),
        Err(failure) => {
            notes.push(format!(
                "NVDEC cannot decode {}: {failure} ({}); decoding on the CPU instead",
                path.display(),
                failure.fix()
            ));
            DecodeChoice {
                requested: asked,
                ran: Decoder::Ffmpeg,
                route: None,
                fallback: Some(failure),
            }
        }
    }
}

/// What the in-process NVDEC's trial needs of the video.
struct NvdecTrial<'a> {
    /// ffmpeg's name for the stream's codec.
    codec: &'a str,
    size: (u32, u32),
}

impl NvdecTrial<'_> {
    /// Whether NVDEC, driven here, decodes the video's first frame at the
    /// run's size: the codec one it takes here, the libraries, the GPU.
    fn in_process(&self, ffmpeg: &Path, path: &Path, device: Option<u32>) -> Result<(), String> {
        let codec =
            crate::ffmpeg::decode::NvdecCodec::from_ffmpeg(self.codec).ok_or_else(|| {
                format!(
                    "{} goes to NVDEC through ffmpeg only (h264 and hevc here)",
                    self.codec
                )
            })?;
        crate::cuda::video::trial(ffmpeg, path, codec, self.size, device).map_err(|e| e.to_string())
    }
}

fn user_video(
    spec: &WorkloadSpec,
    path: &Path,
    ffmpeg: Option<&Path>,
    Probed { stream, decodable }: Probed,
    loaded: Option<Loaded>,
    notes: &mut Vec<String>,
) -> Result<Workload, WorkloadError> {
    let (w, h, fps) = size_and_fps(spec, path, &stream)?;
    // The demo's start/duration, in the video's own frames and time.
    let source_fps = if stream.fps.is_finite() && stream.fps > 0.0 {
        stream.fps
    } else {
        fps
    };
    let (start_frame, available) =
        video::window(spec.start_ms, spec.duration_ms, source_fps, decodable).map_err(|cause| {
            WorkloadError::Window {
                path: path.to_path_buf(),
                cause,
            }
        })?;
    let frames = timed_frames(spec, path, available)?;
    let decode = decode_choice(
        spec,
        ffmpeg,
        path,
        NvdecTrial {
            codec: &stream.codec,
            size: (w, h),
        },
        start_frame,
        fps,
        notes,
    );
    if stream.variable_frame_rate {
        notes.push(format!(
            "{} has a variable frame rate: every decoded frame is used once and the output runs at {} fps",
            path.display(),
            crate::ffmpeg::args::format_fps(fps)
        ));
    }
    let (detections, persons, source) = match loaded {
        Some(loaded) => {
            // Detections number the video's frames: the run's frame 0 is `start_frame`.
            let dets = fit(loaded, w, h, notes).starting_at(start_frame);
            let persons = dets.max_persons();
            (dets, persons, path_text(spec.detections.as_ref()))
        }
        None => (
            synthetic::tracks_with(
                w,
                h,
                frames + spec.warmup,
                spec.persons,
                fps,
                spec.rule.clone(),
            ),
            spec.persons as usize,
            "synthetic".to_string(),
        ),
    };
    Ok(Workload {
        info: WorkloadInfo {
            source: path.display().to_string(),
            detections: source,
            width: w,
            height: h,
            fps,
            frames,
            persons,
            show_time: spec.show_time,
            start_frame,
            decode: Some(decode.clone()),
            preloaded: false,
        },
        detections,
        input: Input::Video {
            path: path.to_path_buf(),
            ffmpeg: ffmpeg.map(Path::to_path_buf),
            decoder: decode.ran,
            nvdec_device: spec.nvdec_device,
            codec: stream.codec.clone(),
            color: stream.color.clone(),
            start_ms: spec.start_ms,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1920x1080").unwrap(), (1920, 1080));
        assert_eq!(parse_size("320X240").unwrap(), (320, 240));
        assert!(matches!(parse_size("1920"), Err(SizeError::NotWxH(_))));
        assert!(matches!(parse_size("0x10"), Err(SizeError::OutOfRange(_))));
        assert!(matches!(parse_size("axb"), Err(SizeError::OutOfRange(_))));
        assert!(matches!(
            parse_size("16x8193"),
            Err(SizeError::OutOfRange(_))
        ));
    }
}
