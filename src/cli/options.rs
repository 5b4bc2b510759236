//! Validated options shared by `bench` and `render`: the workload, the encoder
//! settings template and the writer chooser.

use crate::workload::actions::{CaptionRule, Vocabulary};
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context};

use crate::bench::case::Profile;
use crate::cli::{EncoderArgs, WorkloadArgs};
use crate::encode::fallback::Chooser;
use crate::ffmpeg::args::EncodeSettings;
use crate::probe::gpu::GpuProbe;
use crate::probe::{probe_ffmpeg, FfmpegProbe};
use crate::workload::{detections, video, Input, Workload};

/// Frame sides the tool accepts: ffmpeg's H.264 encoders need 16 pixels, and
/// 8192 is the largest any NVENC codec takes.
const FRAME_SIDE: std::ops::RangeInclusive<u32> = 16..=8192;

pub fn parse_resolution(s: &str) -> anyhow::Result<(u32, u32)> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .with_context(|| format!("--resolution '{s}' is not WxH (e.g. 1920x1080)"))?;
    let parse = |v: &str| {
        v.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| FRAME_SIDE.contains(n))
    };
    match (parse(w), parse(h)) {
        (Some(w), Some(h)) => Ok((w, h)),
        _ => bail!("--resolution '{s}': width and height must be whole numbers from 16 to 8192"),
    }
}

pub fn seconds(flag: &str, value: f64) -> anyhow::Result<Duration> {
    if !(value.is_finite() && value > 0.0 && value <= 3600.0) {
        bail!("{flag} must be a number of seconds between 0 and 3600 (got {value})");
    }
    Ok(Duration::from_secs_f64(value))
}

/// Refuses an output path that names one of the inputs: writing there would
/// destroy the video or detections being read.
pub fn refuse_overwriting_inputs(
    args: &WorkloadArgs,
    outputs: &[(&str, std::path::PathBuf)],
) -> anyhow::Result<()> {
    let inputs = [("video", &args.video), ("detections", &args.detections)];
    for (input_name, input) in inputs {
        let Some(input) = input.as_ref().and_then(|p| std::fs::canonicalize(p).ok()) else {
            continue;
        };
        for (flag, output) in outputs {
            if std::fs::canonicalize(output).ok().as_ref() == Some(&input) {
                bail!(
                    "{flag} {} is the input {input_name}: choose another path",
                    output.display()
                );
            }
        }
    }
    Ok(())
}

/// The settings every ffmpeg case starts from (encoder and preset filled per
/// case); the GOP is the demo's two seconds at `fps` unless `--gop` says.
pub fn encode_template(args: &EncoderArgs, fps: f64) -> EncodeSettings {
    let mut s = EncodeSettings::guide(crate::results::codec::Codec::H264.nvenc());
    s.tune = Some(args.tune.clone());
    s.rc = Some(args.rc.clone());
    s.bitrate = Some(args.bitrate.clone());
    s.maxrate = Some(args.maxrate.clone());
    s.bufsize = Some(args.bufsize.clone());
    s.bframes = Some(args.bframes);
    s.gop = Some(args.gop.unwrap_or_else(|| demo_gop(fps)));
    s.browser_compat = !args.guide_exact;
    if let Some(profile) = args.profile {
        profile.apply(&mut s);
    }
    s
}

pub fn profile_preset(profile: Option<Profile>) -> Option<String> {
    profile.map(|p| {
        let mut s = EncodeSettings::guide(crate::results::codec::Codec::H264.nvenc());
        p.apply(&mut s);
        s.preset.unwrap_or_default()
    })
}

/// Finds ffmpeg (never fatal: the OpenCV writer may still work) and prepares trials.
pub fn chooser(args: &EncoderArgs, gpu: &GpuProbe) -> anyhow::Result<Chooser> {
    // A trial includes ffmpeg's start and a decode check: never less than 10 s,
    // even with a short --write-timeout (that one bounds a single frame's write).
    let trial_timeout = seconds("--write-timeout", args.write_timeout)?
        .clamp(Duration::from_secs(10), Duration::from_secs(15));
    let ffmpeg = match probe_ffmpeg(args.ffmpeg.as_deref(), Duration::from_secs(10)) {
        FfmpegProbe::Found { binary, info } => Ok((binary.path, info)),
        FfmpegProbe::Missing { failure } => Err(failure),
    };
    Chooser::new(
        ffmpeg,
        gpu.clone(),
        crate::probe::container::detect(),
        cfg!(feature = "opencv"),
        !args.no_fallback,
        trial_timeout,
    )
}

