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
use crate::workload::spec::{WorkloadSpec, FRAME_SIDE};
use crate::workload::Workload;

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
    let listing = crate::ffmpeg::info::Listing::Encoders;
    let ffmpeg = match probe_ffmpeg(args.ffmpeg.as_deref(), Duration::from_secs(10), listing) {
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
pub fn caption_rule(args: &WorkloadArgs) -> anyhow::Result<CaptionRule> {
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

/// The workload the flags describe (`workload::spec::build` makes it).
pub fn workload_spec(args: &WorkloadArgs, warmup: u64) -> anyhow::Result<WorkloadSpec> {
    Ok(WorkloadSpec {
        video: args.video.clone(),
        decoder: args.decoder,
        start_ms: args.start,
        duration_ms: args.duration,
        detections: args.detections.clone(),
        tracks: args.tracks.clone(),
        resolution: args
            .resolution
            .as_deref()
            .map(parse_resolution)
            .transpose()?,
        fps: args.fps,
        frames: args.frames,
        persons: args.persons,
        show_time: !args.no_show_time,
        rule: caption_rule(args)?,
        warmup,
    })
}

/// The embedded clip, or the user's video (+ detections); its notes printed.
pub fn workload(
    args: &WorkloadArgs,
    ffmpeg: Result<&Path, Option<&crate::ffmpeg::EncodeFailure>>,
    warmup: u64,
) -> anyhow::Result<Workload> {
    let built = crate::workload::spec::build(&workload_spec(args, warmup)?, ffmpeg)?;
    for note in &built.notes {
        crate::cli::stdio::errln!("note: {note}");
    }
    Ok(built.workload)
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
