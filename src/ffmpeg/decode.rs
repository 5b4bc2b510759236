//! A video decoded by ffmpeg into raw bgr24 frames on its stdout, the size the
//! run asks for, every decoded frame once — on the CPU, or on the GPU's NVDEC
//! (`-hwaccel cuda`: decoded there, brought down for the pipe) — and the short
//! trial that says whether NVDEC can decode a file at all.

use std::path::Path;
use std::time::Duration;

use super::args::strings;
use super::child::{exit_info, FfmpegProcess};
use super::failure::{classify_gpu_decode, classify_nvdec_trial};
use crate::pixfmt::PixFmt;
use crate::results::failure::EncodeFailure;

/// Where the decoding runs: NVDEC on CUDA device N (`--gpu`), or CUDA's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeOn {
    Cpu,
    Nvdec(Option<u32>),
}

/// Decode on NVDEC and keep the frames in GPU memory (input options).
pub const NVDEC_TO_GPU: [&str; 4] = ["-hwaccel", "cuda", "-hwaccel_output_format", "cuda"];

/// `NVDEC_TO_GPU` on CUDA device `device` (`-hwaccel_device N`), or CUDA's default.
pub fn nvdec_to_gpu(device: Option<u32>) -> Vec<String> {
    let mut args: Vec<String> = strings(&NVDEC_TO_GPU).collect();
    if let Some(n) = device {
        args.extend(["-hwaccel_device".to_string(), n.to_string()]);
    }
    args
}

/// `-init_hw_device`'s value: the CUDA device named `gpu` for the filters,
/// on device N where `--gpu` pinned one.
pub fn cuda_device(device: Option<u32>) -> String {
    match device {
        Some(n) => format!("cuda=gpu:{n}"),
        None => "cuda=gpu".into(),
    }
}

/// `-ss SECONDS` before `-i` seeks exactly (decoding from the keyframe before
/// and dropping what precedes it).
pub fn seek_args(seek: Option<f64>) -> Vec<String> {
    seek.map(|s| vec!["-ss".to_string(), format!("{s:.6}")])
        .unwrap_or_default()
}

/// `ffmpeg [-ss SECONDS] -i PATH … -f rawvideo -pix_fmt bgr24 -` on the CPU,
/// scaled to `width`x`height`; on NVDEC the frames are scaled on the GPU and
/// brought down as they are decoded, nv12 (`DecodeOn::pix_fmt`): swscale's
/// nv12 → bgr24 would cost more CPU than the decode saved.
pub fn frames(
    ffmpeg: &Path,
    path: &Path,
    (width, height): (u32, u32),
    seek: Option<f64>,
    on: DecodeOn,
) -> Result<FfmpegProcess, EncodeFailure> {
    FfmpegProcess::spawn(ffmpeg, &frames_args(path, (width, height), seek, on))
}

impl DecodeOn {
    /// The pixel format the decoder's frames come down the pipe in.
    pub fn pix_fmt(self) -> PixFmt {
        match self {
            Self::Cpu => PixFmt::Bgr24,
            Self::Nvdec(_) => PixFmt::Nv12,
        }
    }
}

fn frames_args(
    path: &Path,
    (width, height): (u32, u32),
    seek: Option<f64>,
    on: DecodeOn,
) -> Vec<String> {
    let (hwaccel, filter): (Vec<String>, String) = match on {
        DecodeOn::Cpu => (Vec::new(), format!("scale={width}:{height}")),
        DecodeOn::Nvdec(device) => (
            nvdec_to_gpu(device),
            format!("scale_cuda={width}:{height}:format=nv12,hwdownload,format=nv12"),
        ),
    };
    strings(&["-hide_banner", "-nostdin"])
        .chain(hwaccel)
        .chain(seek_args(seek))
        .chain(strings(&[
            "-i",
            &path.to_string_lossy(),
            "-map",
            "0:v:0",
            // Every decoded frame once, as cv2.VideoCapture gives them: no frames
            // duplicated or dropped for variable-rate input.
            "-fps_mode",
            "passthrough",
            "-vf",
            &filter,
            "-f",
            "rawvideo",
            "-pix_fmt",
            on.pix_fmt().name(),
            "-",
        ]))
        .collect()
}

