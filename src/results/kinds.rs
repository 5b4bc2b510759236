//! The vocabulary every room shares: what a case is (mode, overlay style, sink),
//! how it ran (engine, split) and what a memory figure covers. Defined once here,
//! at the bottom floor, so that tables, charts, exports and gates read types,
//! never names taken apart from text.

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// The guide's original visualizer: Pillow-style overlay + OpenCV VideoWriter
    Original,
    /// The guide's fast visualizer: OpenCV overlay + OpenCV VideoWriter
    Fast,
    /// The guide's NVENC visualizer: OpenCV overlay + ffmpeg pipe (falls back like the guide)
    Nvenc,
    /// nvviz-bench's native overlay + ffmpeg pipe
    Native,
    /// Baseline: each overlay style with frames discarded
    OverlayOnly,
    /// Baseline: frames straight into the ffmpeg pipe, no overlay
    EncodeOnly,
    /// Baseline: like encode-only, but ffmpeg discards the output (null muxer): the disk's share
    EncodeToNull,
    /// Baseline: ffmpeg reading the same frames from a file itself, same encoder and format, no pipe
    EncoderCeiling,
    /// Baseline: one prepared frame through the pipe over and over, ffmpeg discarding it unencoded (-c:v copy -f null): the pipe's ceiling, per --pix-fmts
    PipeCeiling,
    /// GPU-resident: --video (or the embedded clip, written once) decoded on NVDEC, the native overlay as a layer composited on the GPU (overlay_cuda), NVENC from CUDA frames; a CPU encoder gets them after one download (said so)
    GpuResident,
    /// Baseline: gpu-resident with the encoder taken out (-f null after the composite)
    CompositeCeiling,
    /// Baseline: the video decoded on NVDEC alone, frames left on the GPU (-f null)
    NvdecCeiling,
    /// A user's own visualizer or writer, run as a command (`bench --command`)
    #[value(skip)]
    Command,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Self::Original => "original",
            Self::Fast => "fast",
            Self::Nvenc => "nvenc",
            Self::Native => "native",
            Self::OverlayOnly => "overlay-only",
            Self::EncodeOnly => "encode-only",
            Self::EncoderCeiling => "encoder-ceiling",
            Self::EncodeToNull => "encode-to-null",
            Self::PipeCeiling => "pipe-ceiling",
            Self::GpuResident => "gpu-resident",
            Self::CompositeCeiling => "composite-ceiling",
            Self::NvdecCeiling => "nvdec-ceiling",
            Self::Command => "command",
        }
    }

    /// What a plain `bench` runs (encode-to-null is asked for by name: it is the
    /// disk I/O check; the GPU-resident modes too: they need NVDEC and CUDA).
    pub const ALL: [Mode; 8] = [
        Mode::Original,
        Mode::Fast,
        Mode::Nvenc,
        Mode::Native,
        Mode::OverlayOnly,
        Mode::EncodeOnly,
        Mode::EncoderCeiling,
        Mode::PipeCeiling,
    ];

    /// Every mode, in the report's order (the declaration order).
    pub const REPORT_ORDER: [Mode; 13] = [
        Mode::Original,
        Mode::Fast,
        Mode::Nvenc,
        Mode::Native,
        Mode::OverlayOnly,
        Mode::EncodeOnly,
        Mode::EncodeToNull,
        Mode::EncoderCeiling,
        Mode::PipeCeiling,
        Mode::GpuResident,
        Mode::CompositeCeiling,
        Mode::NvdecCeiling,
        Mode::Command,
    ];

    /// The guide's visualizers (each draws and writes a video).
    pub fn is_visualizer(self) -> bool {
        matches!(
            self,
            Self::Original | Self::Fast | Self::Nvenc | Self::Native | Self::GpuResident
        )
    }

    /// The modes whose frames never leave the GPU (NVDEC, CUDA filters).
    pub fn is_gpu_resident(self) -> bool {
        matches!(
            self,
            Self::GpuResident | Self::CompositeCeiling | Self::NvdecCeiling
        )
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum StyleKind {
    /// Pillow-equivalent RGBA compositing (the guide's "original")
    Pillow,
    /// OpenCV drawing (the guide's "fast")
    Opencv,
    /// nvviz-bench's own, region-only blending with cached glyphs
    Native,
}

impl StyleKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Pillow => "pillow",
            Self::Opencv => "opencv",
            Self::Native => "native",
        }
    }

    /// Whether this build can draw it (OpenCV's drawing needs the `opencv` feature).
    pub fn available(self) -> bool {
        self != Self::Opencv || cfg!(feature = "opencv")
    }
}

