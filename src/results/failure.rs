//! Why an encode failed, as the results keep it: one typed cause with what the
//! user needs to act and its one-line fix. `ffmpeg::failure` reads these causes
//! from ffmpeg's own words; doctor's trials and bench's sinks share them, so a
//! failure has the same name and the same fix wherever the user meets it.

use serde::{Deserialize, Serialize};

/// A classified encode failure. Each variant carries what the user needs to act.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum EncodeFailure {
    #[error("ffmpeg not found (looked at: {searched})")]
    FfmpegNotFound { searched: String },
    #[error("ffmpeg at {path} is not executable")]
    FfmpegNotExecutable { path: String },
    #[error("the binary does not behave like ffmpeg: {detail}")]
    FfmpegUnusable { detail: String },
    #[error("encoder '{encoder}' is not compiled into this ffmpeg")]
    EncoderNotCompiled { encoder: String },
    /// ffmpeg lists the encoder, but no trial encode was run (`doctor
    /// --no-trial`): not known to fail, not known to work.
    #[error("encoder '{encoder}' is listed by ffmpeg but was not tried")]
    NotTried { encoder: String },
    #[error("Cannot load {library}: the NVIDIA driver library is not reachable")]
    DriverLibraryMissing { library: String },
    #[error("in a {runtime} container the NVIDIA runtime did not mount {library}: NVIDIA_DRIVER_CAPABILITIES ({}) lacks `{capability}`", .granted.as_deref().unwrap_or("unset: compute,utility"))]
    ContainerCapabilityMissing {
        runtime: String,
        capability: String,
        library: String,
        granted: Option<String>,
    },
    #[error("driver too old for this ffmpeg's NVENC API (ffmpeg needs API {required_api}, driver offers {found_api})")]
    DriverTooOld {
        required_api: String,
        found_api: String,
        min_driver: Option<String>,
    },
    #[error("the GPU has no usable NVENC engine ({detail})")]
    NoNvencEngine { detail: String },
    #[error("this ffmpeg has no '{hwaccel}' hwaccel (it cannot decode on NVDEC)")]
    HwaccelNotCompiled { hwaccel: String },
    #[error("no CUDA device could be opened ({detail})")]
    CudaUnavailable { detail: String },
    #[error("NVDEC did not decode it: {detail}")]
    NvdecUnsupported { detail: String },
    #[error("filter '{filter}' is not compiled into this ffmpeg")]
    FilterNotCompiled { filter: String },
    #[error("NVENC session limit reached ({detail})")]
    SessionLimit { detail: String },
    #[error("invalid encoder parameter: {detail}")]
    InvalidParameter { detail: String },
    #[error("output not writable: {detail}")]
    OutputNotWritable { detail: String },
    #[error("broken pipe: ffmpeg stopped reading after {frames_written} frames{}", said(.last_lines))]
    BrokenPipe {
        frames_written: u64,
        last_lines: Vec<String>,
    },
    #[error("{writer} failed: {detail}")]
    WriterFailed { writer: String, detail: String },
    #[error("ffmpeg did not finish within {seconds:.1} s and was killed")]
    Timeout { seconds: f64 },
    /// Ctrl-C or SIGTERM stopped ffmpeg: not a property of the encoder, so never
    /// a reason to fall back; the run as a whole stops (exit 130).
    #[error("stopped by Ctrl-C or SIGTERM")]
    Interrupted,
    #[error("ffmpeg failed ({exit}){}", said(.last_lines))]
    Unknown {
        exit: String,
        last_lines: Vec<String>,
    },
}

