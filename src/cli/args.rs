//! Command-line surface. Parsing only: the validated options are `options`',
//! each subcommand's behaviour `commands/`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

/// The most frames a run may ask for: over a year of 30 fps video.
pub const MAX_FRAMES: u64 = 1_000_000_000;

#[derive(Debug, Parser)]
#[command(
    name = "nvviz-bench",
    version = crate::LONG_VERSION,
    about = "Benchmark and diagnose the overlay + encode stage of video-analytics demos",
    long_about = "Benchmark and diagnose the last stage of video-analytics demos: drawing detection/action \
overlays on frames and encoding them (Pillow-style, OpenCV, and FFmpeg pipe with NVENC).\n\n\
Start with `nvviz-bench doctor` to see what this machine can really encode.",
    // `--help` serves every page; no `help` subcommand whose man page would not exist.
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// What this machine can really encode: ffmpeg, NVIDIA GPUs (NVML), OpenCV, and a real
    /// trial encode per hardware encoder, each failure explained with a fix
    #[command(after_help = DOCTOR_AFTER_HELP)]
    Doctor(DoctorArgs),
    /// Measure the overlay + encode path in the guide's modes (original, fast, nvenc) plus
    /// native and baselines, across codecs and presets, on the embedded clip or your video
    #[command(after_help = BENCH_AFTER_HELP)]
    Bench(Box<BenchArgs>),
    /// Write the annotated video once: the drop-in visualizer the guide describes
    Render(Box<RenderArgs>),
    /// Turn results files into the guide's tables (markdown + SVG charts), with bottleneck
    /// analysis, diagnosis and a comparison across machines
    #[command(after_help = REPORT_AFTER_HELP)]
    Report(ReportArgs),
    /// Compare two results files: faster / same / slower / regression per case, noise-aware.
    /// Exit 0 when every baseline case ran and none regressed; 1 on a regression, a case that
    /// failed now or one missing now; 2 when the files cannot be compared
    Compare(CompareArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout
    Completions(CompletionsArgs),
    /// Print a manual page (roff) to stdout: `nvviz-bench man > nvviz-bench.1`, and one per
    /// subcommand with every option: `nvviz-bench man bench > nvviz-bench-bench.1`
    Man(ManArgs),
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// The subcommand whose page to print (its options in full); none: the tool's page
    #[arg(value_parser = ["doctor", "bench", "render", "report", "compare", "completions", "man"])]
    pub subcommand: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell, e.g. `nvviz-bench completions bash > /etc/bash_completion.d/nvviz-bench`
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The reference results (e.g. reports/baseline/ci-2core.json)
    pub baseline: PathBuf,
    /// The results to judge
    pub current: PathBuf,
    /// What to judge: absolute fps, or each case's fps over a reference case of the same
    /// rounds (results of `bench --interleave`), which cancels most of a shared runner's noise
    #[arg(long, value_enum, default_value = "fps")]
    pub metric: crate::compare::Metric,
    /// A case regresses only when slower by more than this AND beyond both files' run-to-run spread
    #[arg(long, default_value = "10%")]
    pub threshold: String,
    /// Compare even when CPU, GPU or the encoder actually used differ (warns instead of refusing)
    #[arg(long)]
    pub allow_env_mismatch: bool,
    /// A case that ran in the baseline and is absent now is reported, not failed
    #[arg(long)]
    pub allow_missing: bool,
    /// A case slower than the threshold whose runs spread wider than it cannot be judged;
    /// by default that fails the gate (remeasure with more --runs or --interleave); this lets it pass
    #[arg(long)]
    pub allow_noisy: bool,
    /// Leave cases whose id matches out of the gate (`*` matches any text; repeatable),
    /// e.g. --exclude 'original/*'; they are listed as left out
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,
    /// Markdown for a CI job summary (also appended to $GITHUB_STEP_SUMMARY when set)
    #[arg(long)]
    pub markdown: bool,
    /// JSON output
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Results files from `nvviz-bench bench --export-json` (one per machine or run)
    #[arg(required = true, value_name = "RESULTS.json")]
    pub results: Vec<PathBuf>,
    /// Write DIR/report.md and its SVG charts
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Print the tables alone to stdout in this format
    #[arg(long, value_enum)]
    pub format: Option<crate::report::format::Format>,
    /// An external pipeline stage for the components and bottleneck tables:
    /// "NAME=16.1fps", "NAME=5.1s/100" or "NAME=62ms" (repeatable)
    #[arg(long, value_name = "NAME=VALUE")]
    pub stage: Vec<String>,
}

