//! `bench`'s options once a front end has validated them (`BenchSpec`), and
//! what follows from them before and after the workload exists: the matrix
//! of cases (built once), every path the run writes, the exports opened
//! before the long run, the engine's options and the settings kept for the
//! record.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::case::{expand, on_gpus, CaseSpec, EncoderTemplate, MatrixOptions};
use super::command::UserCommand;
use super::progress::Observer;
use super::run::EngineConfig;
use super::{EngineOptions, Keep};
use crate::pixfmt::PixFmt;
use crate::probe::gpu::GpuChoice;
use crate::results::codec::CodecRequest;
use crate::results::export::{ExportFormat, ExportManager};
use crate::results::gpu::GpuPin;
use crate::results::{Mode, Results};
use crate::workload::spec::WorkloadSpec;

/// Where the results go besides the summary, by flag.
#[derive(Debug, Clone, Default)]
pub struct Exports {
    pub json: Option<PathBuf>,
    pub csv: Option<PathBuf>,
    pub markdown: Option<PathBuf>,
    pub bencher: Option<PathBuf>,
    pub github_benchmark: Option<PathBuf>,
    /// A saved baseline's file (`--save-baseline NAME`, resolved), as JSON.
    pub baseline: Option<PathBuf>,
}

impl Exports {
    fn each(&self) -> [(&'static str, Option<&PathBuf>, ExportFormat); 6] {
        [
            ("--export-json", self.json.as_ref(), ExportFormat::Json),
            (
                "--save-baseline",
                self.baseline.as_ref(),
                ExportFormat::Json,
            ),
            ("--export-csv", self.csv.as_ref(), ExportFormat::Csv),
            (
                "--export-markdown",
                self.markdown.as_ref(),
                ExportFormat::Markdown,
            ),
            (
                "--export-bencher",
                self.bencher.as_ref(),
                ExportFormat::Bencher,
            ),
            (
                "--export-github-benchmark",
                self.github_benchmark.as_ref(),
                ExportFormat::GithubBenchmark,
            ),
        ]
    }

    /// Every destination written before the long run: a bad path fails now,
    /// not after minutes of measuring.
    pub fn open(&self, results: &Results) -> anyhow::Result<ExportManager> {
        if let Some(dir) = self.baseline.as_deref().and_then(Path::parent) {
            std::fs::create_dir_all(dir).map_err(|e| {
                anyhow::anyhow!("--save-baseline: cannot create {}: {e}", dir.display())
            })?;
        }
        let mut exports = ExportManager::default();
        for (_, path, format) in self.each() {
            if let Some(path) = path {
                exports.add(path, format, results)?;
            }
        }
        Ok(exports)
    }
}

/// What `bench` is asked to do, validated.
#[derive(Debug, Clone)]
pub struct BenchSpec {
    /// What to draw on (its `warmup` is every run's).
    pub workload: WorkloadSpec,
    pub modes: Vec<Mode>,
    pub codecs: Vec<CodecRequest>,
    pub presets: Vec<String>,
    pub template: EncoderTemplate,
    pub fourcc: String,
    pub fallback: bool,
    pub pix_fmts: Vec<PixFmt>,
    pub sessions: Vec<u32>,
    pub commands: Vec<UserCommand>,
    pub engine: EngineConfig,
    pub runs: u32,
    pub interleave: bool,
    pub quality: bool,
    /// Every case's output kept in this directory (`--keep-outputs`).
    pub keep_outputs: Option<PathBuf>,
    pub exports: Exports,
    pub write_timeout: Duration,
    pub command_timeout: Duration,
    pub gpu: Option<GpuChoice>,
}

impl BenchSpec {
    /// The matrix of cases, built once, each on the GPUs `--gpu` pinned (the
    /// GOP follows the workload's frame rate: `fit`).
    pub fn cases(&self, pinned: &[GpuPin]) -> Vec<CaseSpec> {
        let cases = expand(&MatrixOptions {
            modes: &self.modes,
            codecs: &self.codecs,
            presets: &self.presets,
            template: &self.template.settings(30.0),
            fourcc: &self.fourcc,
            opencv_built: cfg!(feature = "opencv"),
            pix_fmts: &self.pix_fmts,
            sessions: &self.sessions,
            pipe_size: self.engine.pipe.size,
            commands: &self.commands,
        });
        on_gpus(cases, pinned)
    }

    /// The cases fitted to the workload's frame rate (the demo's GOP is two
    /// seconds of frames).
    pub fn fit(&self, cases: &mut [CaseSpec], fps: f64) {
        if let Some(gop) = self.template.settings(fps).gop {
            cases.iter_mut().for_each(|c| c.set_gop(gop));
        }
    }

    /// Refuses a run whose exports or kept outputs would overwrite its input
    /// video or detections.
    pub fn refuse_overwriting_inputs(
        &self,
        cases: &[CaseSpec],
    ) -> Result<(), crate::atomic_file::OutputFileError> {
        let mut outputs: Vec<(&str, PathBuf)> = self
            .exports
            .each()
            .into_iter()
            .filter_map(|(flag, path, _)| Some((flag, path?.clone())))
            .collect();
        if let Some(dir) = &self.keep_outputs {
            let kept = cases.iter().map(|c| dir.join(c.output_file_name()));
            outputs.extend(kept.map(|path| ("--keep-outputs", path)));
        }
        self.workload.refuse_overwriting(&outputs)
    }