impl std::fmt::Display for StyleKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a case's frames go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sink {
    /// Frames discarded in-process (overlay-only).
    Null,
    /// OpenCV's VideoWriter.
    OpencvWriter,
    /// Raw frames through ffmpeg's stdin (the guide's NVENC path).
    FfmpegPipe,
    /// ffmpeg reading the frames from a file itself (the encoder's ceiling).
    FfmpegLavfi,
    /// Raw frames through ffmpeg's stdin, passed on unencoded and discarded (the pipe's ceiling).
    FfmpegCopy,
    /// A user's command, writing its own output (`bench --command`).
    Command,
    /// ffmpeg decoding the video on NVDEC and compositing the overlay layer
    /// (yuva420p on its stdin) on the GPU (the GPU-resident modes).
    FfmpegGpu,
}

impl Sink {
    /// Sinks whose encoder is an ffmpeg encoder (named by `requested`/`used`).
    pub fn is_ffmpeg(self) -> bool {
        matches!(self, Self::FfmpegPipe | Self::FfmpegLavfi | Self::FfmpegGpu)
    }
}

/// How frames move through a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// Stages on their own threads, overlapping (the default)
    #[default]
    Pipelined,
    /// One frame at a time through every stage: the guide's loop, for comparison
    Sequential,
}

/// How the writer hands a frame to the pipe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum PipeWrite {
    /// write(2): the kernel copies each frame into the pipe (what the guide's Python writer does)
    Write,
    /// vmsplice(2): the pipe takes the frame's pages, no copy; a buffer is reused only once the reader has provably consumed it [default]
    #[default]
    Vmsplice,
}

impl PipeWrite {
    pub fn name(self) -> &'static str {
        match self {
            Self::Write => "write",
            Self::Vmsplice => "vmsplice",
        }
    }
}

/// The pipe capacity asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PipeSize {
    /// Left as the kernel makes it (64 KiB on Linux): what the guide's Python writer gets.
    KernelDefault,
    /// Room for this many frames (up to what the kernel allows).
    Frames(u32),
}

impl PipeSize {
    /// Short form for case ids: "default", "4f".
    pub fn name(self) -> String {
        match self {
            Self::KernelDefault => "default".into(),
            Self::Frames(n) => format!("{n}f"),
        }
    }
}

/// How ffmpeg's allocator treats the frame-sized packets it takes in from the pipe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FfmpegHeap {
    /// glibc as it comes: its mmap threshold moves at run time, and on the 16-core machine every 1080p bgr24 packet (6.2 MB) was a fresh mmap, ~1,000 page faults a frame (lab/perf/intake) (what the guide's ffmpeg gets)
    #[default]
    Glibc,
    /// GLIBC_TUNABLES fixes glibc's mmap and trim thresholds in the ffmpeg child, so packets up to 32 MiB reuse its heap (no effect on an ffmpeg not built on glibc) [default]
    Fixed,
}

/// What the encoder ceiling's ffmpeg read: the very frames the pipe cases send
/// (the embedded clip's, written once to a file and looped), or ffmpeg's own
/// testsrc2 standing in for a user's video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CeilingInput {
    SameFrames,
    Testsrc2,
}

/// How frames cross the pipe: the write method, the capacity asked for, and
/// how the reading ffmpeg allocates what it takes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PipeOptions {
    pub write: PipeWrite,
    pub size: PipeSize,
    /// Absent in results written before it existed: those ran on glibc's default.
    #[serde(default)]
    pub heap: FfmpegHeap,
}

impl Default for PipeOptions {
    fn default() -> Self {
        Self {
            write: PipeWrite::default(),
            size: PipeSize::Frames(4),
            heap: FfmpegHeap::Fixed,
        }
    }
}

