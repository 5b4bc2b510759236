//! The benchmark matrix: the guide's modes × codecs × presets, as cases.

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use super::command::UserCommand;
use crate::ffmpeg::args::{opencv_fourcc_encoder, EncodeSettings};
use crate::pixfmt::PixFmt;
use crate::results::codec::{Codec, CodecRequest};
use crate::results::gpu::GpuPin;
use crate::results::StyleKind;

use crate::results::Mode;
use crate::results::{Missing, PipeOptions, PipeSize, Sink, StandIn};

/// Documented encoder settings per quality profile (the guide's last wish).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// NVENC p1, tune ll (CPU encoders: ultrafast, zerolatency)
    Fast,
    /// NVENC p4, tune hq (CPU encoders: faster)
    Balanced,
    /// NVENC p7, tune hq, -multipass fullres (CPU encoders: slow)
    Quality,
}

impl Profile {
    pub fn apply(self, s: &mut EncodeSettings) {
        let (preset, tune, multipass) = match self {
            Self::Fast => ("p1", "ll", None),
            Self::Balanced => ("p4", "hq", None),
            Self::Quality => ("p7", "hq", Some("fullres")),
        };
        s.preset = Some(preset.into());
        s.tune = Some(tune.into());
        s.multipass = multipass.map(str::to_string);
    }
}

/// The encoder settings a run's flags give before a case fills in its
/// encoder and preset: the guide's, with the flags' rate control, B-frames,
/// GOP and profile.
#[derive(Debug, Clone, PartialEq)]
pub struct EncoderTemplate {
    pub tune: String,
    pub rc: String,
    pub bitrate: String,
    pub maxrate: String,
    pub bufsize: String,
    pub bframes: u32,
    /// None: the demo's two seconds of frames.
    pub gop: Option<u32>,
    /// The guide's command exactly (no browser-compatibility flags).
    pub guide_exact: bool,
    pub profile: Option<Profile>,
}

impl EncoderTemplate {
    /// The settings every ffmpeg case starts from at `fps`.
    pub fn settings(&self, fps: f64) -> EncodeSettings {
        let mut s = EncodeSettings::guide(Codec::H264.nvenc());
        s.tune = Some(self.tune.clone());
        s.rc = Some(self.rc.clone());
        s.bitrate = Some(self.bitrate.clone());
        s.maxrate = Some(self.maxrate.clone());
        s.bufsize = Some(self.bufsize.clone());
        s.bframes = Some(self.bframes);
        s.gop = Some(self.gop.unwrap_or_else(|| demo_gop(fps)));
        s.browser_compat = !self.guide_exact;
        if let Some(profile) = self.profile {
            profile.apply(&mut s);
        }
        s
    }

    /// The preset the profile implies, if one is set.
    pub fn preset(&self) -> Option<String> {
        self.profile.map(|p| {
            let mut s = EncodeSettings::guide(Codec::H264.nvenc());
            p.apply(&mut s);
            s.preset.unwrap_or_default()
        })
    }
}

/// The demo's `-g str(int(fps * 2))`: two seconds of frames (60 at 30 fps).
pub fn demo_gop(fps: f64) -> u32 {
    ((fps * 2.0) as u32).max(1)
}

