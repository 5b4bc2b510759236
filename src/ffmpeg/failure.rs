//! Why an encode failed, read from ffmpeg's own words.
//!
//! Doctor's trial encodes and bench's sinks share this type, so a failure has the
//! same name and the same fix wherever the user meets it.

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
            Self::DriverLibraryMissing { .. } => "driver_library_missing",
            Self::ContainerCapabilityMissing { .. } => "container_capability_missing",
            Self::DriverTooOld { .. } => "driver_too_old",
            Self::NoNvencEngine { .. } => "no_nvenc_engine",
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
            Self::EncoderNotCompiled { encoder } if encoder.ends_with("_nvenc") => format!(
                "use an ffmpeg built with {encoder}: Debian/Ubuntu's ffmpeg has h264/hevc_nvenc; `scripts/install-deps.sh --static-ffmpeg` adds av1_nvenc (needs driver >= 610)"
            ),
            Self::EncoderNotCompiled { encoder } => format!("use an ffmpeg built with {encoder} (Debian/Ubuntu's `apt-get install ffmpeg` has libx264, libx265, libsvtav1)"),
            Self::DriverLibraryMissing { library } if library.contains("encode") => "install the driver's encode library (libnvidia-encode); in Docker add `video` to NVIDIA_DRIVER_CAPABILITIES".into(),
            Self::DriverLibraryMissing { .. } => "install the NVIDIA driver so that `nvidia-smi` works; in a container run with `--gpus all` (conda's cudatoolkit does not provide libcuda)".into(),
            Self::ContainerCapabilityMissing { .. } => "start the container with `-e NVIDIA_DRIVER_CAPABILITIES=compute,video,utility` (docker run --gpus all …; in Kubernetes or Slurm set the same variable in the pod's or job's environment)".into(),
            Self::DriverTooOld { min_driver: Some(min), .. } => format!("upgrade the NVIDIA driver to {min} or newer, or use an ffmpeg built for an older NVENC API (Debian/Ubuntu's apt ffmpeg)"),
            Self::DriverTooOld { .. } => "upgrade the NVIDIA driver, or use an ffmpeg built for an older NVENC API (Debian/Ubuntu's apt ffmpeg)".into(),
            Self::NoNvencEngine { .. } => "encode on a GPU that has NVENC (T4, L4, A10, RTX ...) or use the CPU fallback (libx264 through ffmpeg)".into(),
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
        ) || matches!(self, Self::EncoderNotCompiled { encoder } if encoder.ends_with("_nvenc"))
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

/// How ffmpeg ended, for the `Unknown` case and for tests.
#[derive(Debug, Clone, PartialEq)]
pub enum ExitInfo {
    Code(i32),
    Signal(i32),
}

impl std::fmt::Display for ExitInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Code(c) => write!(f, "exit code {c}"),
            Self::Signal(s) => write!(f, "killed by signal {s}"),
        }
    }
}

/// How many of ffmpeg's last stderr lines an unexplained failure carries.
pub const LAST_LINES: usize = 8;

/// Classifies a failed run from its stderr. `frames_written_before_pipe_broke` is
/// set when our writer saw EPIPE: a broken pipe is only the cause when stderr
/// names nothing more specific (it is usually the symptom of another failure).
pub fn classify(
    stderr: &[String],
    exit: &ExitInfo,
    frames_written_before_pipe_broke: Option<u64>,
) -> EncodeFailure {
    if let Some(found) = stderr.iter().find_map(|line| classify_line(line, stderr)) {
        return found;
    }
    let last_lines = last_lines(stderr);
    match frames_written_before_pipe_broke {
        Some(frames_written) => EncodeFailure::BrokenPipe {
            frames_written,
            last_lines,
        },
        None => EncodeFailure::Unknown {
            exit: exit.to_string(),
            last_lines,
        },
    }
}

/// ffmpeg's last non-empty stderr lines, oldest first.
pub fn last_lines(stderr: &[String]) -> Vec<String> {
    let kept: Vec<String> = stderr
        .iter()
        .rev()
        .filter(|l| !l.trim().is_empty())
        .take(LAST_LINES)
        .cloned()
        .collect();
    kept.into_iter().rev().collect()
}