    /// How the cases run; `observer` hears their progress.
    pub fn engine_options(&self, observer: Arc<dyn Observer>) -> EngineOptions {
        EngineOptions {
            runs: self.runs,
            warmup: self.workload.warmup,
            keep: self.keep_outputs.clone().map_or(Keep::Nothing, Keep::Dir),
            write_timeout: self.write_timeout,
            observer,
            gpu_sample_period: Duration::from_millis(200),
            quality: self.quality,
            engine: self.engine,
            interleave: self.interleave,
            command_timeout: self.command_timeout,
        }
    }

    /// The settings, for the record (`Results.config`); `fps`: the workload's.
    pub fn config(&self, fps: f64) -> serde_json::Value {
        let rule = &self.workload.rule;
        json!({
            "modes": self.modes.iter().map(|m| m.name()).collect::<Vec<_>>(),
            "codecs": self.codecs,
            "presets": self.presets,
            "profile": self.template.profile,
            "runs": self.runs,
            "interleave": self.interleave,
            "warmup": self.workload.warmup,
            "encoder_template": self.template.settings(fps),
            "fourcc": self.fourcc,
            "fallback": self.fallback,
            "quality": self.quality,
            "engine": self.engine,
            "pix_fmts": self.pix_fmts,
            "sessions": self.sessions,
            "gpu": self.gpu.map(|g| g.to_string()),
            "captions": {
                "confidence_threshold": rule.threshold,
                "exclude_class": rule.excluded,
                "common_categories": rule.vocabulary == crate::workload::actions::Vocabulary::COMMON,
            },
            "start_ms": self.workload.start_ms,
            "duration_ms": self.workload.duration_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::codec::Codec;
    use crate::results::decode::Decoder;
    use crate::results::EngineKind;
    use crate::workload::actions::CaptionRule;

    fn spec(dir: &Path) -> BenchSpec {
        BenchSpec {
            workload: WorkloadSpec {
                video: None,
                decoder: Decoder::Ffmpeg,
                start_ms: 0,
                duration_ms: -1,
                detections: Some(dir.join("dets.json")),
                tracks: None,
                resolution: None,
                fps: None,
                frames: Some(4),
                persons: 2,
                show_time: true,
                rule: CaptionRule::default(),
                warmup: 3,
                nvdec_device: None,
                preload: false,
            },
            modes: vec![Mode::Native, Mode::EncodeOnly],
            codecs: vec![CodecRequest::Codec(Codec::H264)],
            presets: vec!["p1".into()],
            template: EncoderTemplate {
                tune: "ll".into(),
                rc: "vbr".into(),
                bitrate: "8M".into(),
                maxrate: "12M".into(),
                bufsize: "16M".into(),
                bframes: 0,
                gop: None,
                guide_exact: false,
                profile: None,
            },
            fourcc: "mp4v".into(),
            fallback: true,
            pix_fmts: vec![PixFmt::Bgr24],
            sessions: vec![1],
            commands: Vec::new(),
            engine: EngineConfig::test(EngineKind::Sequential),
            runs: 2,
            interleave: true,
            quality: false,
            keep_outputs: None,
            exports: Exports::default(),
            write_timeout: Duration::from_secs(30),
            command_timeout: Duration::from_secs(600),
            gpu: None,
        }
    }

    #[test]
    fn the_cases_follow_the_frame_rate_and_the_record_says_what_ran() {
        let dir = tempfile::tempdir().unwrap();
        let spec = spec(dir.path());
        let mut cases = spec.cases(&[]);
        assert_eq!(cases.len(), 2, "one native, one encode-only");
        spec.fit(&mut cases, 25.0);
        // The demo's GOP: two seconds of frames at the workload's rate.
        assert!(cases.iter().all(|c| c.settings().unwrap().gop == Some(50)));
        let config = spec.config(25.0);
        assert_eq!(
            config["modes"],
            serde_json::json!(["native", "encode-only"])
        );
        assert_eq!(config["codecs"], serde_json::json!(["h264"]));
        assert_eq!(config["encoder_template"]["gop"], 50);
        assert_eq!(config["warmup"], 3);
        assert_eq!(config["interleave"], true);
        let options = spec.engine_options(std::sync::Arc::new(crate::bench::progress::Silent));
        assert_eq!((options.runs, options.warmup), (2, 3));
    }

    #[test]
    fn an_export_onto_an_input_is_refused_and_bad_paths_fail_before_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let dets = dir.path().join("dets.json");
        std::fs::write(&dets, "{}").unwrap();
        let mut spec = spec(dir.path());
        spec.exports.csv = Some(dets.clone());
        let cases = spec.cases(&[]);
        let refused = spec.refuse_overwriting_inputs(&cases).unwrap_err();
        assert!(
            refused.to_string().starts_with("--export-csv "),
            "{refused}"
        );
        spec.exports.csv = Some(dir.path().join("no-such-dir").join("out.csv"));
        let text = include_str!("../../tests/fixtures/results/ci-2core-bench.json");
        let results = Results::from_json(text).unwrap();
        assert!(spec.exports.open(&results).is_err());
        spec.exports.csv = Some(dir.path().join("out.csv"));
        spec.exports.baseline = Some(dir.path().join("baselines").join("main.json"));
        spec.exports.open(&results).unwrap();
        assert!(dir.path().join("out.csv").exists());
        assert!(dir.path().join("baselines").join("main.json").exists());
    }
}