#[derive(Debug, Clone, PartialEq)]
pub enum SinkSpec {
    Null,
    OpenCv {
        fourcc: String,
    },
    /// A build without OpenCV: ffmpeg over a pipe with the libavcodec encoder
    /// and settings OpenCV's VideoWriter uses for `fourcc` (resolved with the
    /// workload's size and rate when the case starts).
    OpenCvStandIn {
        fourcc: String,
        encoder: &'static str,
    },
    /// ffmpeg over a pipe; the encoder is the requested one, resolved (with fallback) at run time.
    Pipe {
        settings: EncodeSettings,
    },
    /// ffmpeg's own frame source: the encoder's ceiling.
    Lavfi {
        settings: EncodeSettings,
    },
    /// ffmpeg over a pipe, passing the frames on unencoded: the pipe's ceiling,
    /// with the write method and pipe size of one step (`PipeOptions::steps`).
    Copy {
        pix_fmt: PixFmt,
        pipe: PipeOptions,
    },
    /// A user's command writing its own output (`bench --command`).
    Command(UserCommand),
    /// ffmpeg decoding on NVDEC and compositing the overlay layer on the GPU
    /// (the GPU-resident modes); the encoder's settings where the mode encodes.
    Gpu {
        settings: Option<EncodeSettings>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct CaseSpec {
    pub mode: Mode,
    pub overlay: Option<StyleKind>,
    /// What stands in for a part of the mode this build lacks.
    pub stand_in: Option<StandIn>,
    pub sink: SinkSpec,
    /// Encode streams run at once (`--sessions`): NVENC's concurrent-session question.
    pub sessions: u32,
    /// The GPUs it runs on (`--gpu`): none, the default device; one, pinned
    /// there; several, a stream on each at once (`sessions` is their count).
    pub gpus: Vec<GpuPin>,
}

impl CaseSpec {
    /// The file this case's output gets in --keep-outputs.
    pub fn output_file_name(&self) -> String {
        format!("{}.mp4", self.id().replace('/', "_"))
    }

    /// The requested encoder settings of the ffmpeg sinks (pipe and ceiling).
    pub fn settings(&self) -> Option<&EncodeSettings> {
        match &self.sink {
            SinkSpec::Pipe { settings } | SinkSpec::Lavfi { settings } => Some(settings),
            SinkSpec::Gpu { settings } => settings.as_ref(),
            SinkSpec::Null
            | SinkSpec::OpenCv { .. }
            | SinkSpec::OpenCvStandIn { .. }
            | SinkSpec::Copy { .. }
            | SinkSpec::Command(_) => None,
        }
    }

    /// The GOP follows the workload's frame rate, known once the workload is
    /// built (a case's name, its output file, does not depend on it).
    pub fn set_gop(&mut self, gop: u32) {
        match &mut self.sink {
            SinkSpec::Pipe { settings }
            | SinkSpec::Lavfi { settings }
            | SinkSpec::Gpu {
                settings: Some(settings),
            } => settings.gop = Some(gop),
            _ => {}
        }
    }

    pub fn id(&self) -> String {
        let overlay = self.overlay.map_or("none", StyleKind::name);
        let sink = match (&self.sink, self.settings()) {
            (_, Some(settings)) => format!(
                "{}/{}",
                settings.encoder,
                settings.preset.as_deref().unwrap_or("default")
            ),
            (SinkSpec::OpenCv { fourcc }, None) => format!("opencv-{fourcc}"),
            (SinkSpec::OpenCvStandIn { fourcc, encoder }, None) => {
                format!("{encoder}-for-opencv-{fourcc}")
            }
            (SinkSpec::Copy { pipe, .. }, None) => format!("copy/{}", pipe.name()),
            (SinkSpec::Command(command), None) => return format!("command/{}", command.name),
            _ => "null".to_string(),
        };
        let mut id = format!("{}/{overlay}/{sink}", self.mode.name());
        if let Some(pix_fmt) = self.pix_fmt().filter(|f| *f != PixFmt::Bgr24) {
            id.push_str(&format!("/{}", pix_fmt.name()));
        }
        if self.sessions > 1 {
            id.push_str(&format!("/x{}", self.sessions));
        }
        if !self.gpus.is_empty() {
            let indices: Vec<String> = self.gpus.iter().map(|g| g.index.to_string()).collect();
            id.push_str(&format!("/gpu{}", indices.join("+")));
        }
        id
    }

    /// Whether a GPU could do its work: an ffmpeg encoder (NVENC where it
    /// works) or the GPU-resident path. `--gpu` pins these; the others
    /// (drawing alone, OpenCV's writer, the pipe's copy, users' commands)
    /// run once, wherever `--gpu` says.
    pub fn uses_gpu(&self) -> bool {
        matches!(
            self.sink,
            SinkSpec::Pipe { .. } | SinkSpec::Lavfi { .. } | SinkSpec::Gpu { .. }
        )
    }

    /// This case on `gpus`: NVENC's `-gpu` set to the first one's CUDA
    /// ordinal (a stream's own is set when it starts), NVML sampled on each.
    pub fn on(&self, gpus: &[GpuPin]) -> Self {
        let mut case = self.clone();
        if let SinkSpec::Pipe { settings }
        | SinkSpec::Lavfi { settings }
        | SinkSpec::Gpu {
            settings: Some(settings),
        } = &mut case.sink
        {
            settings.gpu = gpus.first().map(|g| g.cuda);
        }
        if gpus.len() > 1 {
            case.sessions = gpus.len() as u32;
        }
        case.gpus = gpus.to_vec();
        case
    }

    /// The format on the pipe, for cases that have one.
    pub fn pix_fmt(&self) -> Option<PixFmt> {
        match &self.sink {
            SinkSpec::Copy { pix_fmt, .. } => Some(*pix_fmt),
            // The pipe carries the overlay layer (NVDEC's decode alone has none).
            SinkSpec::Gpu { .. } if self.mode != Mode::NvdecCeiling => Some(PixFmt::Yuva420p),
            SinkSpec::Gpu { .. } => None,
            _ => self.settings().map(|s| s.pix_fmt),
        }
    }

    pub fn sink_kind(&self) -> Sink {
        match self.sink {
            SinkSpec::Null => Sink::Null,
            SinkSpec::OpenCv { .. } => Sink::OpencvWriter,
            SinkSpec::Pipe { .. } | SinkSpec::OpenCvStandIn { .. } => Sink::FfmpegPipe,
            SinkSpec::Lavfi { .. } => Sink::FfmpegLavfi,
            SinkSpec::Copy { .. } => Sink::FfmpegCopy,
            SinkSpec::Command(_) => Sink::Command,
            SinkSpec::Gpu { .. } => Sink::FfmpegGpu,
        }
    }
}

/// `--gpu`: every case that can use a GPU pinned to each of `gpus` in turn;
/// with several, the plain pipe cases also once more with a stream on every
/// GPU at once (the node's aggregate, each GPU's own fps beside it). Cases no
/// GPU serves run once.
pub fn on_gpus(cases: Vec<CaseSpec>, gpus: &[GpuPin]) -> Vec<CaseSpec> {
    if gpus.is_empty() {
        return cases;
    }
    let mut out = Vec::new();
    for case in cases {
        if !case.uses_gpu() {
            out.push(case);
            continue;
        }
        out.extend(gpus.iter().map(|g| case.on(std::slice::from_ref(g))));
        let together =
            gpus.len() > 1 && case.sessions == 1 && matches!(case.sink, SinkSpec::Pipe { .. });
        if together {
            out.push(case.on(gpus));
        }
    }
    out
}

pub struct MatrixOptions<'a> {
    pub modes: &'a [Mode],
    pub codecs: &'a [CodecRequest],
    pub presets: &'a [String],
    pub template: &'a EncodeSettings,
    pub fourcc: &'a str,
    pub opencv_built: bool,
    /// Pipe formats to compare (pipe cases only).
    pub pix_fmts: &'a [PixFmt],
    /// Concurrent streams to compare (pipe cases only).
    pub sessions: &'a [u32],
    /// The pipe size the run asks for: the pipe ceiling's last two steps use it.
    pub pipe_size: PipeSize,
    /// Users' commands, a case each after the modes' (`--command`).
    pub commands: &'a [UserCommand],
}

pub fn expand(o: &MatrixOptions) -> Vec<CaseSpec> {
    let mut cases = Vec::new();
    for &mode in o.modes {
        match mode {
            Mode::Original => cases.push(opencv_case(o, mode, StyleKind::Pillow)),
            Mode::Fast => cases.push(opencv_case(o, mode, StyleKind::Opencv)),
            Mode::Nvenc if o.opencv_built => {
                cases.extend(encoded(o, mode, Some(StyleKind::Opencv), None, false))
            }
            Mode::Nvenc => cases.extend(encoded(
                o,
                mode,
                Some(StyleKind::Native),
                Some(StandIn {
                    missing: Missing::Opencv,
                    overlay_for: Some(StyleKind::Opencv),
                    writer_for: None,
                }),
                false,
            )),
            Mode::Native => cases.extend(encoded(o, mode, Some(StyleKind::Native), None, false)),
            Mode::OverlayOnly => {
                for style in [StyleKind::Pillow, StyleKind::Opencv, StyleKind::Native] {
                    cases.push(CaseSpec {
                        mode,
                        overlay: Some(style),
                        stand_in: None,
                        sink: SinkSpec::Null,
                        sessions: 1,
                        gpus: Vec::new(),
                    });
                }
            }
            Mode::EncodeOnly | Mode::EncodeToNull => {
                cases.extend(encoded(o, mode, None, None, false))
            }
            Mode::EncoderCeiling => cases.extend(encoded(o, mode, None, None, true)),
            // No encoder: per pipe format, each transport step, whatever the
            // codecs and presets.
            Mode::PipeCeiling => {
                for &pix_fmt in o.pix_fmts {
                    for pipe in PipeOptions::steps(o.pipe_size) {
                        cases.push(CaseSpec {
                            mode,
                            overlay: None,
                            stand_in: None,
                            sink: SinkSpec::Copy { pix_fmt, pipe },
                            sessions: 1,
                            gpus: Vec::new(),
                        });
                    }
                }
            }
            Mode::GpuResident => {
                for settings in encoder_settings(o) {
                    cases.push(gpu_case(mode, Some(StyleKind::Native), Some(settings)));
                }
            }
            Mode::CompositeCeiling => cases.push(gpu_case(mode, Some(StyleKind::Native), None)),
            // Several NVDEC sessions at once, per --sessions.
            Mode::NvdecCeiling => cases.extend(o.sessions.iter().map(|&n| CaseSpec {
                sessions: n,
                ..gpu_case(mode, None, None)
            })),
            Mode::Command => {}
        }
    }
    cases.extend(o.commands.iter().map(|command| CaseSpec {
        mode: Mode::Command,
        overlay: None,
        stand_in: None,
        sink: SinkSpec::Command(command.clone()),
        sessions: 1,
        gpus: Vec::new(),
    }));
    cases
}

/// The guide's OpenCV modes; without OpenCV, ffmpeg writes with the encoder
/// OpenCV would use and the native style draws OpenCV's.
fn opencv_case(o: &MatrixOptions, mode: Mode, style: StyleKind) -> CaseSpec {
    let fourcc = o.fourcc.to_string();
    match opencv_fourcc_encoder(&fourcc) {
        Some(encoder) if !o.opencv_built => {
            let drawn = if style == StyleKind::Opencv {
                StyleKind::Native
            } else {
                style
            };
            CaseSpec {
                mode,
                overlay: Some(drawn),
                stand_in: Some(StandIn {
                    missing: Missing::Opencv,
                    overlay_for: (drawn != style).then_some(style),
                    writer_for: Some(fourcc.clone()),
                }),
                sink: SinkSpec::OpenCvStandIn { fourcc, encoder },
                sessions: 1,
                gpus: Vec::new(),
            }
        }
        _ => CaseSpec {
            mode,
            overlay: Some(style),
            stand_in: None,
            sink: SinkSpec::OpenCv { fourcc },
            sessions: 1,
            gpus: Vec::new(),
        },
    }
}

fn gpu_case(mode: Mode, overlay: Option<StyleKind>, settings: Option<EncodeSettings>) -> CaseSpec {
    CaseSpec {
        mode,
        overlay,
        stand_in: None,
        sink: SinkSpec::Gpu { settings },
        sessions: 1,
        gpus: Vec::new(),
    }
}

/// Every codec × preset of the run, as settings (the GPU path has no pipe
/// format to vary: its frames are the decoder's).
fn encoder_settings<'a>(o: &'a MatrixOptions) -> impl Iterator<Item = EncodeSettings> + 'a {
    o.codecs.iter().flat_map(move |codec| {
        let encoder = codec.encoder();
        o.presets.iter().map(move |preset| {
            let mut settings = o.template.clone();
            settings.encoder = encoder.clone();
            settings.preset = Some(preset.clone());
            settings
        })
    })
}