/// Where frames and detections come from, and their shape.
#[derive(Debug, Clone, clap::Args)]
pub struct WorkloadArgs {
    /// Input video (decoded through ffmpeg); default: the embedded synthetic 1080p clip
    #[arg(long, value_name = "PATH")]
    pub video: Option<PathBuf>,
    /// How --video is decoded: ffmpeg (rawvideo pipe) or opencv (VideoCapture, as the guide's demo)
    #[arg(long, value_enum, default_value = "ffmpeg")]
    pub decoder: crate::results::decode::Decoder,
    /// Decode --video once before the runs and time them on those frames, held in memory:
    /// the same mode with decoding taken out (refused above 8 GiB of frames)
    #[arg(long)]
    pub preload: bool,
    /// Start this many milliseconds into --video (the demo's `start`: the frame nearest to it)
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1_000_000_000_000))]
    pub start: u64,
    /// Milliseconds of --video from --start (the demo's `duration`; -1: to the end)
    #[arg(long, value_name = "MS", default_value_t = -1, allow_negative_numbers = true, value_parser = clap::value_parser!(i64).range(-1..=1_000_000_000_000))]
    pub duration: i64,
    /// Detections: nvviz-bench JSON (schema nvviz-bench.detections v2: boxes per frame, action
    /// scores per keyframe; v1 read too) or MOTChallenge CSV (.csv/.txt, boxes only); default: synthetic tracks
    #[arg(long, value_name = "PATH")]
    pub detections: Option<PathBuf>,
    /// A tracker's boxes (MOTChallenge CSV) for the persons of an AVA CSV given as --detections:
    /// drawn on every frame, captioned from the CSV's keyframes (track id = its person id)
    #[arg(long, value_name = "MOT.txt")]
    pub tracks: Option<PathBuf>,
    /// Frame size WxH (default: the video's, or 1920x1080)
    #[arg(long, value_name = "WxH", value_parser = crate::workload::spec::parse_size)]
    pub resolution: Option<(u32, u32)>,
    /// Frames per second (default: the video's, or 30)
    #[arg(long)]
    pub fps: Option<f64>,
    /// Frames to draw and encode per run (default: the whole --video less --warmup; 100 of the
    /// embedded clip, the guide's per-100-frames table)
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_FRAMES))]
    pub frames: Option<u64>,
    /// Synthetic persons per frame (default: 10)
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(0..=200))]
    pub persons: u32,
    /// A category becomes a caption when its score is at least this (the demo's confidence_threshold)
    #[arg(long, value_name = "SCORE", default_value_t = 0.5)]
    pub confidence_threshold: f32,
    /// A class never captioned (repeatable; replaces the demo's exclusion list; `none` excludes nothing)
    #[arg(long, value_name = "CLASS")]
    pub exclude_class: Vec<String>,
    /// Keyframe scores index the demo's 15 common categories, coloured by its common split (common_cate)
    #[arg(long)]
    pub common_categories: bool,
    /// Do not draw the clock panel (the demo's show_time off)
    #[arg(long)]
    pub no_show_time: bool,
}

/// Encoder flags, named as in the guide's command.
#[derive(Debug, Clone, clap::Args)]
pub struct EncoderArgs {
    /// Quality profile: fast (p1/ll), balanced (p4/hq), quality (p7/hq, multipass); overrides --presets/--tune
    #[arg(long, value_enum)]
    pub profile: Option<crate::bench::case::Profile>,
    /// Tuning (-tune), NVENC names; CPU encoders get their equivalent
    #[arg(long, default_value = "ll")]
    pub tune: String,
    /// Rate control (-rc), NVENC only
    #[arg(long, default_value = "vbr")]
    pub rc: String,
    /// Target bitrate (-b:v)
    #[arg(long, default_value = "8M")]
    pub bitrate: String,
    /// Maximum bitrate (-maxrate)
    #[arg(long, default_value = "12M")]
    pub maxrate: String,
    /// Rate-control buffer (-bufsize)
    #[arg(long, default_value = "16M")]
    pub bufsize: String,
    /// B-frames (-bf)
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=16))]
    pub bframes: u32,
    /// GOP length (-g; default: two seconds of frames, as the demo's int(fps * 2): 60 at 30 fps)
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub gop: Option<u32>,
    /// Send the guide's exact command: no yuv420p/BT.709 output flags (may not play in browsers)
    #[arg(long)]
    pub guide_exact: bool,
    /// OpenCV VideoWriter fourcc
    #[arg(long, default_value = crate::ffmpeg::args::DEFAULT_FOURCC)]
    pub fourcc: String,
    /// Fail instead of falling back (NVENC → CPU encoder → OpenCV VideoWriter)
    #[arg(long)]
    pub no_fallback: bool,
    /// ffmpeg binary (default: $NVVIZ_FFMPEG, then PATH)
    #[arg(long, value_name = "PATH")]
    pub ffmpeg: Option<PathBuf>,
    /// Seconds one frame write may block before ffmpeg counts as hung and is killed
    #[arg(long, default_value = "30", value_name = "SECONDS", value_parser = crate::process::parse_seconds)]
    pub write_timeout: Duration,
    /// Pin NVENC (-gpu), NVDEC and NVML's samples to GPU N (nvidia-smi's numbering; CUDA_VISIBLE_DEVICES honoured); bench's `all`: every GPU in turn, then a stream on each at once
    #[arg(long, value_name = "N|all")]
    pub gpu: Option<crate::probe::gpu::GpuChoice>,
}