/// The codecs this process hands NVDEC itself (`cuda::nvdec`), as ffmpeg's
/// demuxer copies them out for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NvdecCodec {
    H264,
    Hevc,
}

impl NvdecCodec {
    /// From ffmpeg's codec name; None for one NVDEC takes only through ffmpeg.
    pub fn from_ffmpeg(name: &str) -> Option<Self> {
        match name {
            "h264" => Some(Self::H264),
            "hevc" => Some(Self::Hevc),
            _ => None,
        }
    }

    /// The bitstream filter and raw muxer that copy it out as Annex B.
    pub fn annex_b(self) -> (&'static str, &'static str) {
        match self {
            Self::H264 => ("h264_mp4toannexb", "h264"),
            Self::Hevc => ("hevc_mp4toannexb", "hevc"),
        }
    }
}

/// ffmpeg as the in-process NVDEC's demuxer (`cuda::video`): the video
/// stream copied out as an Annex B elementary stream on stdout, no decoding.
/// The run's window is found by decoding from the start and dropping what
/// precedes it (a copied stream cannot start mid-GOP).
pub fn demux_args(path: &Path, codec: NvdecCodec) -> Vec<String> {
    let (bsf, muxer) = codec.annex_b();
    strings(&[
        "-hide_banner",
        "-nostdin",
        "-i",
        &path.to_string_lossy(),
        "-map",
        "0:v:0",
        "-c:v",
        "copy",
        "-bsf:v",
        bsf,
        "-f",
        muxer,
        "-",
    ])
    .collect()
}

/// Frames NVDEC's trial decodes.
pub const NVDEC_TRIAL_FRAMES: u32 = 3;

/// The trial's command: the first `frames` (all where None) decoded with
/// frames kept on the GPU and then downloaded, so that a decoder that is not
/// NVDEC's (ffmpeg falls back to its CPU decoder for a codec or profile NVDEC
/// lacks) fails here instead of passing unnoticed.
pub fn nvdec_trial_args(
    path: &Path,
    seek: Option<f64>,
    frames: Option<u32>,
    device: Option<u32>,
) -> Vec<String> {
    let limit: Vec<String> = frames
        .map(|n| vec!["-frames:v".to_string(), n.to_string()])
        .unwrap_or_default();
    strings(&["-hide_banner", "-nostdin"])
        .chain(nvdec_to_gpu(device))
        .chain(seek_args(seek))
        .chain(strings(&["-i", &path.to_string_lossy(), "-map", "0:v:0"]))
        .chain(limit)
        .chain(strings(&[
            "-vf",
            "hwdownload,format=nv12|p010le|p016le|yuv444p|yuv444p16le",
            "-f",
            "null",
            "-",
        ]))
        .collect()
}

/// Decodes `path` on NVDEC (its first `frames`, or all): the frames it
/// decoded, as ffmpeg counted them, or why it could not.
pub fn nvdec_decode(
    ffmpeg: &Path,
    path: &Path,
    seek: Option<f64>,
    frames: Option<u32>,
    device: Option<u32>,
    timeout: Duration,
) -> Result<u64, EncodeFailure> {
    let args = nvdec_trial_args(path, seek, frames, device);
    let mut process = FfmpegProcess::spawn(ffmpeg, &args)?;
    let status = process.wait(timeout)?;
    if status.success() {
        return Ok(process.last_progress().map_or(0, |p| u64::from(p.frame)));
    }
    Err(classify_nvdec_trial(
        &process.stderr_lines(),
        &exit_info(&status),
    ))
}

/// Whether ffmpeg can open a CUDA device at all (the driver, a GPU): a
/// quick answer before anything is written for NVDEC to read.
pub fn cuda_trial(
    ffmpeg: &Path,
    device: Option<u32>,
    timeout: Duration,
) -> Result<(), EncodeFailure> {
    let init = cuda_device(device);
    let args: Vec<String> = strings(&[
        "-hide_banner",
        "-nostdin",
        "-init_hw_device",
        &init,
        "-f",
        "lavfi",
        "-i",
        "nullsrc=s=64x64",
        "-frames:v",
        "1",
        "-f",
        "null",
        "-",
    ])
    .collect();
    let mut process = FfmpegProcess::spawn(ffmpeg, &args)?;
    let status = process.wait(timeout)?;
    if status.success() {
        return Ok(());
    }
    Err(classify_gpu_decode(
        &process.stderr_lines(),
        &exit_info(&status),
    ))
}

