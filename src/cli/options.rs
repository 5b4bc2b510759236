//! Validated options shared by `bench` and `render`: the workload, the encoder
//! settings template and the writer chooser.

use crate::workload::actions::{CaptionRule, Vocabulary};
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context};

use crate::bench::case::EncoderTemplate;
use crate::cli::{EncoderArgs, WorkloadArgs};
use crate::encode::fallback::Chooser;
use crate::probe::gpu::{GpuPin, GpuProbe};
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

/// Refuses an output path that names the input video or detections.
pub fn refuse_overwriting_inputs(
    args: &WorkloadArgs,
    outputs: &[(&str, std::path::PathBuf)],
) -> anyhow::Result<()> {
    let inputs = [
        ("video", args.video.as_deref()),
        ("detections", args.detections.as_deref()),
    ];
    crate::atomic_file::refuse_overwriting(&inputs, outputs)
}

impl EncoderArgs {
    /// The encoder settings these flags give every case.
    pub fn template(&self) -> EncoderTemplate {
        EncoderTemplate {
            tune: self.tune.clone(),
            rc: self.rc.clone(),
            bitrate: self.bitrate.clone(),
            maxrate: self.maxrate.clone(),
            bufsize: self.bufsize.clone(),
            bframes: self.bframes,
            gop: self.gop,
            guide_exact: self.guide_exact,
            profile: self.profile,
        }
    }

    /// The GPUs `--gpu` names (none without it); what to know of them said.
    pub fn gpus(&self, probe: &GpuProbe) -> anyhow::Result<Vec<GpuPin>> {
        let Some(choice) = self.gpu else {
            return Ok(Vec::new());
        };
        let (gpus, note) = crate::probe::gpu::pin_here(choice, probe)?;
        if let Some(file) = std::env::var_os(crate::probe::gpu::REPLAY_VAR) {
            crate::cli::stdio::errln!(
                "note: the GPUs are {}'s, replayed ({}): NVML was not asked",
                std::path::Path::new(&file).display(),
                crate::probe::gpu::REPLAY_VAR
            );
        }
        if let Some(note) = note {
            crate::cli::stdio::errln!("note: {note}");
        }
        Ok(gpus)
    }

    /// Finds ffmpeg (never fatal: the OpenCV writer may still work) and prepares trials.
    pub fn chooser(&self, gpu: &GpuProbe) -> anyhow::Result<Chooser> {
        let write_timeout = seconds("--write-timeout", self.write_timeout)?;
        Chooser::probe(
            self.ffmpeg.as_deref(),
            gpu,
            !self.no_fallback,
            write_timeout,
        )
    }
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

/// The workload the flags describe (`workload::spec::build` makes it);
/// `nvdec_device`: `--gpu`'s first GPU, where NVDEC decodes the video.
pub fn workload_spec(
    args: &WorkloadArgs,
    warmup: u64,
    nvdec_device: Option<u32>,
) -> anyhow::Result<WorkloadSpec> {
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
        nvdec_device,
    })
}

/// The embedded clip, or the user's video (+ detections); its notes printed.
pub fn workload(
    args: &WorkloadArgs,
    ffmpeg: Result<&Path, Option<&crate::ffmpeg::EncodeFailure>>,
    warmup: u64,
    nvdec_device: Option<u32>,
) -> anyhow::Result<Workload> {
    let spec = workload_spec(args, warmup, nvdec_device)?;
    let built = crate::workload::spec::build(&spec, ffmpeg)?;
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
}
