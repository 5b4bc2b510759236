//! Validated options shared by `bench` and `render`: the workload's spec, the
//! encoder settings template, the GPUs `--gpu` names and the writer chooser;
//! what the library notes about them printed.

use anyhow::Context;

use crate::bench::case::EncoderTemplate;
use crate::cli::stdio::errln;
use crate::cli::{EncoderArgs, WorkloadArgs};
use crate::encode::fallback::Chooser;
use crate::probe::gpu::GpuProbe;
use crate::results::gpu::GpuPin;
use crate::workload::actions::CaptionRule;
use crate::workload::spec::WorkloadSpec;
use crate::workload::Workload;

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
            errln!(
                "note: the GPUs are {}'s, replayed ({}): NVML was not asked",
                std::path::Path::new(&file).display(),
                crate::probe::gpu::REPLAY_VAR
            );
        }
        if let Some(note) = note {
            errln!("note: {note}");
        }
        Ok(gpus)
    }

    /// Finds ffmpeg (never fatal: the OpenCV writer may still work) and prepares trials.
    pub fn chooser(&self, gpu: &GpuProbe) -> anyhow::Result<Chooser> {
        Chooser::probe(
            self.ffmpeg.as_deref(),
            gpu,
            !self.no_fallback,
            self.write_timeout,
        )
        .with_context(|| {
            format!(
                "cannot make the trial encodes' temporary directory in {} (set TMPDIR to a writable directory)",
                std::env::temp_dir().display()
            )
        })
    }
}

/// Which scores become captions: the demo's rule unless told otherwise.
pub fn caption_rule(args: &WorkloadArgs) -> anyhow::Result<CaptionRule> {
    let (rule, notes) = CaptionRule::from_flags(
        args.common_categories,
        args.confidence_threshold,
        &args.exclude_class,
    )?;
    for note in notes {
        errln!("note: {note}");
    }
    Ok(rule)
}

/// The workload the flags describe (`workload::spec::build` makes it; the
/// NVDEC device is `--gpu`'s, set once the GPUs are pinned).
pub fn workload_spec(args: &WorkloadArgs, warmup: u64) -> anyhow::Result<WorkloadSpec> {
    Ok(WorkloadSpec {
        video: args.video.clone(),
        decoder: args.decoder,
        start_ms: args.start,
        duration_ms: args.duration,
        detections: args.detections.clone(),
        tracks: args.tracks.clone(),
        resolution: args.resolution,
        fps: args.fps,
        frames: args.frames,
        persons: args.persons,
        show_time: !args.no_show_time,
        rule: caption_rule(args)?,
        warmup,
        nvdec_device: None,
        preload: args.preload,
    })
}

/// The embedded clip, or the user's video (+ detections), decoded with the
/// chooser's ffmpeg; its notes printed.
pub fn workload(spec: &WorkloadSpec, chooser: &Chooser) -> anyhow::Result<Workload> {
    let ffmpeg = chooser.ffmpeg().ok_or(chooser.ffmpeg_unusable());
    let built = crate::workload::spec::build(spec, ffmpeg)?;
    for note in &built.notes {
        errln!("note: {note}");
    }
    Ok(built.workload)
}
