//! The answer doctor exists for: which path writes video for each of the guide's
//! modes, why NVENC is (not) usable in words that fit this GPU, and what to do.

use serde::Serialize;

use super::container::Container;
use super::fallback::{self, Policy, Writer};
use super::gpu::{GpuProbe, NvencHardware};
use super::nvenc_api_check::NvencApiCheck;
use super::opencv::{OpenCvProbe, WriterTrial};
use super::trial::TrialResult;
use super::FfmpegProbe;
use crate::ffmpeg::args::{opencv_fourcc_encoder, DEFAULT_FOURCC};
use crate::results::failure::EncodeFailure;

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub nvenc_usable: bool,
    /// Fastest working hardware encoder (h264 before hevc before av1).
    pub nvenc_encoder: Option<String>,
    /// Why NVENC is not usable, worded for this machine.
    pub nvenc_reason: Option<String>,
    pub nvenc_failure: Option<EncodeFailure>,
    /// First CPU encoder whose trial worked.
    pub cpu_fallback: Option<String>,
    pub opencv_writer: Option<String>,
    pub modes: Vec<ModePath>,
    pub summary: Vec<String>,
    pub next_steps: Vec<String>,
    /// Some path can write the guide's annotated video.
    pub can_write_video: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModePath {
    /// The guide's visualizer name.
    pub mode: &'static str,
    pub path: Option<String>,
    pub note: String,
}

pub fn decide(
    ffmpeg: &FfmpegProbe,
    gpu: &GpuProbe,
    api: &NvencApiCheck,
    opencv: &OpenCvProbe,
    trials: &[TrialResult],
    container: Option<&Container>,
) -> Verdict {
    let hardware: Vec<&TrialResult> = trials
        .iter()
        .filter(|t| crate::results::codec::is_nvenc(&t.encoder))
        .collect();
    let nvenc_ok = hardware.iter().find(|t| t.ok()).map(|t| t.encoder.clone());
    // The chain the bench walks, with doctor's trials as its answers.
    // Not tried is not failed: an encoder ffmpeg lists but no trial ran
    // (`--no-trial`) is a CPU fallback as listed; an NVENC one stays unknown.
    let listed = |encoder: &str| match ffmpeg {
        FfmpegProbe::Found { info, .. } => info.has_encoder(encoder),
        FfmpegProbe::Missing { .. } => false,
    };
    let mut works = |encoder: &str| match trials.iter().find(|t| t.encoder == encoder) {
        Some(t) => t.failure().map_or(Ok(()), |f| Err(f.clone())),
        None if listed(encoder) && !crate::results::codec::is_nvenc(encoder) => Ok(()),
        None if listed(encoder) => Err(EncodeFailure::NotTried {
            encoder: encoder.into(),
        }),
        None => Err(EncodeFailure::EncoderNotCompiled {
            encoder: encoder.into(),
        }),
    };
    let cpu_fallback = fallback::cpu_stand_in(super::GUIDE_REQUEST, &mut works).map(str::to_string);
    // Without OpenCV, ffmpeg's encoder for OpenCV's default fourcc writes the
    // guide's OpenCV modes (as `bench` does), when its trial worked.
    let stand_in = opencv_fourcc_encoder(DEFAULT_FOURCC)
        .filter(|e| trials.iter().any(|t| t.encoder == *e && t.ok()))
        .filter(|_| matches!(opencv, OpenCvProbe::NotBuilt))
        .map(|e| {
            format!("{e} via ffmpeg (for OpenCV's {DEFAULT_FOURCC} writer: OpenCV not built)")
        });
    let opencv_writer = opencv.working_writer().map(WriterTrial::label);
    // The nvenc mode's OpenCV fallback opens the demo's writers, not any that worked.
    let demo_writer = opencv.demo_fallback().map(WriterTrial::label);

    let nvenc_failure = nvenc_failure(ffmpeg, &hardware).map(|f| {
        if nvenc_ok.is_some() {
            f
        } else {
            refine(f, gpu, container)
        }
    });
    let nvenc_reason = match (&nvenc_ok, &nvenc_failure) {
        (Some(_), _) => None,
        (None, Some(f)) => Some(explain(f, gpu)),
        (None, None) => Some("ffmpeg lists no NVENC encoder".into()),
    };

    let ffmpeg_cpu = cpu_fallback.as_ref().map(|e| format!("{e} via ffmpeg"));
    let policy = Policy {
        opencv: demo_writer.is_some(),
        allow_fallback: true,
    };
    let requested = nvenc_ok.as_deref().unwrap_or(super::GUIDE_REQUEST);
    let nvenc_path = fallback::choose(requested, &mut works, &policy, |r| r)
        .ok()
        .map(|choice| match (&choice.writer, &choice.fallback) {
            (Writer::Ffmpeg { encoder }, None) => format!("{encoder} p1 via ffmpeg pipe"),
            (Writer::Ffmpeg { encoder }, Some(_)) => format!("{encoder} via ffmpeg (fallback)"),
            (Writer::Opencv { .. }, _) => format!(
                "{} (fallback)",
                demo_writer.as_deref().unwrap_or("OpenCV VideoWriter")
            ),
        });
    let modes = mode_paths(
        opencv,
        stand_in,
        opencv_writer.clone(),
        ffmpeg_cpu.clone(),
        nvenc_path,
        &nvenc_ok,
        &nvenc_reason,
    );

    let mut summary = Vec::new();
    match (&nvenc_ok, &nvenc_reason) {
        (Some(e), _) => summary.push(format!("NVENC: usable, {e} p1")),
        (None, reason) => summary.push(format!(
            "NVENC: unavailable ({}); fallback: {}",
            reason.as_deref().unwrap_or("unknown"),
            ffmpeg_cpu
                .clone()
                .or_else(|| demo_writer.clone())
                .unwrap_or_else(|| "none".into())
        )),
    }
    let can_write_video = modes.iter().any(|m| m.path.is_some());
    if !can_write_video {
        summary.push("No path can write video on this machine.".into());
    }

    Verdict {
        nvenc_usable: nvenc_ok.is_some(),
        nvenc_encoder: nvenc_ok,
        next_steps: next_steps(
            ffmpeg,
            gpu,
            api,
            opencv,
            nvenc_failure.as_ref(),
            cpu_fallback.is_some(),
        ),
        nvenc_reason,
        nvenc_failure,
        cpu_fallback,
        opencv_writer,
        modes,
        summary,
        can_write_video,
    }
}