/// The ffmpeg cases of `mode`: every codec × preset × pipe format × sessions
/// (the ceiling, `lavfi`, reads each format from a file: one stream).
fn encoded(
    o: &MatrixOptions,
    mode: Mode,
    overlay: Option<StyleKind>,
    stand_in: Option<StandIn>,
    lavfi: bool,
) -> Vec<CaseSpec> {
    let sessions = if lavfi { &[1][..] } else { o.sessions };
    let mut out = Vec::new();
    for base in encoder_settings(o) {
        for &pix_fmt in o.pix_fmts {
            for &streams in sessions {
                let settings = EncodeSettings {
                    pix_fmt,
                    ..base.clone()
                };
                let sink = if lavfi {
                    SinkSpec::Lavfi { settings }
                } else {
                    SinkSpec::Pipe { settings }
                };
                out.push(CaseSpec {
                    mode,
                    overlay,
                    stand_in: stand_in.clone(),
                    sink,
                    sessions: streams,
                    gpus: Vec::new(),
                });
            }
        }
    }
    out
}

/// A `--presets` list that names none, or a range that is not one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PresetsError {
    #[error("'{0}' is not an NVENC preset p1..p7")]
    NotNvenc(String),
    #[error("empty preset range '{0}'")]
    EmptyRange(String),
    #[error("no presets given")]
    None,
}

