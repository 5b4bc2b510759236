//! The GPU-resident command lines: a video decoded on NVDEC into CUDA frames,
//! the overlay layer (yuva420p on stdin) uploaded and composited on the GPU
//! (`hwupload_cuda` + `overlay_cuda`), then NVENC encoding the CUDA frames —
//! or, for a CPU encoder, the frames brought down once after the composite.
//! The two baselines stop earlier: after the decode, after the composite.
//! Where there is no CUDA (no driver, no GPU, a codec NVDEC lacks) the same
//! path runs on the CPU — ffmpeg's decoder and its `overlay` filter — as the
//! reported fallback.

use std::path::Path;

use super::args::{encoder_args, format_fps, push_output, strings, EncodeSettings, RawInput};
use super::decode::{seek_args, DecodeOn, NVDEC_TO_GPU};
use super::probe_file::ColorTags;
use crate::pixfmt::PixFmt;

/// The CUDA filters the composite needs, as ffmpeg's `-filters` names them.
pub const CUDA_FILTERS: [&str; 3] = ["hwupload_cuda", "scale_cuda", "overlay_cuda"];

/// How far the GPU path goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GpuStage<'a> {
    /// Decoded on NVDEC, the frames left on the GPU and discarded.
    Decode,
    /// The layer composited too, the frames discarded (the encoder taken out).
    Composite,
    /// Composited and encoded with these settings.
    Encode(&'a EncodeSettings),
}

/// The video and the frames the run takes from it.
#[derive(Debug, Clone, Copy)]
pub struct GpuInput<'a> {
    pub video: &'a Path,
    /// Where the run's first frame is (`-ss` before `-i`).
    pub seek: Option<f64>,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    /// Every frame of a run, warm-up included.
    pub frames: u64,
    /// NVDEC and the CUDA filters, or the CPU fallback.
    pub on: DecodeOn,
    /// What the video declares of its colours (the layer declares the same).
    pub color: &'a ColorTags,
}

impl GpuInput<'_> {
    /// The layer's frames on stdin.
    pub fn layer(&self) -> RawInput {
        RawInput::new(self.width, self.height, self.fps, PixFmt::Yuva420p)
    }
}

/// The whole command line after `ffmpeg`.
pub fn gpu_args(input: &GpuInput, stage: GpuStage, output: &Path) -> Vec<String> {
    let mut args: Vec<String> = strings(&["-hide_banner", "-nostdin", "-y"]).collect();
    if let DecodeOn::Nvdec(device) = input.on {
        // One CUDA device for the decoder and the filters (`--gpu`'s, pinned).
        args.extend(strings(&[
            "-init_hw_device",
            &super::decode::cuda_device(device),
            "-filter_hw_device",
            "gpu",
            "-hwaccel_device",
            "gpu",
        ]));
        args.extend(strings(&NVDEC_TO_GPU));
    }
    args.extend(seek_args(input.seek));
    args.extend(["-i".to_string(), input.video.to_string_lossy().into_owned()]);
    let frames = ["-frames:v".to_string(), input.frames.to_string()];
    if stage == GpuStage::Decode {
        args.extend(strings(&["-map", "0:v:0"]));
        args.extend(frames);
        push_output(&mut args, Path::new(super::args::DISCARD));
        return args;
    }
    let layer = input.layer();
    args.extend(strings(&[
        "-f",
        "rawvideo",
        "-pix_fmt",
        layer.pix_fmt.name(),
        "-s",
    ]));
    args.push(format!("{}x{}", layer.width, layer.height));
    args.extend([
        "-r".to_string(),
        format_fps(layer.fps),
        "-i".into(),
        "-".into(),
    ]);
    args.extend([
        "-filter_complex".to_string(),
        composite_graph(input, stage),
        "-map".into(),
        "[out]".into(),
    ]);
    args.extend(frames);
    match stage {
        GpuStage::Encode(settings) => {
            args.extend(encoder_args(settings));
            push_output(&mut args, output);
        }
        _ => push_output(&mut args, Path::new(super::args::DISCARD)),
    }
    args
}

/// The layer declares what the video declares: ffmpeg negotiates colour
/// properties between a filter's inputs, and a conversion it inserted on
/// CUDA frames fails (`Function not implemented`; seen on the lent H200
/// with the embedded clip, tagged BT.709 limited, and an untagged layer).
fn layer_tags(color: &ColorTags) -> String {
    let mut params = Vec::new();
    if let Some(matrix) = &color.matrix {
        params.push(format!("colorspace={matrix}"));
    }
    if let Some(range) = &color.range {
        params.push(format!("range={range}"));
    }
    if params.is_empty() {
        String::new()
    } else {
        format!("setparams={},", params.join(":"))
    }
}

