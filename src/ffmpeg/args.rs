//! The ffmpeg command lines nvviz-bench runs. The default is exactly the guide's
//! NVENC command; other encoders get the same intent in their own option names.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::pixfmt::PixFmt;
use crate::results::codec::{EncoderFamily, EncoderName};

/// Raw frames arriving on ffmpeg's stdin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawInput {
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    /// The format of the bytes we write (bgr24 in the guide).
    pub pix_fmt: PixFmt,
}

impl RawInput {
    pub fn bgr24(width: u32, height: u32, fps: f64) -> Self {
        Self::new(width, height, fps, PixFmt::Bgr24)
    }

    pub fn new(width: u32, height: u32, fps: f64, pix_fmt: PixFmt) -> Self {
        Self {
            width,
            height,
            fps,
            pix_fmt,
        }
    }

    pub fn frame_bytes(&self) -> usize {
        self.pix_fmt.frame_bytes(self.width, self.height)
    }
}

/// Encoder settings, named after the guide's flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncodeSettings {
    pub encoder: EncoderName,
    pub preset: Option<String>,
    pub tune: Option<String>,
    pub rc: Option<String>,
    pub bitrate: Option<String>,
    pub maxrate: Option<String>,
    pub bufsize: Option<String>,
    pub bframes: Option<u32>,
    pub gop: Option<u32>,
    pub faststart: bool,
    /// Browser-playable output: yuv420p, BT.709 matrix and tags, odd sizes padded.
    /// Off in `guide()` (the guide's exact command), on in `bench`.
    #[serde(default)]
    pub browser_compat: bool,
    /// NVENC `-multipass` (quality profile); dropped for other encoders.
    #[serde(default)]
    pub multipass: Option<String>,
    /// The raw format written into the pipe (the guide's bgr24 by default).
    #[serde(default)]
    pub pix_fmt: PixFmt,
    /// The lowest quantiser the encoder may use (OpenCV's writer sets 3).
    #[serde(default)]
    pub qmin: Option<u32>,
    /// The CUDA device NVENC encodes on (`-gpu`, `--gpu`); other encoders
    /// run on the CPU wherever it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<u32>,
}

impl EncodeSettings {
    /// The guide's settings (`-preset p1 -tune ll -rc vbr -b:v 8M -maxrate 12M
    /// -bufsize 16M -bf 0 -g 60 -movflags +faststart`) expressed for `encoder`.
    pub fn guide(encoder: impl Into<EncoderName>) -> Self {
        let encoder = encoder.into();
        let nvenc = Self {
            encoder: encoder.clone(),
            preset: Some("p1".into()),
            tune: Some("ll".into()),
            rc: Some("vbr".into()),
            bitrate: Some("8M".into()),
            maxrate: Some("12M".into()),
            bufsize: Some("16M".into()),
            bframes: Some(0),
            gop: Some(60),
            faststart: true,
            browser_compat: false,
            multipass: None,
            pix_fmt: PixFmt::Bgr24,
            qmin: None,
            gpu: None,
        };
        nvenc.for_encoder(encoder)
    }

    /// The same intent for another encoder: NVENC preset pN maps to the CPU
    /// encoder's preset of similar speed rank, `ll` to its zero-latency tune.
    pub fn for_encoder(&self, encoder: impl Into<EncoderName>) -> Self {
        let mut s = self.clone();
        s.encoder = encoder.into();
        let fam = s.encoder.family();
        if fam != EncoderFamily::Nvenc {
            s.rc = None;
            s.multipass = None;
            s.preset = self.preset.as_deref().and_then(|p| map_preset(p, fam));
            s.tune = self.tune.as_deref().and_then(|t| map_tune(t, fam));
        }
        if matches!(fam, EncoderFamily::SvtAv1 | EncoderFamily::Aom) {
            // These take a target bitrate but reject VBV caps without extra modes.
            s.maxrate = None;
            s.bufsize = None;
            s.bframes = None;
        }
        s
    }