/// Whether NVDEC decodes `path`: its first frames, through `-hwaccel cuda`.
pub fn nvdec_trial(
    ffmpeg: &Path,
    path: &Path,
    seek: Option<f64>,
    device: Option<u32>,
    timeout: Duration,
) -> Result<(), EncodeFailure> {
    nvdec_decode(
        ffmpeg,
        path,
        seek,
        Some(NVDEC_TRIAL_FRAMES),
        device,
        timeout,
    )
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvdec_decodes_on_the_gpu_and_the_cpu_path_does_not() {
        let path = Path::new("in.mp4");
        let trial = nvdec_trial_args(path, Some(1.5), Some(3), None);
        let at = |flag: &str| trial.iter().position(|a| a == flag).unwrap();
        assert_eq!(trial[at("-hwaccel") + 1], "cuda");
        assert_eq!(trial[at("-hwaccel_output_format") + 1], "cuda");
        // The seek and the options before -i, the download after: a CPU
        // decoder's frames cannot pass hwdownload.
        assert!(at("-ss") < at("-i") && at("-hwaccel") < at("-i"));
        assert!(trial[at("-vf") + 1].starts_with("hwdownload,"));
        let cpu = frames_args(path, (640, 360), None, DecodeOn::Cpu);
        let nvdec = frames_args(path, (640, 360), None, DecodeOn::Nvdec(None));
        assert!(!cpu.iter().any(|a| a.starts_with("-hwaccel")));
        assert_eq!(
            &nvdec[2..6],
            ["-hwaccel", "cuda", "-hwaccel_output_format", "cuda"]
        );
        // Scaled on the GPU, brought down as nv12: no CPU conversion in ffmpeg.
        let filter =
            |args: &[String]| args[args.iter().position(|a| a == "-vf").unwrap() + 1].clone();
        assert_eq!(filter(&cpu), "scale=640:360");
        assert_eq!(
            filter(&nvdec),
            "scale_cuda=640:360:format=nv12,hwdownload,format=nv12"
        );
        assert_eq!(cpu[cpu.len() - 2], "bgr24");
        assert_eq!(nvdec[nvdec.len() - 2], "nv12");
    }

    #[test]
    fn the_in_process_decoder_gets_the_stream_copied_as_annex_b() {
        assert_eq!(NvdecCodec::from_ffmpeg("h264"), Some(NvdecCodec::H264));
        assert_eq!(NvdecCodec::from_ffmpeg("av1"), None);
        let args = demux_args(Path::new("in.mp4"), NvdecCodec::Hevc);
        let after = |flag: &str| args[args.iter().position(|a| a == flag).unwrap() + 1].clone();
        assert_eq!(after("-c:v"), "copy");
        assert_eq!(after("-bsf:v"), "hevc_mp4toannexb");
        assert_eq!(after("-f"), "hevc");
        assert_eq!(args.last().unwrap(), "-");
        assert!(!args.iter().any(|a| a.starts_with("-hwaccel") || a == "-ss"));
    }

    #[test]
    fn a_pinned_gpu_is_named_to_every_cuda_user() {
        let path = Path::new("in.mp4");
        let on = |args: &[String], flag: &str| {
            args.iter()
                .position(|a| a == flag)
                .map(|i| args[i + 1].clone())
        };
        let pinned = frames_args(path, (64, 64), None, DecodeOn::Nvdec(Some(1)));
        assert_eq!(on(&pinned, "-hwaccel_device").as_deref(), Some("1"));
        let default = frames_args(path, (64, 64), None, DecodeOn::Nvdec(None));
        assert_eq!(on(&default, "-hwaccel_device"), None);
        let trial = nvdec_trial_args(path, None, Some(3), Some(2));
        assert_eq!(on(&trial, "-hwaccel_device").as_deref(), Some("2"));
        assert!(
            trial.iter().position(|a| a == "-hwaccel_device")
                < trial.iter().position(|a| a == "-i")
        );
        assert_eq!(cuda_device(Some(3)), "cuda=gpu:3");
        assert_eq!(cuda_device(None), "cuda=gpu");
    }
}