/// The video scaled to the run's size as yuv420p, the layer over it; on the
/// GPU the frames come down only for a CPU encoder.
fn composite_graph(input: &GpuInput, stage: GpuStage) -> String {
    let (w, h) = (input.width, input.height);
    let tags = layer_tags(input.color);
    match input.on {
        DecodeOn::Nvdec(_) => {
            let download = match stage {
                GpuStage::Encode(s) if !s.encoder.is_nvenc() => ",hwdownload,format=yuv420p",
                _ => "",
            };
            format!(
                "[0:v]scale_cuda={w}:{h}:format=yuv420p[main];\
                 [1:v]{tags}hwupload_cuda[layer];\
                 [main][layer]overlay_cuda=eof_action=endall{download}[out]"
            )
        }
        DecodeOn::Cpu => format!(
            "[0:v]scale={w}:{h},format=yuv420p[main];[1:v]{tags}null[layer];\
             [main][layer]overlay=eof_action=endall:format=yuv420[out]"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static BT709: std::sync::LazyLock<ColorTags> =
        std::sync::LazyLock::new(ColorTags::bt709_limited);

    fn input() -> GpuInput<'static> {
        GpuInput {
            video: Path::new("in.mp4"),
            seek: Some(2.0),
            width: 1920,
            height: 1080,
            fps: 30.0,
            frames: 310,
            on: DecodeOn::Nvdec(None),
            color: &BT709,
        }
    }

    fn value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
        let i = args.iter().position(|a| a == flag)?;
        args.get(i + 1).map(String::as_str)
    }

    #[test]
    fn a_pinned_gpu_decodes_and_composites_there() {
        let pinned = GpuInput {
            on: DecodeOn::Nvdec(Some(1)),
            ..input()
        };
        let args = gpu_args(&pinned, GpuStage::Decode, Path::new("o.mp4"));
        assert_eq!(value(&args, "-init_hw_device"), Some("cuda=gpu:1"));
        let args = gpu_args(&input(), GpuStage::Decode, Path::new("o.mp4"));
        assert_eq!(value(&args, "-init_hw_device"), Some("cuda=gpu"));
    }

    #[test]
    fn the_decode_stage_is_nvdec_alone() {
        let args = gpu_args(&input(), GpuStage::Decode, Path::new("o.mp4"));
        assert_eq!(value(&args, "-hwaccel"), Some("cuda"));
        assert_eq!(value(&args, "-hwaccel_output_format"), Some("cuda"));
        assert_eq!(value(&args, "-frames:v"), Some("310"));
        assert!(!args.iter().any(|a| a == "-filter_complex"));
        assert_eq!(args[args.len() - 3..], ["-f", "null", "-"]);
        // The seek is the video's, before its -i.
        let at = |flag: &str| args.iter().position(|a| a == flag).unwrap();
        assert!(at("-ss") < at("-i"));
    }

    #[test]
    fn nvenc_encodes_cuda_frames_and_a_cpu_encoder_gets_them_once_downloaded() {
        let mut nvenc = EncodeSettings::guide("h264_nvenc");
        nvenc.preset = Some("p1".into());
        let args = gpu_args(&input(), GpuStage::Encode(&nvenc), Path::new("o.mp4"));
        let graph = value(&args, "-filter_complex").unwrap();
        assert!(graph.contains("hwupload_cuda") && graph.contains("overlay_cuda"));
        // The layer declares what the video does (no conversion on CUDA frames).
        assert!(
            graph.contains("[1:v]setparams=colorspace=bt709:range=tv,hwupload_cuda[layer]"),
            "{graph}"
        );
        let untagged = ColorTags::default();
        let plain = GpuInput {
            color: &untagged,
            ..input()
        };
        let args = gpu_args(&plain, GpuStage::Encode(&nvenc), Path::new("o.mp4"));
        assert!(!value(&args, "-filter_complex")
            .unwrap()
            .contains("setparams"));
        assert!(!graph.contains("hwdownload"), "{graph}");
        assert_eq!(value(&args, "-c:v"), Some("h264_nvenc"));
        assert_eq!(value(&args, "-pix_fmt"), Some("yuva420p"));
        assert_eq!(args.last().unwrap(), "o.mp4");
        let x264 = EncodeSettings::guide("libx264");
        let args = gpu_args(&input(), GpuStage::Encode(&x264), Path::new("o.mp4"));
        let graph = value(&args, "-filter_complex").unwrap();
        assert!(
            graph.ends_with("overlay_cuda=eof_action=endall,hwdownload,format=yuv420p[out]"),
            "{graph}"
        );
        let args = gpu_args(&input(), GpuStage::Composite, Path::new("o.mp4"));
        assert!(!args.iter().any(|a| a == "-c:v"));
        assert_eq!(args[args.len() - 3..], ["-f", "null", "-"]);
        assert_eq!(value(&args, "-s"), Some("1920x1080"));
    }

    #[test]
    fn the_cpu_fallback_is_the_same_path_without_cuda() {
        let cpu = GpuInput {
            on: DecodeOn::Cpu,
            ..input()
        };
        let x264 = EncodeSettings::guide("libx264");
        let args = gpu_args(&cpu, GpuStage::Encode(&x264), Path::new("o.mp4"));
        assert!(
            !args
                .iter()
                .any(|a| a.contains("cuda") || a.starts_with("-hwaccel")),
            "{args:?}"
        );
        let graph = value(&args, "-filter_complex").unwrap();
        assert!(graph.contains("overlay=eof_action=endall"), "{graph}");
        assert_eq!(value(&args, "-pix_fmt"), Some("yuva420p"));
        let decode = gpu_args(&cpu, GpuStage::Decode, Path::new("o.mp4"));
        assert!(!decode.iter().any(|a| a.contains("cuda")));
        assert_eq!(decode[decode.len() - 3..], ["-f", "null", "-"]);
    }
}