/// The demo's `-g str(int(fps * 2))`: two seconds of frames (60 at 30 fps).
pub fn demo_gop(fps: f64) -> u32 {
    ((fps * 2.0) as u32).max(1)
}

/// Which scores become captions: the demo's rule unless told otherwise.
fn caption_rule(args: &WorkloadArgs) -> anyhow::Result<CaptionRule> {
    let excluded = match args.exclude_class.as_slice() {
        [] => None,
        [none] if none == "none" => Some(Vec::new()),
        classes => {
            let vocabulary = Vocabulary::of(args.common_categories);
            for unknown in classes.iter().filter(|c| vocabulary.index(c).is_none()) {
                crate::cli::stdio::errln!(
                    "note: --exclude-class '{unknown}' is not one of the {} categories (e.g. 'crawl', 'play with kids'): it excludes only actions labelled exactly so",
                    vocabulary.names.len()
                );
            }
            Some(classes.to_vec())
        }
    };
    CaptionRule::new(args.common_categories, args.confidence_threshold, excluded)
}

/// The embedded clip, or the user's video (+ detections).
pub fn workload(
    args: &WorkloadArgs,
    ffmpeg: Result<&Path, Option<&crate::ffmpeg::EncodeFailure>>,
    warmup: u64,
) -> anyhow::Result<Workload> {
    let resolution = args
        .resolution
        .as_deref()
        .map(parse_resolution)
        .transpose()?;
    if let Some(fps) = args.fps {
        if !(fps.is_finite() && fps > 0.0 && fps <= 1000.0) {
            bail!("--fps must be between 0 and 1000 (got {fps})");
        }
    }
    if args.frames == Some(0) {
        bail!("--frames must be at least 1");
    }
    let rule = caption_rule(args)?;
    let loaded = args
        .detections
        .as_deref()
        .map(|path| detections::load(path, &rule))
        .transpose()?;
    // Boxes recorded at another size are scaled to the frames they are drawn on.
    let fit = |loaded: detections::Loaded, w: u32, h: u32| match loaded.size {
        Some((fw, fh)) if (fw, fh) != (w, h) && fw > 0 && fh > 0 => {
            let (sx, sy) = (w as f32 / fw as f32, h as f32 / fh as f32);
            crate::cli::stdio::errln!(
                "note: the detections were recorded at {fw}x{fh}; boxes scaled by {sx:.3} x {sy:.3} to {w}x{h}"
            );
            loaded.detections.scaled(sx, sy)
        }
        _ => loaded.detections,
    };
    let windowed = args.start > 0 || args.duration != -1;
    let Some(video_path) = &args.video else {
        if windowed {
            bail!("--start and --duration cut a window of --video: give a video, or drop them for the embedded clip");
        }
        let (w, h) = resolution.unwrap_or((1920, 1080));
        let fps = args.fps.unwrap_or(30.0);
        let frames = args.frames.unwrap_or(100);
        let mut workload = Workload::synthetic(w, h, fps, frames, args.persons);
        workload.info.show_time = !args.no_show_time;
        // Warm-up frames are drawn too: give them tracks.
        workload.detections =
            crate::workload::synthetic::tracks_with(w, h, frames + warmup, args.persons, fps, rule);
        if let Some(loaded) = loaded {
            let dets = fit(loaded, w, h);
            workload.info.detections = args
                .detections
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            workload.info.persons = dets.max_persons();
            workload.detections = dets;
        }
        return Ok(workload);
    };
    // The reason there is none, with its own fix: a broken --ffmpeg is not "install ffmpeg".
    let ffmpeg = ffmpeg.map_err(|why| match why {
        Some(f) => anyhow::anyhow!("--video needs ffmpeg to decode it: {f}: {}", f.fix()),
        None => {
            anyhow::anyhow!("--video needs ffmpeg to decode it: install ffmpeg or pass --ffmpeg")
        }
    })?;
    let stream = video::probe(ffmpeg, video_path)?;
    let (w, h) = resolution.unwrap_or((stream.width, stream.height));
    if !(FRAME_SIDE.contains(&w) && FRAME_SIDE.contains(&h)) {
        bail!(
            "{} is {w}x{h}; frames must be 16 to 8192 pixels a side: scale it with --resolution (e.g. --resolution 1920x1080)",
            video_path.display()
        );
    }
    let fps = args.fps.unwrap_or(stream.fps);
    if !(fps.is_finite() && fps > 0.0) {
        bail!(
            "{} reports no usable frame rate: pass --fps",
            video_path.display()
        );
    }
    // Frames in the file (packets, no decoding) and frames that really decode:
    // real footage can be damaged part-way (OpenCV's tree.avi: 444 and 68).
    let stored = video::count_frames(ffmpeg, video_path)?;
    let decodable = if stored == 0 {
        0
    } else {
        video::decodable_frames(ffmpeg, video_path)?
    };
    if decodable == 0 {
        bail!(
            "{} has no decodable video frames: use a video with at least one frame",
            video_path.display()
        );
    }
    if decodable < stored {
        crate::cli::stdio::errln!(
            "note: {} holds {stored} frames but only the first {decodable} decode ({} missing: damaged or undecodable); using those {decodable}",
            video_path.display(),
            stored - decodable
        );
    }
    // The demo's start/duration, in the video's own frames and time.
    let source_fps = if stream.fps.is_finite() && stream.fps > 0.0 {
        stream.fps
    } else {
        fps
    };
    let (start_frame, available) = video::window(args.start, args.duration, source_fps, decodable)
        .map_err(|e| anyhow::anyhow!("{}: {e}", video_path.display()))?;
    let within = if windowed {
        " in the --start/--duration window"
    } else {
        ""
    };
    let frames = match args.frames {
        Some(n) if n + warmup <= available => n,
        Some(n) => bail!(
            "--frames {n}{}: {} has {available} decodable frames{within}; ask for at most {}",
            if warmup > 0 {
                format!(" with --warmup {warmup}")
            } else {
                String::new()
            },
            video_path.display(),
            available.saturating_sub(warmup)
        ),
        None if available > warmup => available - warmup,
        None => bail!(
            "{} has only {available} decodable frames{within}; lower --warmup",
            video_path.display()
        ),
    };
    if stream.variable_frame_rate {
        crate::cli::stdio::errln!(
            "note: {} has a variable frame rate: every decoded frame is used once and the output runs at {} fps",
            video_path.display(),
            crate::ffmpeg::args::format_fps(fps)
        );
    }
    let (dets, persons, source) = match loaded {
        Some(loaded) => {
            // Detections number the video's frames: the run's frame 0 is `start_frame`.
            let dets = fit(loaded, w, h).starting_at(start_frame);
            let persons = dets.max_persons();
            (
                dets,
                persons,
                args.detections
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            )
        }
        None => (
            crate::workload::synthetic::tracks_with(w, h, frames + warmup, args.persons, fps, rule),
            args.persons as usize,
            "synthetic".to_string(),
        ),
    };
    Ok(Workload {
        info: crate::workload::WorkloadInfo {
            source: video_path.display().to_string(),
            detections: source,
            width: w,
            height: h,
            fps,
            frames,
            persons,
            show_time: !args.no_show_time,
            start_frame,
        },
        detections: dets,
        input: Input::Video {
            path: video_path.clone(),
            ffmpeg: ffmpeg.to_path_buf(),
            decoder: args.decoder,
            start_ms: args.start,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolutions() {
        assert_eq!(parse_resolution("1920x1080").unwrap(), (1920, 1080));
        assert_eq!(parse_resolution("320X240").unwrap(), (320, 240));
        assert!(parse_resolution("1920").is_err());
        assert!(parse_resolution("0x10").is_err());
        assert!(parse_resolution("axb").is_err());
    }

    #[test]
    fn timeouts() {
        assert!(seconds("--x", f64::NAN).is_err());
        assert!(seconds("--x", -1.0).is_err());
        assert_eq!(seconds("--x", 2.0).unwrap(), Duration::from_secs(2));
    }

    #[test]
    fn the_gop_is_two_seconds_as_the_demo_truncates_it() {
        assert_eq!(demo_gop(30.0), 60);
        assert_eq!(demo_gop(29.97), 59);
        assert_eq!(demo_gop(25.0), 50);
        assert_eq!(demo_gop(0.1), 1);
    }
}