/// Which path writes video for each of the guide's modes, with its note.
fn mode_paths(
    opencv: &OpenCvProbe,
    stand_in: Option<String>,
    opencv_writer: Option<String>,
    ffmpeg_cpu: Option<String>,
    nvenc_path: Option<String>,
    nvenc_ok: &Option<String>,
    nvenc_reason: &Option<String>,
) -> Vec<ModePath> {
    let opencv_note = match opencv {
        OpenCvProbe::NotBuilt => "built without OpenCV".to_string(),
        OpenCvProbe::Error { detail } => format!("OpenCV failed: {detail}"),
        OpenCvProbe::Available { .. } if opencv_writer.is_none() => {
            "OpenCV VideoWriter could not write".into()
        }
        OpenCvProbe::Available { .. } => "as in the guide".into(),
    };
    let writer_mode = |mode: &'static str| {
        ModePath {
        mode,
        path: match opencv {
            OpenCvProbe::NotBuilt => stand_in.clone(),
            _ => opencv_writer.clone().or_else(|| {
                ffmpeg_cpu
                    .clone()
                    .map(|p| format!("{p} (OpenCV writer unavailable)"))
            }),
        },
        note: match (opencv, mode) {
            (OpenCvProbe::NotBuilt, "fast") if stand_in.is_some() => {
                "built without OpenCV: ffmpeg writes with OpenCV's settings; the native style draws OpenCV's".into()
            }
            (OpenCvProbe::NotBuilt, _) if stand_in.is_some() => {
                "built without OpenCV: ffmpeg writes with OpenCV's settings".into()
            }
            _ => opencv_note.clone(),
        },
    }
    };
    vec![
        writer_mode("original"),
        writer_mode("fast"),
        ModePath {
            mode: "nvenc",
            path: nvenc_path,
            note: match (nvenc_ok, nvenc_reason) {
                (Some(_), _) => "NVENC trial encode succeeded".into(),
                (None, Some(reason)) => format!("NVENC unavailable: {reason}"),
                (None, None) => String::new(),
            },
        },
    ]
}