    /// What OpenCV's VideoWriter sets for `fourcc` (modules/videoio/src/
    /// cap_ffmpeg_impl.hpp, OpenCV 4.x): bit rate 1.5 × width × height × fps
    /// bit/s (`bitrate_scale` 1, then `lbit_rate += bitrate / 2`, capped at
    /// INT_MAX), qmin 3, an intra frame every 12, yuv420p by swscale's bicubic
    /// (ffmpeg's default too), no B-frames, no faststart. The portable build's
    /// `original` and `fast` modes write with these through ffmpeg.
    pub fn opencv_writer(fourcc: &str, width: u32, height: u32, fps: f64) -> Option<Self> {
        let encoder = opencv_fourcc_encoder(fourcc)?;
        let base = (fps * f64::from(width) * f64::from(height)).min(f64::from(i32::MAX) / 2.0);
        let bitrate = (base as i64 + (base / 2.0) as i64).min(i64::from(i32::MAX));
        Some(Self {
            encoder: encoder.into(),
            preset: None,
            tune: None,
            rc: None,
            bitrate: Some(bitrate.to_string()),
            maxrate: None,
            bufsize: None,
            bframes: None,
            gop: Some(12),
            faststart: false,
            browser_compat: false,
            multipass: None,
            pix_fmt: PixFmt::Bgr24,
            qmin: Some(3),
            gpu: None,
        })
    }
}

/// The guide's OpenCV VideoWriter fourcc (`--fourcc`'s default).
pub const DEFAULT_FOURCC: &str = "mp4v";

/// The demo's second try for its OpenCV fallback when `mp4v` will not open
/// (into `.avi`).
pub const DEMO_SECOND_FOURCC: &str = "XVID";
/// The container `DEMO_SECOND_FOURCC` writes into (the output's name with this extension).
pub const DEMO_SECOND_CONTAINER: &str = "avi";

/// The libavcodec encoder OpenCV's VideoWriter (FFmpeg backend) encodes a
/// fourcc with, where ffmpeg's command line can reproduce it.
/// (Each is in `info::OPENCV_WRITER_ENCODERS`.)
pub fn opencv_fourcc_encoder(fourcc: &str) -> Option<&'static str> {
    match fourcc.to_ascii_lowercase().as_str() {
        "mp4v" | "fmp4" | "divx" | "dx50" | "xvid" => Some("mpeg4"),
        "mjpg" => Some("mjpeg"),
        _ => None,
    }
}

/// NVENC `p1`..`p7` to a CPU encoder's preset; other names pass through unchanged.
pub fn map_preset(preset: &str, fam: EncoderFamily) -> Option<String> {
    let rank = preset
        .strip_prefix('p')
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| (1..=7).contains(n));
    let Some(rank) = rank else {
        return Some(preset.to_string());
    };
    const X26X: [&str; 7] = [
        "ultrafast",
        "superfast",
        "veryfast",
        "faster",
        "fast",
        "medium",
        "slow",
    ];
    const SVT: [&str; 7] = ["12", "11", "10", "9", "8", "6", "4"];
    const AOM: [&str; 7] = ["8", "7", "6", "5", "4", "3", "2"];
    match fam {
        EncoderFamily::Nvenc => Some(preset.to_string()),
        EncoderFamily::X264 | EncoderFamily::X265 => Some(X26X[rank - 1].into()),
        EncoderFamily::SvtAv1 => Some(SVT[rank - 1].into()),
        EncoderFamily::Aom => Some(AOM[rank - 1].into()),
        EncoderFamily::Other => None,
    }
}

fn map_tune(tune: &str, fam: EncoderFamily) -> Option<String> {
    match (fam, tune) {
        (EncoderFamily::Nvenc, t) => Some(t.into()),
        (EncoderFamily::X264 | EncoderFamily::X265, "ll" | "ull") => Some("zerolatency".into()),
        (EncoderFamily::X264 | EncoderFamily::X265, "hq") => None,
        (EncoderFamily::X264 | EncoderFamily::X265, t) => Some(t.into()),
        _ => None,
    }
}