fn classify_line(line: &str, all: &[String]) -> Option<EncodeFailure> {
    let detail = || strip_context(line).to_string();
    if let Some(encoder) = between(line, "Unknown encoder '", "'") {
        return Some(EncodeFailure::EncoderNotCompiled { encoder });
    }
    if let Some(library) = between(line, "Cannot load ", " ") {
        return Some(EncodeFailure::DriverLibraryMissing { library });
    }
    if line.contains("Driver does not support the required nvenc API version") {
        let required_api = between(line, "Required: ", " ").unwrap_or_default();
        let found_api = after(line, "Found: ")
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        let min_driver = all.iter().find_map(|l| {
            between(l, "minimum required Nvidia driver for nvenc is ", " ")
                .map(|v| v.trim_end_matches(".00").to_string())
        });
        return Some(EncodeFailure::DriverTooOld {
            required_api,
            found_api,
            min_driver,
        });
    }
    if line.contains("out of memory (10)") || line.contains("incompatible client key (21)") {
        return Some(EncodeFailure::SessionLimit { detail: detail() });
    }
    if line.contains("unsupported device (2)") || line.contains("No capable devices found") {
        return Some(EncodeFailure::NoNvencEngine { detail: detail() });
    }
    const INVALID: &[&str] = &[
        "not divisible by",
        "invalid preset",
        "Error setting preset",
        "Error setting option",
        "Error parsing option",
        "invalid param (8)",
        "Frame Dimension less than the minimum",
        "Frame Dimension greater than the maximum",
        "Invalid frame size",
        "Unable to parse option value",
        "is not a valid pixel format",
        "Invalid pixel format",
    ];
    if INVALID.iter().any(|needle| line.contains(needle)) {
        return Some(EncodeFailure::InvalidParameter { detail: detail() });
    }
    const UNWRITABLE: &[&str] = &[
        "No such file or directory",
        "Permission denied",
        "Read-only file system",
        "No space left on device",
    ];
    // Our input is always a pipe, so a path error is about the output.
    if UNWRITABLE.iter().any(|needle| line.contains(needle)) && !line.starts_with("pipe:") {
        return Some(EncodeFailure::OutputNotWritable { detail: detail() });
    }
    None
}

/// Drops the `[h264_nvenc @ 0x55...]` / `[error]` prefixes ffmpeg puts on lines.
fn strip_context(line: &str) -> &str {
    let mut rest = line.trim();
    while rest.starts_with('[') {
        match rest.find(']') {
            Some(end) => rest = rest[end + 1..].trim_start(),
            None => break,
        }
    }
    rest
}

fn after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line.find(marker).map(|i| &line[i + marker.len()..])
}