/// The failure that stops NVENC: ffmpeg missing, no NVENC in the build, or the h264 trial's cause.
fn nvenc_failure(ffmpeg: &FfmpegProbe, hardware: &[&TrialResult]) -> Option<EncodeFailure> {
    match ffmpeg {
        FfmpegProbe::Missing { failure } => Some(failure.clone()),
        FfmpegProbe::Found { info, .. } if hardware.is_empty() => {
            let encoder = crate::results::codec::Codec::H264.nvenc();
            Some(if info.has_encoder(encoder) {
                EncodeFailure::NotTried {
                    encoder: encoder.into(),
                }
            } else {
                EncodeFailure::EncoderNotCompiled {
                    encoder: encoder.into(),
                }
            })
        }
        FfmpegProbe::Found { .. } => hardware.iter().find_map(|t| t.failure().cloned()),
    }
}

/// The cause an NVENC failure has on this machine: a GPU without an NVENC
/// engine first (nothing else would help), then a container whose runtime did
/// not mount the driver library ffmpeg could not load, then ffmpeg's own word.
pub fn refine(
    failure: EncodeFailure,
    gpu: &GpuProbe,
    container: Option<&Container>,
) -> EncodeFailure {
    engine_first(container_first(failure, gpu, container), gpu)
}

/// In a container, NVML answering shows the GPU was passed in; a driver library
/// missing beside it is a capability the runtime was not asked for.
fn container_first(
    failure: EncodeFailure,
    gpu: &GpuProbe,
    container: Option<&Container>,
) -> EncodeFailure {
    let (Some(c), EncodeFailure::DriverLibraryMissing { library }) = (container, &failure) else {
        return failure;
    };
    let capability = if library.contains("nvidia-encode") {
        "video"
    } else if library.starts_with("libcuda") {
        "compute"
    } else {
        return failure;
    };
    if !matches!(gpu, GpuProbe::Found { .. }) || c.grants(capability) {
        return failure;
    }
    EncodeFailure::ContainerCapabilityMissing {
        runtime: c.runtime.name().to_string(),
        capability: capability.to_string(),
        library: library.clone(),
        granted: c.driver_capabilities.clone(),
    }
}

/// On a GPU known to have no NVENC engine, that is the cause whatever the trial
/// stopped at first (a newer driver or another ffmpeg would not help).
fn engine_first(failure: EncodeFailure, gpu: &GpuProbe) -> EncodeFailure {
    let GpuProbe::Found { gpus, .. } = gpu else {
        return failure;
    };
    let no_engine = !gpus.is_empty()
        && gpus
            .iter()
            .all(|g| g.nvenc_hardware == NvencHardware::Absent);
    if !no_engine || matches!(failure, EncodeFailure::NoNvencEngine { .. }) {
        return failure;
    }
    EncodeFailure::NoNvencEngine {
        detail: format!(
            "{} has no NVENC engine per NVIDIA's support matrix; the trial encode stopped earlier at: {failure}",
            gpus[0].name
        ),
    }
}

/// Words for a failure that fit what NVML knows about the GPU. "unsupported device"
/// means no NVENC engine on an H100, but NVENC disabled or not exposed on other cards.
pub fn explain(failure: &EncodeFailure, gpu: &GpuProbe) -> String {
    let gpus = match gpu {
        GpuProbe::Found { gpus, .. } => gpus.as_slice(),
        _ => &[],
    };
    match failure {
        EncodeFailure::NoNvencEngine { .. } => match gpus.first() {
            Some(g) if g.nvenc_hardware == NvencHardware::Absent => {
                let capacity = g
                    .encoder_capacity_h264
                    .map(|c| format!("; NVML still reports encoder capacity {c}"))
                    .unwrap_or_default();
                format!("no NVENC engine on {}{capacity}", g.name)
            }
            Some(g) if g.nvenc_hardware == NvencHardware::PresentConsumer => format!(
                "{} refused an encode session: NVENC disabled or not exposed (vGPU/passthrough settings)",
                g.name
            ),
            Some(g) => format!("{} refused an encode session (unsupported device): it may have no NVENC engine", g.name),
            None => "the GPU refused an encode session (unsupported device)".into(),
        },
        EncodeFailure::DriverLibraryMissing { library } if library.starts_with("libcuda") => match gpu {
            GpuProbe::Found { .. } => format!("Cannot load {library} although NVML sees a GPU: the CUDA driver library is not on the loader path"),
            _ => format!("Cannot load {library}: no NVIDIA driver on this machine"),
        },
        EncodeFailure::DriverTooOld {
            required_api,
            found_api,
            min_driver,
        } => format!(
            "driver too old for this ffmpeg: it needs NVENC API {required_api}{}, the driver offers {found_api}{}",
            min_driver.as_ref().map(|d| format!(" (driver >= {d})")).unwrap_or_default(),
            match gpus.first() {
                Some(g) if g.nvenc_hardware == NvencHardware::Absent =>
                    format!("; even with a newer driver, {} has no NVENC engine", g.name),
                _ => String::new(),
            }
        ),
        other => other.to_string(),
    }
}

