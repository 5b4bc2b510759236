//! Why an encode failed, read from ffmpeg's own words: its stderr and exit
//! become one `EncodeFailure` (the type lives with the results it is kept in).

use crate::results::failure::EncodeFailure;

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

/// NVDEC's trial decode failed: as `classify_gpu_decode`, and where nothing
/// more is said, a filter that found no function for its frames
/// (`Function not implemented`) is the trial's `hwdownload` given a CPU
/// decoder's frames — NVDEC did not decode them.
pub fn classify_nvdec_trial(stderr: &[String], exit: &ExitInfo) -> EncodeFailure {
    match classify_gpu_decode(stderr, exit) {
        EncodeFailure::Unknown { .. }
            if stderr
                .iter()
                .any(|l| l.contains("Function not implemented")) =>
        {
            EncodeFailure::NvdecUnsupported {
                detail:
                    "ffmpeg decoded it on the CPU: NVDEC's frames never reached the GPU download"
                        .into(),
            }
        }
        failure => failure,
    }
}

/// Classifies a failed decode on the GPU (NVDEC's trial, a GPU-resident
/// run): what only a decode on NVDEC says first, then what every run says.
pub fn classify_gpu_decode(stderr: &[String], exit: &ExitInfo) -> EncodeFailure {
    let named = |line: &String| -> Option<EncodeFailure> {
        let detail = || strip_context(line).to_string();
        if let Some(filter) = between(line, "No such filter: '", "'") {
            return Some(EncodeFailure::FilterNotCompiled { filter });
        }
        const NOT_NVDEC: &[&str] = &[
            "Unsupported chroma format",
            "lacking required capabilities",
            "not within range",
            "Failed setup for format cuda",
            "hwaccel initialisation returned error",
        ];
        if NOT_NVDEC.iter().any(|needle| line.contains(needle)) {
            return Some(EncodeFailure::NvdecUnsupported { detail: detail() });
        }
        const NO_DEVICE: &[&str] = &[
            "CUDA_ERROR_NO_DEVICE",
            "no CUDA-capable device",
            "Device creation failed",
        ];
        NO_DEVICE
            .iter()
            .any(|needle| line.contains(needle))
            .then(|| EncodeFailure::CudaUnavailable { detail: detail() })
    };
    // A missing driver library names the cause before the device fails.
    if let Some(found) = stderr.iter().find_map(|line| {
        between(line, "Cannot load ", " ")
            .map(|library| EncodeFailure::DriverLibraryMissing { library })
    }) {
        return found;
    }
    stderr
        .iter()
        .find_map(named)
        .unwrap_or_else(|| classify(stderr, exit, None))
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
    fn nvdec_without_a_driver_is_missing_libcuda() {
        let (lines, exit) = fixture("static-9.0.2_nvdec_no-gpu.stderr.txt");
        assert_eq!(exit, ExitInfo::Code(255));
        assert_eq!(
            classify_gpu_decode(&lines, &exit),
            EncodeFailure::DriverLibraryMissing {
                library: "libcuda.so.1".into()
            }
        );
    }

    #[test]
    fn nvdec_refusing_4_4_4_h264_on_the_h100() {
        // Captured on the lent H100 (driver 580, static ffmpeg 9.0.2):
        // `-hwaccel cuda` on a yuv444p H.264 clip. ffmpeg went on on the CPU
        // (exit 0 with -f null); its words say NVDEC refused the stream.
        let (lines, exit) = fixture("static-9.0.2_nvdec_h264-444_h100.stderr.txt");
        assert_eq!(exit, ExitInfo::Code(0));
        let failure = classify_gpu_decode(&lines, &exit);
        assert_eq!(failure.kind(), "nvdec_unsupported", "{failure:?}");
        assert!(format!("{failure:?}").contains("lacking required capabilities"));
    }

    #[test]
    fn frames_not_from_nvdec_fail_the_download() {
        // What the trial's hwdownload says of a CPU decoder's frames (here
        // DivX 3, which NVDEC does not decode, with no -hwaccel at all).
        let (lines, exit) = fixture("static-9.0.2_hwdownload_software-frames.stderr.txt");
        let failure = classify_nvdec_trial(&lines, &exit);
        assert_eq!(failure.kind(), "nvdec_unsupported", "{failure:?}");
        assert!(failure.fix().contains("--decoder ffmpeg"));
        // Outside the trial the same words say nothing of NVDEC (the lent
        // H200's composite failed so on a conversion ffmpeg inserted).
        let run = classify_gpu_decode(
            &[
                "[fc#0 @ 0x1] Task finished with error code: -38 (Function not implemented)"
                    .to_string(),
            ],
            &ExitInfo::Code(1),
        );
        assert_eq!(run.kind(), "unknown", "{run:?}");
    }

    #[test]
    fn gpu_decode_causes_from_their_lines() {
        let one = |line: &str| classify_gpu_decode(&[line.to_string()], &ExitInfo::Code(1));
        assert_eq!(
            one("[AVFilterGraph @ 0x1] No such filter: 'overlay_cuda'"),
            EncodeFailure::FilterNotCompiled {
                filter: "overlay_cuda".into()
            }
        );
        assert_eq!(
            one("[h264 @ 0x1] Unsupported chroma format").kind(),
            "nvdec_unsupported"
        );
        assert_eq!(
            one("[AVHWDeviceContext @ 0x1] cu->cuInit(0) failed -> CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected").kind(),
            "cuda_unavailable"
        );
        let nvcuvid = one("[h264 @ 0x1] Cannot load libnvcuvid.so.1");
        assert!(nvcuvid.fix().contains("video"), "{}", nvcuvid.fix());
        // Nothing GPU-specific: the encode classes still apply.
        assert_eq!(
            one("[out#0 @ 0x1] Error opening output o.mp4: No such file or directory").kind(),
            "output_not_writable"
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