impl EncodeFailure {
    /// Short stable name for tables and JSON consumers.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::FfmpegNotFound { .. } => "ffmpeg_not_found",
            Self::FfmpegNotExecutable { .. } => "ffmpeg_not_executable",
            Self::FfmpegUnusable { .. } => "ffmpeg_unusable",
            Self::EncoderNotCompiled { .. } => "encoder_not_compiled",
            Self::NotTried { .. } => "not_tried",
            Self::DriverLibraryMissing { .. } => "driver_library_missing",
            Self::ContainerCapabilityMissing { .. } => "container_capability_missing",
            Self::DriverTooOld { .. } => "driver_too_old",
            Self::NoNvencEngine { .. } => "no_nvenc_engine",
            Self::HwaccelNotCompiled { .. } => "hwaccel_not_compiled",
            Self::CudaUnavailable { .. } => "cuda_unavailable",
            Self::NvdecUnsupported { .. } => "nvdec_unsupported",
            Self::FilterNotCompiled { .. } => "filter_not_compiled",
            Self::SessionLimit { .. } => "session_limit",
            Self::InvalidParameter { .. } => "invalid_parameter",
            Self::OutputNotWritable { .. } => "output_not_writable",
            Self::BrokenPipe { .. } => "broken_pipe",
            Self::WriterFailed { .. } => "writer_failed",
            Self::Timeout { .. } => "timeout",
            Self::Interrupted => "interrupted",
            Self::Unknown { .. } => "unknown",
        }
    }

    /// One line telling the user what to do about it.
    pub fn fix(&self) -> String {
        match self {
            Self::FfmpegNotFound { .. } => "install ffmpeg (scripts/install-deps.sh or `apt-get install ffmpeg`), or point --ffmpeg / NVVIZ_FFMPEG at a binary".into(),
            Self::FfmpegNotExecutable { path } => format!("make it executable (`chmod +x {path}`) or point --ffmpeg at a working ffmpeg"),
            Self::FfmpegUnusable { .. } => "point --ffmpeg / NVVIZ_FFMPEG at a real ffmpeg binary (`ffmpeg -version` must work)".into(),
            Self::EncoderNotCompiled { encoder } if super::codec::is_nvenc(encoder) => format!(
                "use an ffmpeg built with {encoder}: Debian/Ubuntu's ffmpeg has h264/hevc_nvenc; `scripts/install-deps.sh --static-ffmpeg` adds av1_nvenc (needs driver >= 610)"
            ),
            Self::EncoderNotCompiled { encoder } => format!("use an ffmpeg built with {encoder} (Debian/Ubuntu's `apt-get install ffmpeg` has libx264, libx265, libsvtav1)"),
            Self::NotTried { .. } => "run `nvviz-bench doctor` without --no-trial: a short trial encode says whether it works".into(),
            Self::DriverLibraryMissing { library } if library.contains("nvcuvid") => "install the driver's decode library (libnvcuvid); in Docker add `video` to NVIDIA_DRIVER_CAPABILITIES".into(),
            Self::DriverLibraryMissing { library } if library.contains("encode") => "install the driver's encode library (libnvidia-encode); in Docker add `video` to NVIDIA_DRIVER_CAPABILITIES".into(),
            Self::DriverLibraryMissing { .. } => "install the NVIDIA driver so that `nvidia-smi` works; in a container run with `--gpus all` (conda's cudatoolkit does not provide libcuda)".into(),
            Self::ContainerCapabilityMissing { .. } => "start the container with `-e NVIDIA_DRIVER_CAPABILITIES=compute,video,utility` (docker run --gpus all …; in Kubernetes or Slurm set the same variable in the pod's or job's environment)".into(),
            Self::DriverTooOld { min_driver: Some(min), .. } => format!("upgrade the NVIDIA driver to {min} or newer, or use an ffmpeg built for an older NVENC API (Debian/Ubuntu's apt ffmpeg)"),
            Self::DriverTooOld { .. } => "upgrade the NVIDIA driver, or use an ffmpeg built for an older NVENC API (Debian/Ubuntu's apt ffmpeg)".into(),
            Self::NoNvencEngine { .. } => "encode on a GPU that has NVENC (T4, L4, A10, RTX ...) or use the CPU fallback (libx264 through ffmpeg)".into(),
            Self::HwaccelNotCompiled { .. } => "use an ffmpeg built with CUDA: Debian/Ubuntu's has it; `scripts/install-deps.sh --static-ffmpeg` brings one with the CUDA filters too".into(),
            Self::CudaUnavailable { .. } => "check the GPU with `nvidia-smi`; in a container run with `--gpus all` (and `compute,video` in NVIDIA_DRIVER_CAPABILITIES)".into(),
            Self::NvdecUnsupported { .. } => "NVDEC decodes H.264, HEVC, VP9 and AV1 (8/10-bit 4:2:0 on most GPUs; not 4:4:4 H.264, and no MPEG-4 part 2 variants such as DivX 3): decode on the CPU (--decoder ffmpeg), or transcode the input once".into(),
            Self::FilterNotCompiled { .. } => "use an ffmpeg built with the CUDA filters: `scripts/install-deps.sh --static-ffmpeg` brings one (hwupload_cuda, scale_cuda, overlay_cuda)".into(),
            Self::SessionLimit { .. } => "end other encode sessions (`nvidia-smi -q -d ENCODER_STATS` lists them) or run fewer at once; GeForce drivers cap concurrent NVENC sessions".into(),
            Self::InvalidParameter { detail } if detail.contains("Frame Dimension") => "NVENC takes frames from about 145x145 (H.264; HEVC 129x129, AV1 128x128) up to 4096x4096 (H.264; HEVC/AV1 8192x8192): scale with --resolution, or use a CPU encoder (--codecs libx264)".into(),
            Self::InvalidParameter { .. } => "check resolution (even width and height for yuv420p), the preset names this encoder accepts, and bitrate flags".into(),
            Self::OutputNotWritable { .. } => "create the output directory, or choose a writable path on a disk with free space".into(),
            Self::BrokenPipe { .. } => "ffmpeg exited while frames were being written: read its last lines, and check that resolution/fps match the frames".into(),
            Self::WriterFailed { .. } => "check the output path and the writer's codec (doctor tests OpenCV's VideoWriter)".into(),
            Self::Timeout { .. } => "ffmpeg hung: check the GPU with `nvidia-smi`, then rerun with -v to see ffmpeg's output".into(),
            Self::Interrupted => "nothing to fix: the run was stopped on request".into(),
            Self::Unknown { .. } => "ffmpeg's last line is quoted above; `bench -v` prints the exact command (also in the results JSON as `command`): run it by hand to see all of ffmpeg's output".into(),
        }
    }

    /// True when the cause lies in the NVIDIA stack (so a CPU encoder is the right fallback).
    pub fn is_nvenc_environment(&self) -> bool {
        matches!(
            self,
            Self::DriverLibraryMissing { .. }
                | Self::ContainerCapabilityMissing { .. }
                | Self::DriverTooOld { .. }
                | Self::NoNvencEngine { .. }
                | Self::SessionLimit { .. }
                | Self::CudaUnavailable { .. }
        ) || matches!(self, Self::EncoderNotCompiled { encoder } if super::codec::is_nvenc(encoder))
    }
}

/// ": ffmpeg said: LAST LINE" — ffmpeg's own last words, where it left any.
fn said(lines: &[String]) -> String {
    lines
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| !l.is_empty())
        .map_or_else(String::new, |l| format!("; ffmpeg said: {l}"))
}
