//! `render`: one case through the bench's lifecycle (the writer chosen with
//! the guide's fallback, the engine, NVML samples, the output verified, then
//! kept at its path), for whichever front end asks: the CLI's `render`, the
//! Python module's writer and visualizer.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;

use super::case::{expand, CaseSpec, EncoderTemplate, MatrixOptions, SinkSpec};
use super::progress::Observer;
use super::run::EngineConfig;
use super::{EngineOptions, Keep};
use crate::encode::fallback::Chooser;
use crate::pixfmt::PixFmt;
use crate::probe::gpu::{GpuChoice, GpuProbe};
use crate::results::export::{ExportFormat, ExportManager};
use crate::results::{label, CaseResult, CaseStatus, Mode, Results};
use crate::workload::spec::WorkloadSpec;
use crate::workload::Workload;

/// What to render and where: the case's mode, codec, preset and pipe format,
/// its encoder settings and engine, the video's path.
#[derive(Debug, Clone)]
pub struct RenderSpec {
    pub output: PathBuf,
    pub mode: Mode,
    pub codec: crate::results::codec::CodecRequest,
    pub preset: String,
    pub pix_fmt: PixFmt,
    pub template: EncoderTemplate,
    pub fourcc: String,
    pub engine: EngineConfig,
    /// The longest one frame's write may take.
    pub write_timeout: Duration,
    /// Where the results go as JSON (`-`: returned for stdout).
    pub export_json: Option<PathBuf>,
    /// What to draw on, as asked (a fed workload replaces what it builds).
    pub workload: WorkloadSpec,
    /// NVENC may fall back to a CPU encoder, then OpenCV.
    pub fallback: bool,
    /// `--gpu`, as given.
    pub gpu: Option<GpuChoice>,
}

/// What a render needs before its case runs: the GPU's probe, the writer's
/// chooser and the workload (the one a front end built, fed or not).
pub struct Prepared {
    pub gpu: GpuProbe,
    /// The GPU `--gpu` pinned the case to, if any.
    pub pinned: Option<crate::results::gpu::GpuPin>,
    pub chooser: Chooser,
    pub workload: Workload,
}

/// What `execute` did: the results (its one case, or none where it stopped
/// before the case ran), the JSON for stdout (`--export-json -`) and how the
/// run ended.
pub struct Rendered {
    pub results: Results,
    pub export: Option<Vec<u8>>,
    pub ran: anyhow::Result<()>,
}

impl RenderSpec {
    /// The output path, checked before any work: a container this writes, a
    /// name its file system holds, in a directory that exists.
    pub fn check_output(&self) -> anyhow::Result<()> {
        let output = &self.output;
        // The container follows the extension (the temporary file carries
        // it, and ffmpeg and OpenCV both choose by it); one that would hold
        // h264 badly or not at all is refused rather than silently written as
        // something else.
        match output
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
        {
            Some(e) if ["mp4", "mov", "mkv", "avi"].contains(&e.as_str()) => {}
            None => {}
            Some(e) => bail!(
                "-o {}: .{e} is not a container this writes; use .mp4, .mov, .mkv or .avi",
                output.display()
            ),
        }
        crate::atomic_file::check_destination(output)?;
        // The demo's XVID fallback names its file .avi: that name must fit too.
        crate::atomic_file::check_destination(&output.with_extension("avi"))?;
        let dir = crate::atomic_file::parent_dir(output);
        if !dir.is_dir() {
            bail!(
                "output directory {} does not exist: create it or choose another -o",
                dir.display()
            );
        }
        Ok(())
    }

    /// The run's settings, for the record (`Results.config`).
    pub fn config(&self) -> serde_json::Value {
        serde_json::json!({
            "command": "render",
            "mode": self.mode.name(),
            "codec": self.codec,
            "preset": self.preset,
            "profile": self.template.profile,
            "fourcc": self.fourcc,
            "fallback": self.fallback,
            "engine": self.engine,
            "pix_fmts": [self.pix_fmt],
            "gpu": self.gpu.map(|g| g.to_string()),
            "start_ms": self.workload.start_ms,
            "duration_ms": self.workload.duration_ms,
        })
    }

    /// The one case this renders.
    pub fn case(&self, workload: &Workload) -> CaseSpec {
        let preset = self
            .template
            .preset()
            .unwrap_or_else(|| self.preset.clone());
        expand(&MatrixOptions {
            modes: &[self.mode],
            codecs: std::slice::from_ref(&self.codec),
            presets: std::slice::from_ref(&preset),
            template: &self.template.settings(workload.info.fps),
            fourcc: &self.fourcc,
            opencv_built: cfg!(feature = "opencv"),
            pix_fmts: &[self.pix_fmt],
            sessions: &[1],
            pipe_size: self.engine.pipe.size,
            commands: &[],
        })
        .into_iter()
        .next()
        .expect("one mode, codec and preset make one case")
    }
}

/// The render's one case through the bench's lifecycle; the observer hears
/// its progress and its notes (a stand-in overlay or writer).
pub fn execute(
    spec: &RenderSpec,
    prepared: Prepared,
    observer: Arc<dyn Observer>,
) -> anyhow::Result<Rendered> {
    let Prepared {
        gpu,
        pinned,
        mut chooser,
        workload,
    } = prepared;
    let pins: Vec<_> = pinned.into_iter().collect();
    let case = super::case::on_gpus(vec![spec.case(&workload)], &pins).remove(0);
    if let Some(stand_in) = &case.stand_in {
        let encoder = match &case.sink {
            SinkSpec::OpenCvStandIn { encoder, .. } => Some(*encoder),
            _ => None,
        };
        observer.note(&label::stand_in(stand_in, case.overlay, encoder));
    }
    let environment =
        crate::probe::fingerprint::collect(chooser.ffmpeg().zip(chooser.ffmpeg_info()), &gpu);
    let mut results = Results::begin(environment, spec.config(), workload.info.clone());
    let mut exports = ExportManager::default();
    if let Some(path) = &spec.export_json {
        exports.add(path, ExportFormat::Json, &results)?;
    }
    let options = EngineOptions {
        runs: 1,
        warmup: 0,
        keep: Keep::File(spec.output.clone()),
        write_timeout: spec.write_timeout.max(Duration::from_secs(1)),
        observer,
        gpu_sample_period: Duration::from_millis(200),
        quality: false,
        engine: spec.engine,
        interleave: false,
        command_timeout: Duration::MAX,
    };
    let ran = super::run(
        std::slice::from_ref(&case),
        &workload,
        &mut chooser,
        &options,
        &mut results,
        &exports,
    );
    results.incomplete = ran.is_err();
    let export = exports.finish(&results)?;
    Ok(Rendered {
        results,
        export,
        ran,
    })
}

/// Why the case did not write its video, in one line with its fix; None when it did.
pub fn failure(case: &CaseResult) -> Option<String> {
    if case.status == CaseStatus::Ok {
        return None;
    }
    let reason = case.reason.as_ref();
    let why = match reason {
        None => "the render did not finish".into(),
        Some(r) if r.cause() == "verification_failed" => {
            format!("the encoded video failed its check: {r}")
        }
        Some(r) => r.to_string(),
    };
    Some(match reason.and_then(|r| r.fix()) {
        Some(fix) => format!("{why}: {fix}"),
        None => why,
    })
}