/// How frames move through a run: threads, queues, the pipe's pixel format.
#[derive(Debug, clap::Args)]
pub struct EngineArgs {
    /// pipelined: input, overlay workers and writer on their own threads; sequential: the guide's one-frame-at-a-time loop [default: pipelined]
    #[arg(long, value_enum)]
    pub engine: Option<crate::results::EngineKind>,
    /// Frames each queue between stages holds (memory stays bounded by it, whatever --frames is)
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub queue_depth: u32,
    /// Overlay/conversion worker threads (0: half the cores, 1 to 8)
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=64))]
    pub overlay_threads: u32,
    /// Niceness of the pipelined engine's input and overlay threads (0 to 19). 0: beside other load, niced workers starve and the run measures the scheduler (lab/perf/nice-*)
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(i32).range(0..=19))]
    pub worker_nice: i32,
    /// How frames enter ffmpeg's pipe: vmsplice (page references, no copy) or write (the kernel copies; the guide's way)
    #[arg(long, value_enum, default_value_t)]
    pub pipe_write: crate::results::PipeWrite,
    /// Pipe capacity to ask for, in frames (the kernel may give less; results record what it gave)
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub pipe_frames: u32,
    /// How the reading ffmpeg allocates the frames it takes in: fixed (glibc thresholds pinned, packets reuse its heap) or glibc (its default: on 16 cores each 1080p bgr24 frame cost ~1,000 page faults; the guide's way)
    #[arg(long, value_enum, default_value = "fixed")]
    pub ffmpeg_heap: crate::results::FfmpegHeap,
    /// Feed frames as a live source at the video's fps (the demo's realtime): frames that arrive while one is being drawn and written are dropped; results give drops, late frames and arrival-to-write latency (sequential engine)
    #[arg(long)]
    pub realtime: bool,
}