fn next_steps(
    ffmpeg: &FfmpegProbe,
    gpu: &GpuProbe,
    api: &NvencApiCheck,
    opencv: &OpenCvProbe,
    nvenc_failure: Option<&EncodeFailure>,
    cpu_fallback: bool,
) -> Vec<String> {
    let mut steps = Vec::new();
    if let FfmpegProbe::Missing { failure } = ffmpeg {
        steps.push(failure.fix());
    }
    if let Some(failure) = nvenc_failure {
        let fix = failure.fix();
        if !steps.contains(&fix) {
            steps.push(fix);
        }
    }
    if matches!(ffmpeg, FfmpegProbe::Found { .. }) && !cpu_fallback {
        steps.push(
            "no CPU encoder worked: install an ffmpeg with libx264 (`apt-get install ffmpeg`)"
                .into(),
        );
    }
    let has_gpu = matches!(gpu, GpuProbe::Found { gpus, .. } if !gpus.is_empty());
    let gpu_can_encode = matches!(gpu, GpuProbe::Found { gpus, .. } if gpus.iter().any(|g| g.nvenc_hardware != NvencHardware::Absent));
    if has_gpu && gpu_can_encode {
        match (api.static_ffmpeg_ok, api.driver_version.as_deref()) {
            (Some(true), _) => steps.push(
                "for av1_nvenc and libvmaf: `scripts/install-deps.sh --static-ffmpeg` (ffmpeg 9.0, NVENC API 13.1; this driver supports it)".into(),
            ),
            (Some(false), Some(driver)) => steps.push(format!(
                "do not use the static ffmpeg 9.0 (NVENC API 13.1 needs driver >= 610, this one is {driver}); Debian/Ubuntu's apt ffmpeg works with it"
            )),
            _ => {}
        }
    }
    // On a GPU without an engine no driver or ffmpeg helps: no API advice there.
    if gpu_can_encode
        && api.compatible == Some(false)
        && !matches!(nvenc_failure, Some(EncodeFailure::DriverTooOld { .. }))
    {
        steps.push(format!(
            "this ffmpeg's NVENC API ({}) is newer than the driver offers ({}): upgrade the driver{} or use apt's ffmpeg",
            api.ffmpeg_needs.map(|a| a.to_string()).unwrap_or_default(),
            api.driver_offers.map(|a| a.to_string()).unwrap_or_default(),
            api.min_driver_for_ffmpeg.as_ref().map(|d| format!(" to >= {d}")).unwrap_or_default()
        ));
    }
    match opencv {
        OpenCvProbe::NotBuilt => steps.push(
            "for OpenCV's own writer and drawing in the original/fast modes, build with the default `opencv` feature (needs libopencv-dev); this build writes them through ffmpeg with OpenCV's settings".into(),
        ),
        OpenCvProbe::Available { .. } if opencv.working_writer().is_none() => {
            steps.push("OpenCV VideoWriter wrote nothing readable: install OpenCV with the FFMPEG videoio backend".into())
        }
        _ => {}
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffmpeg::info::{EncoderEntry, FfmpegInfo, NvencBuild};
    use crate::ffmpeg::{FfmpegBinary, FfmpegSource};
    use crate::probe::nvenc_api_check;
    use crate::probe::trial::TrialOutcome;

    fn h100() -> GpuProbe {
        crate::probe::gpu::test_h100()
    }

    fn static_ffmpeg() -> FfmpegProbe {
        FfmpegProbe::Found {
            binary: FfmpegBinary {
                path: "/tools/ffmpeg".into(),
                source: FfmpegSource::Flag,
            },
            info: FfmpegInfo {
                version: "n9.0.2-17-g2a571b6068-20260930".into(),
                configuration: vec!["--enable-nvenc".into()],
                nvenc_build: NvencBuild::Explicit,
                encoders: ["h264_nvenc", "libx264"]
                    .iter()
                    .map(|n| EncoderEntry {
                        name: n.to_string(),
                        description: String::new(),
                    })
                    .collect(),
                h264_nvenc_options: None,
                decode: Default::default(),
            },
        }
    }

    fn trial(encoder: &str, outcome: TrialOutcome) -> TrialResult {
        TrialResult {
            gpu: None,
            encoder: encoder.into(),
            command: String::new(),
            seconds: 0.1,
            outcome,
        }
    }

    #[test]
    fn h100_with_static_ffmpeg_is_no_engine_not_just_old_driver() {
        let trials = vec![
            trial(
                "h264_nvenc",
                TrialOutcome::Failed {
                    failure: EncodeFailure::DriverTooOld {
                        required_api: "13.1".into(),
                        found_api: "13.0".into(),
                        min_driver: Some("610".into()),
                    },
                },
            ),
            trial(
                "libx264",
                TrialOutcome::Ok {
                    frames: 8,
                    bytes: 1000,
                },
            ),
        ];
        let (ffmpeg, gpu) = (static_ffmpeg(), h100());
        let api = nvenc_api_check::check(ffmpeg.found().map(|(_, i)| i), &gpu, &trials);
        assert_eq!(api.compatible, Some(false));
        assert_eq!(api.static_ffmpeg_ok, Some(false));
        let verdict = decide(&ffmpeg, &gpu, &api, &OpenCvProbe::NotBuilt, &trials, None);
        assert!(!verdict.nvenc_usable);
        assert_eq!(
            verdict.nvenc_failure.as_ref().map(|f| f.kind()),
            Some("no_nvenc_engine")
        );
        assert_eq!(
            verdict.summary[0],
            "NVENC: unavailable (no NVENC engine on NVIDIA H100 80GB HBM3; NVML still reports encoder capacity 100); fallback: libx264 via ffmpeg"
        );
        // The trial's own cause keeps its words, with the engine caveat.
        let trial_words = explain(trials[0].failure().unwrap(), &gpu);
        assert!(
            trial_words.contains("needs NVENC API 13.1 (driver >= 610), the driver offers 13.0")
        );
        assert!(trial_words.contains("has no NVENC engine"));
        assert_eq!(
            verdict.modes[2].path.as_deref(),
            Some("libx264 via ffmpeg (fallback)")
        );
        // OpenCV is not built and no mpeg4 trial ran: nothing writes original/fast.
        assert_eq!(verdict.modes[0].path, None);
        assert!(verdict.can_write_video);
        // No driver/ffmpeg advice on a GPU without an engine: neither would help.
        let advice = verdict.next_steps.join("\n");
        assert!(
            !advice.contains("--static-ffmpeg") && !advice.contains("driver"),
            "{advice}"
        );
    }

    #[test]
    fn without_opencv_the_guides_opencv_modes_name_their_stand_in() {
        let ok = || TrialOutcome::Ok {
            frames: 8,
            bytes: 1000,
        };
        let trials = vec![trial("libx264", ok()), trial("mpeg4", ok())];
        let (ffmpeg, gpu) = (static_ffmpeg(), h100());
        let api = nvenc_api_check::check(ffmpeg.found().map(|(_, i)| i), &gpu, &trials);
        let verdict = decide(&ffmpeg, &gpu, &api, &OpenCvProbe::NotBuilt, &trials, None);
        // mpeg4 is OpenCV's encoder, not the CPU fallback of the nvenc mode.
        assert_eq!(verdict.cpu_fallback.as_deref(), Some("libx264"));
        for m in &verdict.modes[..2] {
            assert_eq!(
                m.path.as_deref(),
                Some("mpeg4 via ffmpeg (for OpenCV's mp4v writer: OpenCV not built)")
            );
        }
        assert!(verdict.modes[1].note.contains("native style"));
    }

    #[test]
    fn a_container_without_the_video_capability_is_named_with_its_variable() {
        use crate::probe::container::{Container, Runtime};
        // A GPU with an engine (the H100's name changed), in Docker, granted the
        // runtime's default capabilities: ffmpeg cannot load libnvidia-encode.
        let mut gpu = h100();
        if let GpuProbe::Found { gpus, .. } = &mut gpu {
            gpus[0].name = "NVIDIA L4".into();
            gpus[0].nvenc_hardware = NvencHardware::Unknown;
        }
        let missing = EncodeFailure::DriverLibraryMissing {
            library: "libnvidia-encode.so.1".into(),
        };
        let trials = vec![trial(
            "h264_nvenc",
            TrialOutcome::Failed {
                failure: missing.clone(),
            },
        )];
        let ffmpeg = static_ffmpeg();
        let api = nvenc_api_check::check(ffmpeg.found().map(|(_, i)| i), &gpu, &trials);
        let docker = |caps: Option<&str>| Container {
            runtime: Runtime::Docker,
            driver_capabilities: caps.map(str::to_string),
        };
        let in_docker = docker(None);
        let verdict = decide(
            &ffmpeg,
            &gpu,
            &api,
            &OpenCvProbe::NotBuilt,
            &trials,
            Some(&in_docker),
        );
        let failure = verdict.nvenc_failure.clone().unwrap();
        assert_eq!(failure.kind(), "container_capability_missing");
        assert!(failure.to_string().contains("lacks `video`"), "{failure}");
        assert!(verdict
            .next_steps
            .iter()
            .any(|s| s.contains("NVIDIA_DRIVER_CAPABILITIES=compute,video,utility")));
        // Granted video, or not in a container: ffmpeg's own cause stays.
        let granted = docker(Some("all"));
        assert_eq!(refine(missing.clone(), &gpu, Some(&granted)), missing);
        assert_eq!(refine(missing.clone(), &gpu, None), missing);
        // Without NVML the GPU was not passed in at all: not a capability.
        let no_gpu = GpuProbe::NoDriver {
            detail: String::new(),
        };
        assert_eq!(refine(missing.clone(), &no_gpu, Some(&in_docker)), missing);
        // On an H100 no capability helps: the engine is the cause.
        assert_eq!(
            refine(missing, &h100(), Some(&in_docker)).kind(),
            "no_nvenc_engine"
        );
    }

    #[test]
    fn the_nvenc_modes_opencv_fallback_is_the_writer_its_sink_opens() {
        // Nothing encodes through ffmpeg (every CPU encoder's trial failed);
        // OpenCV writes avc1 and XVID, not mp4v.
        let opencv = OpenCvProbe::with_working;
        let (ffmpeg, gpu) = (static_ffmpeg(), h100());
        let failed = |e: &str| {
            trial(
                e,
                TrialOutcome::Failed {
                    failure: EncodeFailure::Unknown {
                        exit: "exit code 1".into(),
                        last_lines: Vec::new(),
                    },
                },
            )
        };
        let none: Vec<TrialResult> = ["libx264", "libx265", "libsvtav1", "libaom-av1"]
            .into_iter()
            .map(failed)
            .collect();
        let api = nvenc_api_check::check(ffmpeg.found().map(|(_, i)| i), &gpu, &none);
        let verdict = decide(&ffmpeg, &gpu, &api, &opencv(&["avc1", "XVID"]), &none, None);
        assert_eq!(
            verdict.modes[2].path.as_deref(),
            Some("OpenCV VideoWriter (XVID into .avi) (fallback)")
        );
        // The guide's OpenCV modes write with what works for them.
        assert_eq!(
            verdict.modes[0].path.as_deref(),
            Some("OpenCV VideoWriter (avc1)")
        );
        // avc1 alone: the sink would open neither mp4v nor XVID, so no fallback.
        let verdict = decide(&ffmpeg, &gpu, &api, &opencv(&["avc1"]), &none, None);
        assert_eq!(verdict.modes[2].path, None);
        let verdict = decide(&ffmpeg, &gpu, &api, &opencv(&["mp4v"]), &none, None);
        assert_eq!(
            verdict.modes[2].path.as_deref(),
            Some("OpenCV VideoWriter (mp4v) (fallback)")
        );
    }

    #[test]
    fn nothing_works_means_no_video() {
        let ffmpeg = FfmpegProbe::Missing {
            failure: EncodeFailure::FfmpegNotFound {
                searched: "PATH".into(),
            },
        };
        let gpu = GpuProbe::NoDriver {
            detail: String::new(),
        };
        let api = nvenc_api_check::check(None, &gpu, &[]);
        let verdict = decide(&ffmpeg, &gpu, &api, &OpenCvProbe::NotBuilt, &[], None);
        assert!(!verdict.can_write_video);
        // On an H100 the engine is the NVENC cause, but ffmpeg is still what to install first.
        let on_h100 = decide(&ffmpeg, &h100(), &api, &OpenCvProbe::NotBuilt, &[], None);
        assert_eq!(
            on_h100.nvenc_failure.as_ref().map(|f| f.kind()),
            Some("no_nvenc_engine")
        );
        assert!(
            on_h100.next_steps[0].contains("install ffmpeg"),
            "{:?}",
            on_h100.next_steps
        );
        assert!(verdict
            .summary
            .iter()
            .any(|l| l.contains("No path can write video")));
        assert!(verdict.next_steps[0].contains("install ffmpeg"));
    }
}