/// Arguments as the owned strings a command line is made of.
pub fn strings<'a>(args: &'a [&'a str]) -> impl Iterator<Item = String> + 'a {
    args.iter().map(|s| s.to_string())
}

/// `-y` and the raw-frames-on-stdin input every pipe command starts with.
fn stdin_input_args(input: &RawInput) -> Vec<String> {
    std::iter::once("-y".to_string())
        .chain(raw_stdin_input(input))
        .collect()
}

/// `-f rawvideo -pix_fmt F -s WxH -r R -i -`: raw frames read from stdin.
pub fn raw_stdin_input(input: &RawInput) -> Vec<String> {
    raw_input(input, "-")
}

/// `-f rawvideo -pix_fmt F -s WxH -r R -i SOURCE`: raw frames read from `source`.
fn raw_input(input: &RawInput, source: &str) -> Vec<String> {
    [
        "-f".to_string(),
        "rawvideo".into(),
        "-pix_fmt".into(),
        input.pix_fmt.name().into(),
        "-s".into(),
        format!("{}x{}", input.width, input.height),
        "-r".into(),
        format_fps(input.fps),
        "-i".into(),
        source.into(),
    ]
    .into()
}

/// Arguments after `ffmpeg` for the encoder's ceiling: ffmpeg reading `frames`
/// frames itself — `ring`, a file of raw frames in the pipe's format, looped
/// (the very frames the pipe cases send), else testsrc2 — and encoding them with
/// `settings` as the pipe cases do, with no pipe.
pub fn ceiling_args(
    input: &RawInput,
    ring: Option<&Path>,
    frames: u64,
    settings: &EncodeSettings,
    output: &Path,
) -> Vec<String> {
    let mut args: Vec<String> = vec!["-y".into()];
    match ring {
        Some(file) => {
            args.extend(["-stream_loop", "-1"].map(String::from));
            args.extend(raw_input(input, &file.to_string_lossy()));
        }
        None => args.extend([
            "-f".into(),
            "lavfi".into(),
            "-i".into(),
            format!(
                "testsrc2=size={}x{}:rate={}",
                input.width,
                input.height,
                format_fps(input.fps)
            ),
        ]),
    }
    args.extend(["-frames:v".into(), frames.to_string()]);
    args.extend(encoder_args(settings));
    if settings.browser_compat {
        args.extend(match ring {
            Some(_) => output_format_args(input, &settings.encoder),
            None => browser_args(input.width, input.height),
        });
    }
    push_output(&mut args, output);
    args
}

/// Arguments after `ffmpeg` for raw frames on stdin passed on unencoded: the
/// pipe's ceiling. `DISCARD` throws them away (null muxer); a path gets the
/// very bytes that crossed the pipe (raw), which is how tests check them.
pub fn copy_args(input: &RawInput, output: &Path) -> Vec<String> {
    let mut args = stdin_input_args(input);
    args.extend(["-c:v", "copy"].map(String::from));
    if output != Path::new(DISCARD) {
        args.extend(["-f", "rawvideo"].map(String::from));
    }
    push_output(&mut args, output);
    args
}

/// Arguments after `ffmpeg` for raw frames on stdin encoded to `output`.
pub fn pipe_args(input: &RawInput, settings: &EncodeSettings, output: &Path) -> Vec<String> {
    let mut args = stdin_input_args(input);
    args.extend(encoder_args(settings));
    if settings.browser_compat {
        args.extend(output_format_args(input, &settings.encoder));
    }
    push_output(&mut args, output);
    args
}

/// Browser-playable output for what the pipe carries: ffmpeg's CPU conversion to
/// BT.709 yuv420p for bgr24 (and for bgr0/bgra into CPU encoders); only the tags
/// for yuv420p/nv12 we converted ourselves; nothing for bgr0/bgra into NVENC, which
/// converts on the GPU (a CPU filter here would undo the point of sending them).
pub fn output_format_args(input: &RawInput, encoder: &EncoderName) -> Vec<String> {
    match input.pix_fmt {
        f if f.is_yuv420() => browser_args(input.width, input.height)[2..].to_vec(),
        f if f.is_packed_rgb32() && encoder.is_nvenc() => Vec::new(),
        _ => browser_args(input.width, input.height),
    }
}

/// Where encoded output goes: the file, or ffmpeg's null muxer for `DISCARD`.
pub fn push_output(args: &mut Vec<String>, output: &Path) {
    if output == Path::new(DISCARD) {
        args.extend(["-f", "null", "-"].map(String::from));
    } else {
        args.push(output.to_string_lossy().into_owned());
    }
}

/// Output "path" meaning: encode, then throw the bytes away (no disk I/O).
pub const DISCARD: &str = "-";

/// yuv420p with the BT.709 matrix and tags (ffmpeg's default BT.601 matrix washes
/// colours out in browsers); odd sizes padded by one pixel, never resized.
pub fn browser_args(width: u32, height: u32) -> Vec<String> {
    let mut filter = String::new();
    if width % 2 == 1 || height % 2 == 1 {
        filter.push_str("pad=ceil(iw/2)*2:ceil(ih/2)*2,");
    }
    filter.push_str("scale=out_color_matrix=bt709:out_range=tv,format=yuv420p");
    [
        "-vf",
        &filter,
        "-colorspace",
        "bt709",
        "-color_primaries",
        "bt709",
        "-color_trc",
        "bt709",
        "-color_range",
        "tv",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// `-c:v …` and the encoder options, in the guide's order.
pub fn encoder_args(s: &EncodeSettings) -> Vec<String> {
    let fam = s.encoder.family();
    let mut args = vec!["-c:v".to_string(), s.encoder.to_string()];
    let mut push = |flag: &str, value: Option<String>| {
        if let Some(v) = value {
            args.push(flag.to_string());
            args.push(v);
        }
    };
    let preset_flag = if fam == EncoderFamily::Aom {
        "-cpu-used"
    } else {
        "-preset"
    };
    push(preset_flag, s.preset.clone());
    push("-tune", s.tune.clone());
    push("-rc", s.rc.clone());
    push("-multipass", s.multipass.clone());
    push("-b:v", s.bitrate.clone());
    push("-maxrate", s.maxrate.clone());
    push("-bufsize", s.bufsize.clone());
    push("-bf", s.bframes.map(|b| b.to_string()));
    push("-g", s.gop.map(|g| g.to_string()));
    push("-qmin", s.qmin.map(|q| q.to_string()));
    if fam == EncoderFamily::Nvenc {
        push("-gpu", s.gpu.map(|g| g.to_string()));
    }
    if s.faststart {
        push("-movflags", Some("+faststart".into()));
    }
    args
}

/// "30" rather than "30.0", "29.97" as is.
/// A rate as ffmpeg's `-r` takes it: whole numbers as they are, the NTSC family
/// (24000/1001, 30000/1001, …) as exact fractions, anything else in decimal.
pub fn format_fps(fps: f64) -> String {
    let ntsc = (fps * 1001.0).round();
    if fps.fract() == 0.0 {
        format!("{}", fps as u64)
    } else if ntsc % 1000.0 == 0.0 && (ntsc / 1001.0 - fps).abs() < 1e-9 {
        format!("{}/1001", ntsc as u64)
    } else {
        format!("{fps}")
    }
}

/// A command line a person can paste into a shell.
/// `shell_line` with the environment variable the child was started with in
/// front (`GLIBC_TUNABLES=… ffmpeg …`), so the line reproduces the run.
pub fn shell_line_env(env: Option<&(&str, String)>, program: &Path, args: &[String]) -> String {
    match env {
        Some((key, value)) => format!("{key}={value} {}", shell_line(program, args)),
        None => shell_line(program, args),
    }
}

pub fn shell_line(program: &Path, args: &[String]) -> String {
    std::iter::once(program.to_string_lossy().into_owned())
        .chain(args.iter().cloned())
        .map(|a| {
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || "'\"$`\\".contains(c)) {
                format!("'{}'", a.replace('\'', r"'\''"))
            } else {
                a
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_ceiling_loops_the_ring_as_the_pipe_reads_frames() {
        use super::*;
        let raw = RawInput::new(64, 48, 30.0, PixFmt::Yuv420p);
        let settings = EncodeSettings::guide("libx264");
        let ring = ceiling_args(
            &raw,
            Some(Path::new("/tmp/ring.raw")),
            90,
            &settings,
            Path::new(DISCARD),
        );
        let line = ring.join(" ");
        assert!(
            line.starts_with("-y -stream_loop -1 -f rawvideo -pix_fmt yuv420p -s 64x48 -r 30 -i /tmp/ring.raw -frames:v 90 -c:v libx264"),
            "{line}"
        );
        assert!(line.ends_with("-f null -"), "{line}");
        let lavfi = ceiling_args(&raw, None, 90, &settings, Path::new("/tmp/o.mp4")).join(" ");
        assert!(
            lavfi.starts_with("-y -f lavfi -i testsrc2=size=64x48:rate=30 -frames:v 90"),
            "{lavfi}"
        );
    }

    #[test]
    fn rates_are_written_exactly() {
        assert_eq!(format_fps(30.0), "30");
        assert_eq!(format_fps(1000.0), "1000");
        assert_eq!(format_fps(24000.0 / 1001.0), "24000/1001");
        assert_eq!(format_fps(60000.0 / 1001.0), "60000/1001");
        assert_eq!(format_fps(12.5), "12.5");
    }

    use super::*;

    #[test]
    fn default_is_exactly_the_guides_command() {
        let args = pipe_args(
            &RawInput::bgr24(1920, 1080, 30.0),
            &EncodeSettings::guide("h264_nvenc"),
            Path::new("output.mp4"),
        );
        assert_eq!(
            shell_line(Path::new("ffmpeg"), &args),
            "ffmpeg -y -f rawvideo -pix_fmt bgr24 -s 1920x1080 -r 30 -i - -c:v h264_nvenc -preset p1 -tune ll -rc vbr \
             -b:v 8M -maxrate 12M -bufsize 16M -bf 0 -g 60 -movflags +faststart output.mp4"
        );
    }

    #[test]
    fn opencv_writer_settings_are_opencvs() {
        let s = EncodeSettings::opencv_writer("mp4v", 1920, 1080, 30.0).unwrap();
        let args = pipe_args(&RawInput::bgr24(1920, 1080, 30.0), &s, Path::new("out.mp4"));
        // 1.5 × 1920 × 1080 × 30 bit/s.
        assert_eq!(
            shell_line(Path::new("ffmpeg"), &args),
            "ffmpeg -y -f rawvideo -pix_fmt bgr24 -s 1920x1080 -r 30 -i - -c:v mpeg4 \
             -b:v 93312000 -g 12 -qmin 3 out.mp4"
        );
        assert_eq!(
            EncodeSettings::opencv_writer("XVID", 640, 480, 25.0)
                .unwrap()
                .encoder,
            "mpeg4"
        );
        // OpenCV caps the base rate at INT_MAX / 2, then adds half of it.
        let huge = EncodeSettings::opencv_writer("mp4v", 8192, 8192, 1000.0).unwrap();
        assert_eq!(huge.bitrate.as_deref(), Some("1610612734"));
        assert!(EncodeSettings::opencv_writer("avc1", 64, 64, 30.0).is_none());
    }

    #[test]
    fn bench_output_is_browser_playable_and_pads_odd_sizes() {
        let mut settings = EncodeSettings::guide("h264_nvenc");
        settings.browser_compat = true;
        let args = pipe_args(
            &RawInput::bgr24(1919, 1080, 30.0),
            &settings,
            Path::new("o.mp4"),
        )
        .join(" ");
        assert!(args.contains("-vf pad=ceil(iw/2)*2:ceil(ih/2)*2,scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"));
        assert!(args.ends_with(
            "-colorspace bt709 -color_primaries bt709 -color_trc bt709 -color_range tv o.mp4"
        ));
        let even = browser_args(1920, 1080).join(" ");
        assert!(!even.contains("pad="));
    }

    #[test]
    fn libx264_gets_equivalent_options() {
        let args = encoder_args(&EncodeSettings::guide("libx264"));
        assert_eq!(
            args.join(" "),
            "-c:v libx264 -preset ultrafast -tune zerolatency -b:v 8M -maxrate 12M -bufsize 16M -bf 0 -g 60 -movflags +faststart"
        );
    }

    #[test]
    fn svtav1_preset_rank_and_no_vbv() {
        let mut s = EncodeSettings::guide("h264_nvenc");
        s.preset = Some("p7".into());
        let args = encoder_args(&s.for_encoder("libsvtav1"));
        assert_eq!(
            args.join(" "),
            "-c:v libsvtav1 -preset 4 -b:v 8M -g 60 -movflags +faststart"
        );
    }

    #[test]
    fn cpu_preset_names_pass_through() {
        assert_eq!(
            map_preset("veryslow", EncoderFamily::X264).as_deref(),
            Some("veryslow")
        );
    }

    /// What each pipe format asks of ffmpeg: the NVENC success path cannot run on
    /// the hardware at hand, so the command is checked here, by construction.
    #[test]
    fn pipe_formats_shape_the_command() {
        let command = |encoder: &str, pix_fmt: PixFmt| {
            let mut settings = EncodeSettings::guide(encoder);
            settings.browser_compat = true;
            settings.pix_fmt = pix_fmt;
            let input = RawInput::new(1920, 1080, 30.0, pix_fmt);
            pipe_args(&input, &settings, Path::new("o.mp4")).join(" ")
        };
        // bgr0 into NVENC: no CPU filter, the GPU converts.
        let nvenc_bgr0 = command("h264_nvenc", PixFmt::Bgr0);
        assert!(nvenc_bgr0.contains("-f rawvideo -pix_fmt bgr0 -s 1920x1080"));
        assert!(!nvenc_bgr0.contains("-vf"), "{nvenc_bgr0}");
        // bgr0 into a CPU encoder: ffmpeg converts, to BT.709 yuv420p.
        assert!(command("libx264", PixFmt::Bgr0).contains("out_color_matrix=bt709"));
        // yuv420p from Rust: tagged BT.709, nothing converted.
        let yuv = command("h264_nvenc", PixFmt::Yuv420p);
        assert!(yuv.contains("-pix_fmt yuv420p -s 1920x1080"));
        assert!(!yuv.contains("-vf"), "{yuv}");
        assert!(yuv
            .contains("-colorspace bt709 -color_primaries bt709 -color_trc bt709 -color_range tv"));
        // bgr24, the guide's: ffmpeg's conversion filter.
        assert!(command("h264_nvenc", PixFmt::Bgr24).contains("-vf scale=out_color_matrix=bt709"));
    }

    #[test]
    fn frame_bytes_per_format() {
        let mut input = RawInput::bgr24(4, 2, 30.0);
        assert_eq!(input.frame_bytes(), 24);
        input.pix_fmt = PixFmt::Bgr0;
        assert_eq!(input.frame_bytes(), 32);
        input.pix_fmt = PixFmt::Yuv420p;
        assert_eq!(input.frame_bytes(), 12);
    }

    #[test]
    fn fractional_fps_kept() {
        assert_eq!(format_fps(29.97), "29.97");
        assert_eq!(format_fps(30.0), "30");
    }

    #[test]
    fn only_nvenc_is_told_its_gpu() {
        let on = |encoder: &str| {
            let settings = EncodeSettings {
                gpu: Some(1),
                ..EncodeSettings::guide(encoder)
            };
            let args = encoder_args(&settings);
            args.iter()
                .position(|a| a == "-gpu")
                .map(|i| args[i + 1].clone())
        };
        assert_eq!(on("h264_nvenc").as_deref(), Some("1"));
        assert_eq!(on("hevc_nvenc").as_deref(), Some("1"));
        assert_eq!(on("libx264"), None);
        assert_eq!(on("libsvtav1"), None);
        assert!(!encoder_args(&EncodeSettings::guide("h264_nvenc")).contains(&"-gpu".to_string()));
    }
}