impl EngineArgs {
    pub fn config(&self) -> crate::bench::run::EngineConfig {
        crate::bench::run::EngineConfig {
            // The demo's realtime loop is one frame at a time.
            kind: if self.realtime {
                crate::results::EngineKind::Sequential
            } else {
                self.engine.unwrap_or_default()
            },
            chosen: if self.realtime {
                "--realtime"
            } else if self.engine.is_some() {
                "--engine"
            } else {
                "default"
            },
            queue_depth: self.queue_depth as usize,
            workers: match self.overlay_threads {
                0 => crate::bench::run::EngineConfig::default_workers(),
                n => n as usize,
            },
            worker_nice: self.worker_nice,
            pipe: crate::results::PipeOptions {
                write: self.pipe_write,
                size: crate::results::PipeSize::Frames(self.pipe_frames),
                heap: self.ffmpeg_heap,
            },
            realtime: self.realtime,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub workload: WorkloadArgs,
    #[command(flatten)]
    pub encoder: EncoderArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Pixel formats on the pipe to compare: bgr24 (the guide's), bgr0, bgra, yuv420p, nv12 (4:2:0 converted in Rust)
    #[arg(long, value_enum, value_delimiter = ',', default_value = "bgr24")]
    pub pix_fmts: Vec<crate::pixfmt::PixFmt>,
    /// Encode streams at once, e.g. 1,2,4: aggregate and per-stream fps (NVENC's session limit)
    #[arg(long, value_delimiter = ',', default_value = "1", value_parser = clap::value_parser!(u32).range(1..=32))]
    pub sessions: Vec<u32>,
    /// Modes to run (default: all)
    #[arg(long, value_enum, value_delimiter = ',')]
    pub modes: Vec<crate::results::Mode>,
    /// Your own visualizer or writer as a case, NAME='COMMAND …' (repeatable). Placeholders: {input} {output} {detections} {frames} {width} {height} {fps} {progress_fd}; with no {input} it gets raw bgr24 frames on stdin (docs/commands.md)
    #[arg(long = "command", value_name = "NAME=CMD")]
    pub commands: Vec<crate::bench::command::UserCommand>,
    /// The most one run of a --command may take, in seconds (killed with its children after it)
    #[arg(long, default_value = "600", value_name = "SECONDS", value_parser = crate::process::parse_seconds)]
    pub command_timeout: Duration,
    /// Codecs for the ffmpeg modes: h264, hevc, av1 (NVENC first, CPU encoder on fallback), or an encoder name
    #[arg(long, value_delimiter = ',', default_value = "h264")]
    pub codecs: Vec<crate::results::codec::CodecRequest>,
    /// Presets: lists and ranges, e.g. p1, p1..p7, p1,p4,p7 (CPU encoders get the preset of the same speed rank)
    #[arg(long, default_value = "p1")]
    pub presets: String,
    /// Timed repetitions per case (mean, median, min, max, stddev)
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub runs: u32,
    /// Round-robin the runs: every case's first run, then every case's second, … (ratios between cases survive a machine that drifts)
    #[arg(long)]
    pub interleave: bool,
    /// Frames written before timing starts, per run
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=100_000))]
    pub warmup: u64,
    /// Write the results JSON here (created before the run, updated after every case; `-`: stdout, at the end)
    #[arg(long, value_name = "PATH")]
    pub export_json: Option<PathBuf>,
    /// Also write the cases as one CSV table (a row per case, numeric columns)
    #[arg(long, value_name = "PATH")]
    pub export_csv: Option<PathBuf>,
    /// Also write the cases as a markdown table
    #[arg(long, value_name = "PATH")]
    pub export_markdown: Option<PathBuf>,
    /// Also write Bencher Metric Format JSON (for `bencher run --adapter json`)
    #[arg(long, value_name = "PATH")]
    pub export_bencher: Option<PathBuf>,
    /// Also write github-action-benchmark `customBiggerIsBetter` JSON
    #[arg(long, value_name = "PATH")]
    pub export_github_benchmark: Option<PathBuf>,
    /// Save the results as baseline NAME (in $NVVIZ_BASELINE_DIR, default .nvviz-bench/baselines/)
    #[arg(long, value_name = "NAME")]
    pub save_baseline: Option<String>,
    /// Compare against saved baseline NAME after the run (exit 1 on a regression)
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,
    /// Keep encoded outputs in DIR (default: a temporary directory, removed)
    #[arg(long, value_name = "DIR")]
    pub keep_outputs: Option<PathBuf>,
    /// Write frame N of each overlay style as PNG (into --snapshot-dir) to compare them
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=MAX_FRAMES))]
    pub snapshot: Option<u64>,
    /// Directory for --snapshot PNGs
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub snapshot_dir: PathBuf,
    /// Measure output quality of every ffmpeg-pipe case: PSNR and SSIM, and VMAF where ffmpeg has libvmaf
    #[arg(long)]
    pub quality: bool,
    /// No progress output
    #[arg(short, long)]
    pub quiet: bool,
    /// Print each case's exact command line and ffmpeg's last lines of a failure
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub workload: WorkloadArgs,
    #[command(flatten)]
    pub encoder: EncoderArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Pixel format on the pipe: bgr24 (the guide's), bgr0, bgra, yuv420p (converted in Rust)
    #[arg(long, value_enum, default_value = "bgr24")]
    pub pix_fmt: crate::pixfmt::PixFmt,
    /// Output video
    #[arg(short, long, value_name = "PATH")]
    pub output: PathBuf,
    /// Visualizer
    #[arg(long, value_enum, default_value = "nvenc")]
    pub mode: RenderMode,
    /// Codec for the ffmpeg modes
    #[arg(long, default_value = "h264")]
    pub codec: crate::results::codec::CodecRequest,
    /// Preset
    #[arg(long, default_value = "p1")]
    pub preset: String,
    /// Also write the run's results (the one case, as `bench` records it: encoder that ran, fallback, NVML samples, the output verified) as JSON to PATH ('-' for stdout)
    #[arg(long, value_name = "PATH")]
    pub export_json: Option<PathBuf>,
    /// No progress output
    #[arg(short, long)]
    pub quiet: bool,
    /// Print the writer's exact command line (ffmpeg's, to rerun by hand)
    #[arg(short, long)]
    pub verbose: bool,
}

