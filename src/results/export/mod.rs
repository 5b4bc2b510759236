//! Results in every format users file them in, one small trait and a file per
//! format (as hyperfine's exporters). Every destination is written once before
//! the long run (a bad path fails at once, not after minutes of measuring) and
//! rewritten atomically after every case (a reader never sees half a file, a
//! crash never loses finished cases).
//!
//! Names in every format come from `label::series`, built from the encoder that
//! ran: a CPU fallback is filed as `…/libx264 (fallback)/p1`, never under NVENC.

mod bencher;
mod csv;

pub use csv::tidy as tidy_csv;
mod github_benchmark;
mod json;
mod markdown;

use std::path::{Path, PathBuf};

use super::Results;

pub trait Exporter {
    /// The whole document for these results.
    fn serialize(&self, results: &Results) -> Result<Vec<u8>, ExportError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// The results document itself (`report` and `compare` read it).
    Json,
    /// One row per case, numeric columns.
    Csv,
    /// A table of cases, for a pull request or job summary.
    Markdown,
    /// Bencher Metric Format (`bencher run --adapter json`).
    Bencher,
    /// github-action-benchmark's `customBiggerIsBetter`.
    GithubBenchmark,
}

impl ExportFormat {
    pub fn exporter(self) -> Box<dyn Exporter> {
        match self {
            Self::Json => Box::new(json::Json),
            Self::Csv => Box::new(csv::Csv),
            Self::Markdown => Box::new(markdown::Markdown),
            Self::Bencher => Box::new(bencher::Bencher),
            Self::GithubBenchmark => Box::new(github_benchmark::GithubBenchmark),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
    #[error("cannot serialize the results: {0}")]
    Serialize(#[from] serde_json::Error),
    #[error("only one export can go to standard output (-): give the others file paths")]
    TwoOnStdout,
}

/// The path that means standard output, as hyperfine, cargo and ffmpeg take it.
pub const STDOUT: &str = "-";

/// The export destinations of one run.
#[derive(Default)]
pub struct ExportManager {
    targets: Vec<(PathBuf, ExportFormat)>,
    /// At most one export goes to stdout, once, when the run ends.
    stdout: Option<ExportFormat>,
}

impl ExportManager {
    /// Adds a destination and writes `results` (the empty document) there now;
    /// `-` is standard output, written once at the end (`finish`).
    pub fn add(
        &mut self,
        path: &Path,
        format: ExportFormat,
        results: &Results,
    ) -> Result<(), ExportError> {
        if path == Path::new(STDOUT) {
            if self.stdout.is_some() {
                return Err(ExportError::TwoOnStdout);
            }
            self.stdout = Some(format);
            return Ok(());
        }
        write(path, format, results)?;
        self.targets.push((path.to_path_buf(), format));
        Ok(())
    }

    /// True when an export goes to stdout (then nothing else may print there).
    pub fn uses_stdout(&self) -> bool {
        self.stdout.is_some()
    }

    /// Rewrites every file destination with the results so far.
    pub fn write_all(&self, results: &Results) -> Result<(), ExportError> {
        for (path, format) in &self.targets {
            write(path, *format, results)?;
        }
        Ok(())
    }

    /// The run is over (finished or interrupted): every file once more; the
    /// stdout export's bytes, whole, for the caller to print (the library
    /// never prints).
    pub fn finish(&self, results: &Results) -> Result<Option<Vec<u8>>, ExportError> {
        self.write_all(results)?;
        self.stdout
            .map(|format| format.exporter().serialize(results))
            .transpose()
    }

    /// The first JSON destination, if any (where "results so far" are).
    pub fn json_path(&self) -> Option<&Path> {
        self.targets
            .iter()
            .find(|(_, f)| *f == ExportFormat::Json)
            .map(|(p, _)| p.as_path())
    }
}

fn write(path: &Path, format: ExportFormat, results: &Results) -> Result<(), ExportError> {
    let bytes = format.exporter().serialize(results)?;
    crate::atomic_file::write_atomically(path, &bytes).map_err(|e| ExportError::Write {
        path: path.to_path_buf(),
        message: format!("{e:#}"),
    })
}

/// The cases a history service gets: those that ran, with their fps.
fn measured(
    results: &Results,
) -> impl Iterator<Item = (&super::CaseResult, super::stats::Summary)> {
    results
        .cases
        .iter()
        .filter(|c| c.is_ok())
        .filter_map(|c| Some((c, c.fps?)))
}