/// Text between `start` and the next `end` (or the end of the line).
fn between(line: &str, start: &str, end: &str) -> Option<String> {
    let rest = after(line, start)?;
    let value = match rest.find(end) {
        Some(i) => &rest[..i],
        None => rest,
    };
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> (Vec<String>, ExitInfo) {
        let path = format!(
            "{}/tests/fixtures/ffmpeg/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut code = 1;
        let lines = text
            .lines()
            .filter(|l| match l.strip_prefix("exit=") {
                Some(c) => {
                    code = c.trim().parse().unwrap();
                    false
                }
                None => true,
            })
            .map(str::to_string)
            .collect();
        (lines, ExitInfo::Code(code))
    }

    fn classify_fixture(name: &str) -> EncodeFailure {
        let (lines, exit) = fixture(name);
        classify(&lines, &exit, None)
    }

    #[test]
    fn no_gpu_is_missing_libcuda() {
        assert_eq!(
            classify_fixture("debian-5.1_h264_nvenc_no-gpu.stderr.txt"),
            EncodeFailure::DriverLibraryMissing {
                library: "libcuda.so.1".into()
            }
        );
    }

    #[test]
    fn av1_nvenc_missing_from_build() {
        assert_eq!(
            classify_fixture("debian-5.1_av1_nvenc_not-compiled.stderr.txt"),
            EncodeFailure::EncoderNotCompiled {
                encoder: "av1_nvenc".into()
            }
        );
    }

    #[test]
    fn misspelt_encoder_is_not_compiled() {
        let failure = classify_fixture("debian-5.1_unknown-encoder.stderr.txt");
        assert_eq!(
            failure,
            EncodeFailure::EncoderNotCompiled {
                encoder: "h264_foo".into()
            }
        );
        assert!(!failure.is_nvenc_environment());
    }

    #[test]
    fn odd_dimensions_are_invalid_parameter() {
        match classify_fixture("debian-5.1_libx264_odd-dimensions.stderr.txt") {
            EncodeFailure::InvalidParameter { detail } => {
                assert_eq!(detail, "width not divisible by 2 (321x241)")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nvenc_preset_given_to_x264_is_invalid_parameter() {
        match classify_fixture("debian-5.1_libx264_invalid-preset.stderr.txt") {
            EncodeFailure::InvalidParameter { detail } => {
                assert!(detail.contains("invalid preset 'p1'"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_output_directory_is_unwritable_output() {
        match classify_fixture("debian-5.1_libx264_unwritable-output.stderr.txt") {
            EncodeFailure::OutputNotWritable { detail } => {
                assert!(detail.contains("missing-dir/o.mp4"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn static_ffmpeg_on_driver_580_is_driver_too_old() {
        assert_eq!(
            classify_fixture("h100_static-ffmpeg-9.0.2_h264_nvenc_driver-too-old.stderr.txt"),
            EncodeFailure::DriverTooOld {
                required_api: "13.1".into(),
                found_api: "13.0".into(),
                min_driver: Some("610".into()),
            }
        );
    }

    #[test]
    fn h100_has_no_nvenc_engine() {
        let failure = classify_fixture("h100_pyav-19_nvenc.stderr.txt");
        assert!(
            matches!(failure, EncodeFailure::NoNvencEngine { .. }),
            "{failure:?}"
        );
        assert!(failure.is_nvenc_environment());
    }

    #[test]
    fn session_limit_messages_from_old_and_new_drivers() {
        for line in [
            "[h264_nvenc @ 0x1] OpenEncodeSessionEx failed: out of memory (10): (no details)",
            "[h264_nvenc @ 0x1] OpenEncodeSessionEx failed: incompatible client key (21): (no details)",
        ] {
            let failure = classify(&[line.to_string()], &ExitInfo::Code(1), None);
            assert!(matches!(failure, EncodeFailure::SessionLimit { .. }), "{failure:?}");
        }
    }

    #[test]
    fn partial_frame_with_clean_exit_and_no_pipe_error_is_unknown_with_lines() {
        let (lines, _) = fixture("debian-5.1_libx264_partial-frame.stderr.txt");
        match classify(&lines, &ExitInfo::Code(0), None) {
            EncodeFailure::Unknown { last_lines, .. } => {
                assert_eq!(last_lines.len(), LAST_LINES);
                assert!(last_lines.last().unwrap().contains("kb/s:8384.30"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn pipe_break_without_a_named_cause_is_broken_pipe() {
        let lines = vec![
            "frame=   10 fps=0.0".to_string(),
            "Conversion failed!".to_string(),
        ];
        let failure = classify(&lines, &ExitInfo::Signal(9), Some(10));
        assert_eq!(
            failure,
            EncodeFailure::BrokenPipe {
                frames_written: 10,
                last_lines: lines
            }
        );
    }

    #[test]
    fn named_cause_wins_over_broken_pipe() {
        let (lines, exit) = fixture("debian-5.1_h264_nvenc_no-gpu.stderr.txt");
        assert_eq!(
            classify(&lines, &exit, Some(0)).kind(),
            "driver_library_missing"
        );
    }

    #[test]
    fn every_failure_has_a_fix() {
        let failures = [
            EncodeFailure::FfmpegNotFound {
                searched: "PATH".into(),
            },
            EncodeFailure::Timeout { seconds: 1.0 },
            EncodeFailure::DriverLibraryMissing {
                library: "libnvidia-encode.so.1".into(),
            },
        ];
        for f in failures {
            assert!(!f.fix().is_empty());
            assert!(!f.to_string().is_empty());
        }
    }
}
