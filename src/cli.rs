//! Command-line surface. Parsing only: each subcommand's validated options and
//! behaviour live in `commands/`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "nvviz-bench",
    version = crate::LONG_VERSION,
    about = "Benchmark and diagnose the overlay + encode stage of video-analytics demos",
    long_about = "Benchmark and diagnose the last stage of video-analytics demos: drawing detection/action \
overlays on frames and encoding them (Pillow-style, OpenCV, and FFmpeg pipe with NVENC).\n\n\
Start with `nvviz-bench doctor` to see what this machine can really encode."
)]
pub struct Cli {
    /// Show more detail (ffmpeg's stderr lines, full commands)
    #[arg(short, long, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// What this machine can really encode: ffmpeg, NVIDIA GPUs (NVML), OpenCV, and a real
    /// trial encode per hardware encoder, each failure explained with a fix
    #[command(after_help = DOCTOR_AFTER_HELP)]
    Doctor(DoctorArgs),
}

#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// ffmpeg binary to use (default: $NVVIZ_FFMPEG, then `ffmpeg` on PATH; never downloaded)
    #[arg(long, value_name = "PATH")]
    pub ffmpeg: Option<PathBuf>,

    /// Print the report as JSON (schema `nvviz-bench.doctor`, version 1; see README)
    #[arg(long)]
    pub json: bool,

    /// Exit 1 unless this path works (nvenc: an NVENC trial encode succeeded;
    /// ffmpeg: some ffmpeg encoder works; opencv: OpenCV's VideoWriter works)
    #[arg(long, value_enum, value_name = "PATH")]
    pub require: Option<Requirement>,

    /// Skip the trial encodes (faster, but listings alone can be wrong)
    #[arg(long)]
    pub no_trial: bool,

    /// Frames per trial encode
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=600))]
    pub trial_frames: u32,

    /// Seconds before a stuck trial encode is killed
    #[arg(long, default_value_t = 8.0, value_name = "SECONDS")]
    pub trial_timeout: f64,

    /// Seconds before a stuck query (ffmpeg -version, NVML, OpenCV) is abandoned
    #[arg(long, default_value_t = 4.0, value_name = "SECONDS")]
    pub probe_timeout: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Requirement {
    Nvenc,
    Ffmpeg,
    Opencv,
}

const DOCTOR_AFTER_HELP: &str = "\
Exit status:
  0  the guide's pipeline can write video on some path (and --require is met)
  1  no path can write video, or the --require'd path does not work
  2  nvviz-bench itself failed (bad arguments, internal error)

Examples:
  nvviz-bench doctor
  nvviz-bench doctor --ffmpeg ./tools/ffmpeg/ffmpeg --json > doctor.json
  nvviz-bench doctor --require nvenc   # in CI on a GPU runner";