impl PipeOptions {
    /// The guide's transport: write(2) into the pipe as the kernel makes it.
    pub const GUIDE: PipeOptions = PipeOptions {
        write: PipeWrite::Write,
        size: PipeSize::KernelDefault,
        heap: FfmpegHeap::Glibc,
    };

    /// The guide's transport and each change alone, then together: write(2)
    /// into the kernel's default pipe, into a pipe of `size`; vmsplice into
    /// the default pipe, into one of `size`; the last with ffmpeg's heap
    /// fixed. The pipe ceiling measures each.
    pub fn steps(size: PipeSize) -> [PipeOptions; 5] {
        let with = |write, size| Self {
            write,
            size,
            heap: FfmpegHeap::Glibc,
        };
        [
            Self::GUIDE,
            with(PipeWrite::Write, size),
            with(PipeWrite::Vmsplice, PipeSize::KernelDefault),
            with(PipeWrite::Vmsplice, size),
            Self {
                heap: FfmpegHeap::Fixed,
                ..with(PipeWrite::Vmsplice, size)
            },
        ]
    }

    /// Short form for case ids: "write-default", "vmsplice-4f",
    /// "vmsplice-4f-fixedheap".
    pub fn name(self) -> String {
        let heap = match self.heap {
            FfmpegHeap::Glibc => "",
            FfmpegHeap::Fixed => "-fixedheap",
        };
        format!("{}-{}{heap}", self.write.name(), self.size.name())
    }
}

/// How one run's frames crossed the pipe: what was asked and what the kernel gave.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PipeFacts {
    /// The write method used (vmsplice falls back to copy for frames under a page).
    pub write: PipeWrite,
    /// The pipe's capacity in bytes, as the kernel set it (F_GETPIPE_SZ).
    pub bytes: u64,
    /// The capacity asked for (--pipe-frames × the frame's bytes; none: the kernel's default).
    pub wanted_bytes: Option<u64>,
    /// Frames whose buffers the reader may still see after they were written (vmsplice): the engine keeps them out of reuse.
    pub frames_held: u32,
}

impl EngineKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Pipelined => "pipelined",
            Self::Sequential => "sequential",
        }
    }
}

/// How the pipelined engine's overlay stage used its workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Each frame cut into bands of rows, drawn and converted at once by all
    /// workers: frames stay in order and each is done sooner.
    Rows,
    /// A whole frame per worker: for styles that cannot draw a band alone
    /// (Pillow's layers, OpenCV's anti-aliased text), and for one worker.
    Frames,
}

impl Split {
    pub fn name(self) -> &'static str {
        match self {
            Self::Rows => "rows",
            Self::Frames => "frames",
        }
    }
}

/// What a peak resident-memory figure covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RssScope {
    /// This run's own peak: the kernel's high-water mark reset before the run
    /// (`/proc/self/clear_refs` with 5), read after it.
    Run,
    /// The process's high-water mark so far (every earlier run included):
    /// results of schema version 1, or where the reset was refused.
    Process,
    /// A user's command: the largest process of its tree (`bench --command`).
    CommandTree,
}

/// A part of the guide's mode this build lacks, and what ran in its place. The
/// portable build (`--no-default-features`) has no OpenCV: its `original` and
/// `fast` modes write through ffmpeg with the libavcodec encoder OpenCV's
/// VideoWriter uses for the same fourcc, and draw OpenCV's style with the native
/// one. Every output names the stand-in (see `label`), so its figures are never
/// filed under the guide's OpenCV names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandIn {
    /// What this build lacks.
    pub missing: Missing,
    /// The overlay style the mode draws with, when another drew instead
    /// (the case's `overlay` is the one that drew).
    pub overlay_for: Option<StyleKind>,
    /// The fourcc of the OpenCV VideoWriter the mode writes with, when ffmpeg
    /// wrote instead (the case's `encoder` is the one that ran).
    pub writer_for: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Missing {
    /// Built without the `opencv` feature.
    Opencv,
}

impl Missing {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Opencv => "OpenCV not built",
        }
    }
}