/// "p1..p3,p7" → p1 p2 p3 p7; CPU preset names pass through.
pub fn parse_presets(spec: &str) -> Result<Vec<String>, PresetsError> {
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if let Some((a, b)) = part.split_once("..") {
            let num = |s: &str| {
                s.trim()
                    .strip_prefix('p')
                    .and_then(|n| n.parse::<u32>().ok())
                    .filter(|n| (1..=7).contains(n))
                    .ok_or_else(|| PresetsError::NotNvenc(s.to_string()))
            };
            let (a, b) = (num(a)?, num(b)?);
            if a > b {
                return Err(PresetsError::EmptyRange(part.to_string()));
            }
            out.extend((a..=b).map(|n| format!("p{n}")));
        } else {
            out.push(part.to_string());
        }
    }
    if out.is_empty() {
        return Err(PresetsError::None);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gop_is_two_seconds_as_the_demo_truncates_it() {
        assert_eq!(demo_gop(30.0), 60);
        assert_eq!(demo_gop(29.97), 59);
        assert_eq!(demo_gop(25.0), 50);
        assert_eq!(demo_gop(0.1), 1);
    }

    #[test]
    fn preset_ranges_and_lists() {
        assert_eq!(
            parse_presets("p1..p3,p7").unwrap(),
            ["p1", "p2", "p3", "p7"]
        );
        assert_eq!(parse_presets("veryfast").unwrap(), ["veryfast"]);
        assert!(parse_presets("p0..p3").is_err());
        assert!(parse_presets("p5..p2").is_err());
    }

    #[test]
    fn matrix_covers_modes_codecs_and_presets() {
        let template = EncodeSettings::guide("h264_nvenc");
        let codecs = [Codec::H264, Codec::Hevc].map(CodecRequest::Codec);
        let presets = vec!["p1".to_string(), "p4".to_string()];
        let cases = expand(&MatrixOptions {
            modes: &Mode::ALL,
            codecs: &codecs,
            presets: &presets,
            template: &template,
            fourcc: "mp4v",
            opencv_built: false,
            pix_fmts: &[PixFmt::Bgr24],
            sessions: &[1],
            pipe_size: PipeSize::Frames(4),
            commands: &[],
        });
        // original + fast + 4 nvenc + 4 native + 3 overlay-only + 4 encode-only
        // + 4 ceiling + 5 pipe-ceiling steps
        assert_eq!(cases.len(), 2 + 4 + 4 + 3 + 4 + 4 + 5);
        let ids: Vec<String> = cases.iter().map(CaseSpec::id).collect();
        assert!(ids.contains(&"nvenc/native/hevc_nvenc/p4".to_string()));
        assert!(ids.contains(&"encoder-ceiling/none/h264_nvenc/p1".to_string()));
        let nvenc = cases.iter().find(|c| c.mode == Mode::Nvenc).unwrap();
        assert_eq!(
            nvenc.stand_in.as_ref().unwrap().overlay_for,
            Some(StyleKind::Opencv)
        );
        // Without OpenCV the guide's OpenCV modes write through ffmpeg's mpeg4,
        // fast drawn by the native style, each saying so.
        assert!(ids.contains(&"original/pillow/mpeg4-for-opencv-mp4v".to_string()));
        assert!(ids.contains(&"fast/native/mpeg4-for-opencv-mp4v".to_string()));
        let fast = cases.iter().find(|c| c.mode == Mode::Fast).unwrap();
        assert_eq!(fast.sink_kind(), Sink::FfmpegPipe);
        assert_eq!(
            fast.stand_in,
            Some(StandIn {
                missing: Missing::Opencv,
                overlay_for: Some(StyleKind::Opencv),
                writer_for: Some("mp4v".into()),
            })
        );
        let original = cases.iter().find(|c| c.mode == Mode::Original).unwrap();
        assert_eq!(original.stand_in.as_ref().unwrap().overlay_for, None);
    }

    #[test]
    fn pipe_formats_and_sessions_multiply_pipe_cases_only() {
        let template = EncodeSettings::guide("h264_nvenc");
        let cases = expand(&MatrixOptions {
            modes: &[
                Mode::EncodeOnly,
                Mode::EncoderCeiling,
                Mode::Fast,
                Mode::PipeCeiling,
            ],
            codecs: &[CodecRequest::Codec(Codec::H264)],
            presets: &["p1".to_string()],
            template: &template,
            fourcc: "mp4v",
            opencv_built: true,
            pix_fmts: &[PixFmt::Bgr24, PixFmt::Yuv420p],
            sessions: &[1, 2],
            pipe_size: PipeSize::Frames(4),
            commands: &[],
        });
        let ids: Vec<String> = cases.iter().map(CaseSpec::id).collect();
        assert_eq!(
            ids,
            [
                "encode-only/none/h264_nvenc/p1",
                "encode-only/none/h264_nvenc/p1/x2",
                "encode-only/none/h264_nvenc/p1/yuv420p",
                "encode-only/none/h264_nvenc/p1/yuv420p/x2",
                "encoder-ceiling/none/h264_nvenc/p1",
                "encoder-ceiling/none/h264_nvenc/p1/yuv420p",
                "fast/opencv/opencv-mp4v",
                "pipe-ceiling/none/copy/write-default",
                "pipe-ceiling/none/copy/write-4f",
                "pipe-ceiling/none/copy/vmsplice-default",
                "pipe-ceiling/none/copy/vmsplice-4f",
                "pipe-ceiling/none/copy/vmsplice-4f-fixedheap",
                "pipe-ceiling/none/copy/write-default/yuv420p",
                "pipe-ceiling/none/copy/write-4f/yuv420p",
                "pipe-ceiling/none/copy/vmsplice-default/yuv420p",
                "pipe-ceiling/none/copy/vmsplice-4f/yuv420p",
                "pipe-ceiling/none/copy/vmsplice-4f-fixedheap/yuv420p",
            ]
        );
    }

    #[test]
    fn gpus_pin_what_a_gpu_serves_and_all_adds_every_gpu_at_once() {
        let template = EncodeSettings::guide("h264_nvenc");
        let cases = expand(&MatrixOptions {
            modes: &[
                Mode::Native,
                Mode::EncoderCeiling,
                Mode::GpuResident,
                Mode::Fast,
            ],
            codecs: &[CodecRequest::Codec(Codec::H264)],
            presets: &["p1".to_string()],
            template: &template,
            fourcc: "mp4v",
            opencv_built: true,
            pix_fmts: &[PixFmt::Bgr24],
            sessions: &[1],
            pipe_size: PipeSize::Frames(4),
            commands: &[],
        });
        let gpu = |index: u32, cuda: u32| GpuPin {
            index,
            cuda,
            name: "NVIDIA H100 80GB HBM3".into(),
            uuid: None,
        };
        let pinned = on_gpus(cases.clone(), &[gpu(2, 0), gpu(3, 1)]);
        let ids: Vec<String> = pinned.iter().map(CaseSpec::id).collect();
        assert_eq!(
            ids,
            [
                "native/native/h264_nvenc/p1/gpu2",
                "native/native/h264_nvenc/p1/gpu3",
                "native/native/h264_nvenc/p1/x2/gpu2+3",
                "encoder-ceiling/none/h264_nvenc/p1/gpu2",
                "encoder-ceiling/none/h264_nvenc/p1/gpu3",
                "gpu-resident/native/h264_nvenc/p1/yuva420p/gpu2",
                "gpu-resident/native/h264_nvenc/p1/yuva420p/gpu3",
                "fast/opencv/opencv-mp4v",
            ]
        );
        // NVENC is given the CUDA ordinal, not NVML's index.
        let ordinal = |c: &CaseSpec| c.settings().and_then(|s| s.gpu);
        assert_eq!(ordinal(&pinned[0]), Some(0));
        assert_eq!(ordinal(&pinned[1]), Some(1));
        assert_eq!((pinned[2].sessions, pinned[2].gpus.len()), (2, 2));
        assert!(pinned[7].gpus.is_empty());
        // Without --gpu, nothing changes.
        assert_eq!(on_gpus(cases.clone(), &[]), cases);
    }

    #[test]
    fn quality_profile_settings() {
        let mut s = EncodeSettings::guide("h264_nvenc");
        Profile::Quality.apply(&mut s);
        assert_eq!(
            (
                s.preset.as_deref(),
                s.tune.as_deref(),
                s.multipass.as_deref()
            ),
            (Some("p7"), Some("hq"), Some("fullres"))
        );
        let cpu = s.for_encoder("libx264");
        assert_eq!((cpu.preset.as_deref(), cpu.multipass), (Some("slow"), None));
    }
}