/// The visualizers `render` writes with (the guide's three, and nvviz-bench's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RenderMode {
    /// The guide's NVENC visualizer: OpenCV drawing, raw frames into ffmpeg (falls back like the guide)
    Nvenc,
    /// The guide's fast visualizer: OpenCV drawing and VideoWriter
    Fast,
    /// The guide's original visualizer: Pillow-style compositing, OpenCV VideoWriter
    Original,
    /// nvviz-bench's native overlay, raw frames into ffmpeg
    Native,
    /// Decoded on NVDEC, the native overlay composited on the GPU, NVENC from CUDA frames (the CPU path where there is no CUDA, said why)
    GpuResident,
    /// No drawing: the frames into ffmpeg as they are (the Python module's writer)
    EncodeOnly,
}

impl RenderMode {
    pub fn mode(self) -> crate::results::Mode {
        use crate::results::Mode;
        match self {
            Self::Nvenc => Mode::Nvenc,
            Self::Fast => Mode::Fast,
            Self::Original => Mode::Original,
            Self::Native => Mode::Native,
            Self::GpuResident => Mode::GpuResident,
            Self::EncodeOnly => Mode::EncodeOnly,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// ffmpeg binary to use (default: $NVVIZ_FFMPEG, then `ffmpeg` on PATH; never downloaded)
    #[arg(long, value_name = "PATH")]
    pub ffmpeg: Option<PathBuf>,

    /// Print the report as JSON (schema `nvviz-bench.doctor`, version 1; see README)
    #[arg(long)]
    pub json: bool,

    /// Show each trial encode's command line and ffmpeg's last lines
    #[arg(short, long)]
    pub verbose: bool,

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
    #[arg(long, default_value = "8", value_name = "SECONDS", value_parser = crate::process::parse_seconds)]
    pub trial_timeout: Duration,

    /// Seconds before a stuck query (ffmpeg -version, NVML, OpenCV) is abandoned
    #[arg(long, default_value = "4", value_name = "SECONDS", value_parser = crate::process::parse_seconds)]
    pub probe_timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Requirement {
    Nvenc,
    Ffmpeg,
    Opencv,
}

const BENCH_AFTER_HELP: &str = "\
Modes (the guide's names):
  original         Pillow-style overlay + OpenCV VideoWriter (~9 fps in the guide)
  fast             OpenCV overlay + OpenCV VideoWriter (~34 fps)
  nvenc            OpenCV overlay + ffmpeg pipe with NVENC (80-150 fps on a T4); falls back
                   NVENC -> CPU encoder via ffmpeg -> OpenCV VideoWriter, always reported
  native           nvviz-bench's native overlay + ffmpeg pipe
  overlay-only     each overlay style, frames discarded (the overlay's cost)
  encode-only      frames straight into the pipe (the pipe + encoder cost)
  encoder-ceiling  ffmpeg reading the same frames from a file, same encoder (its limit)
  encode-to-null   encode-only with the output discarded (disk I/O check; only when named)

Profiles: fast = p1/ll, balanced = p4/hq, quality = p7/hq + -multipass fullres
(CPU encoders: ultrafast/zerolatency, faster, slow).

Examples:
  nvviz-bench bench --export-json results.json
  nvviz-bench bench --modes nvenc,encode-only --codecs h264,hevc --presets p1..p7
  nvviz-bench bench --video in.mp4 --detections dets.json --frames 300";

const REPORT_AFTER_HELP: &str = "\
Examples:
  nvviz-bench report results.json -o report/
  nvviz-bench report t4.json laptop.json ci.json -o report/        # one column per machine
  nvviz-bench report results.json --stage \"Person detection=16.1fps\" --stage \"Action prediction=5.1s/100\" -o report/
  nvviz-bench report results.json --format csv > tables.csv";

const DOCTOR_AFTER_HELP: &str = "\
Exit status:
  0  the guide's pipeline can write video on some path (and --require is met)
  1  no path can write video, or the --require'd path does not work
  2  nvviz-bench itself failed (bad arguments, internal error)

Examples:
  nvviz-bench doctor
  nvviz-bench doctor --ffmpeg ./tools/ffmpeg/ffmpeg --json > doctor.json
  nvviz-bench doctor --require nvenc   # in CI on a GPU runner";
