//! What a video file holds, asked of ffmpeg itself (the static ffmpeg ships
//! without ffprobe): its first video stream, its frame count, how many frames
//! really decode. Every command line for it is here, as ab-av1's `ffprobe.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ffmpeg_sidecar::event::FfmpegEvent;
use ffmpeg_sidecar::log_parser::FfmpegLogParser;

use crate::process::{run_with_timeout, ChildError};

/// Why a video could not be probed, counted or decoded through: each with
/// the file and what ffmpeg or the system said.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("video {} does not exist or is not a file", .0.display())]
    NotAFile(PathBuf),
    #[error("{} has no video stream ffmpeg can read (not a video, or truncated/corrupt): {said}", path.display())]
    NotAVideo { path: PathBuf, said: String },
    /// ffmpeg did not run to its end: `doing` is what it was asked
    /// ("probing", "counting the frames of").
    #[error("{doing} {}: {cause}", path.display())]
    Ffmpeg {
        doing: &'static str,
        path: PathBuf,
        cause: ChildError,
    },
    #[error("ffmpeg could not count the frames of {}", .0.display())]
    NoCount(PathBuf),
    #[error("decoding {}: {cause}", path.display())]
    Decode {
        path: PathBuf,
        cause: crate::ffmpeg::verify::DecodeError,
    },
    /// Ctrl-C or SIGTERM stopped it.
    #[error("stopped by Ctrl-C or SIGTERM")]
    Interrupted,
}

impl ProbeError {
    fn ffmpeg(doing: &'static str, path: &Path) -> impl FnOnce(ChildError) -> Self {
        let path = path.to_path_buf();
        move |cause| match cause {
            ChildError::Interrupted => Self::Interrupted,
            cause => Self::Ffmpeg { doing, path, cause },
        }
    }
}

/// What ffmpeg says about a file's first video stream.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoStreamInfo {
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    pub duration_seconds: Option<f64>,
    /// Average and base frame rates differ: frames are taken once each as decoded.
    pub variable_frame_rate: bool,
    /// The stream's pixel format ("yuv420p", "yuv444p").
    pub pix_fmt: Option<String>,
    /// What wrote the stream, as its metadata names it ("libx264", "h264_nvenc").
    pub written_by: Option<String>,
    /// The colour properties the stream declares.
    pub color: ColorTags,
}

/// A stream's declared range and YUV matrix, as ffmpeg names them in its
/// banner (`yuv420p(tv, bt709, progressive)`); None where it declares none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColorTags {
    /// "tv" (limited) or "pc" (full).
    pub range: Option<String>,
    /// "bt709", "smpte170m", "bt470bg", "bt2020nc", …
    pub matrix: Option<String>,
}

impl ColorTags {
    /// What the embedded clip is written with (`ffmpeg::args::browser_args`).
    pub fn bt709_limited() -> Self {
        Self {
            range: Some("tv".into()),
            matrix: Some("bt709".into()),
        }
    }

    /// YUV is read as BT.709 (else BT.601, as swscale reads an untagged stream).
    pub fn is_bt709(&self) -> bool {
        self.matrix.as_deref() == Some("bt709")
    }

    /// The tags from a banner's stream line: the parenthesis right after the
    /// pixel format (`yuv420p(tv, bt709, progressive)`; the codec's have a
    /// space before them: `h264 (High)`).
    pub fn parse(stream_line: &str) -> Self {
        let Some((_, video)) = stream_line.split_once("Video:") else {
            return Self::default();
        };
        let bytes = video.as_bytes();
        let open =
            (1..bytes.len()).find(|&i| bytes[i] == b'(' && bytes[i - 1].is_ascii_alphanumeric());
        let Some(inner) = open.and_then(|i| {
            let rest = &video[i + 1..];
            rest.find(')').map(|end| &rest[..end])
        }) else {
            return Self::default();
        };
        let mut tags = Self::default();
        for token in inner.split(',').map(str::trim) {
            match token {
                "tv" | "pc" => tags.range = Some(token.to_string()),
                "progressive" => {}
                other if tags.matrix.is_none() && !other.is_empty() && !other.contains(' ') => {
                    tags.matrix = Some(other.split('/').next().unwrap_or(other).to_string())
                }
                _ => {}
            }
        }
        tags
    }
}

/// Reads the first video stream's properties (no ffprobe needed: the static
/// ffmpeg ships without it). Size and frame rate come from the first decoded
/// frame's YUV4MPEG2 header: the rate as an exact rational (`F24000:1001`, not
/// the banner's rounded "23.98" or "1k fps"), the size in display orientation
/// (after the decoder has applied a rotation), i.e. the frames we will get.
/// Codec, duration and variable rate come from ffmpeg's banner.
pub fn probe(ffmpeg: &Path, path: &Path) -> Result<VideoStreamInfo, ProbeError> {
    if !path.is_file() {
        return Err(ProbeError::NotAFile(path.to_path_buf()));
    }
    let out = run_with_timeout(
        Command::new(ffmpeg).arg("-hide_banner").arg("-i").arg(path),
        Duration::from_secs(20),
    )
    .map_err(ProbeError::ffmpeg("probing", path))?;
    let banner = parse_probe(&out.stderr);
    // No frame decodes: the banner's reason where it has none, else ffmpeg's last word.
    let h = first_frame_header(ffmpeg, path)?.map_err(|said| ProbeError::NotAVideo {
        path: path.to_path_buf(),
        said: banner.as_ref().err().map_or(said, ToString::to_string),
    })?;
    let banner = banner.ok();
    Ok(VideoStreamInfo {
        codec: banner
            .as_ref()
            .map_or_else(|| "?".into(), |b| b.codec.clone()),
        width: h.width,
        height: h.height,
        fps: h.fps(),
        duration_seconds: banner.as_ref().and_then(|b| b.duration_seconds),
        variable_frame_rate: banner.as_ref().is_some_and(|b| b.variable_frame_rate),
        pix_fmt: banner.as_ref().and_then(|b| b.pix_fmt.clone()),
        color: banner.as_ref().map(|b| b.color.clone()).unwrap_or_default(),
        written_by: banner.and_then(|b| b.written_by),
    })
}

/// `YUV4MPEG2 W1920 H1080 F24000:1001 …`: the decoder's output size and rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Y4mHeader {
    pub width: u32,
    pub height: u32,
    pub rate: (u32, u32),
}

impl Y4mHeader {
    pub fn fps(&self) -> f64 {
        f64::from(self.rate.0) / f64::from(self.rate.1.max(1))
    }

    pub fn parse(line: &str) -> Option<Self> {
        let mut fields = line.split_whitespace();
        if fields.next()? != "YUV4MPEG2" {
            return None;
        }
        let (mut w, mut h, mut rate) = (None, None, None);
        for f in fields {
            match f.split_at(1) {
                ("W", v) => w = v.parse().ok(),
                ("H", v) => h = v.parse().ok(),
                ("F", v) => {
                    let (n, d) = v.split_once(':')?;
                    rate = Some((n.parse().ok()?, d.parse().ok()?));
                }
                _ => {}
            }
        }
        let rate: (u32, u32) = rate?;
        (rate.0 > 0 && rate.1 > 0).then_some(Self {
            width: w?,
            height: h?,
            rate,
        })
    }
}

/// The first frame's header, or (inner) what ffmpeg said where none decoded.
fn first_frame_header(ffmpeg: &Path, path: &Path) -> Result<Result<Y4mHeader, String>, ProbeError> {
    let out = run_with_timeout(
        Command::new(ffmpeg)
            .args(["-hide_banner", "-nostdin", "-v", "error", "-i"])
            .arg(path)
            .args([
                "-map",
                "0:v:0",
                "-frames:v",
                "1",
                "-pix_fmt",
                "yuv420p",
                "-strict",
                "-1",
                "-f",
                "yuv4mpegpipe",
                "-",
            ]),
        Duration::from_secs(20),
    )
    .map_err(ProbeError::ffmpeg("probing", path))?;
    let first_line = out.stdout.lines().next().unwrap_or("");
    Ok(Y4mHeader::parse(first_line).ok_or_else(|| {
        let said = out.stderr.lines().last().unwrap_or("no frame decoded");
        format!("no frame could be decoded: {said}")
    }))
}

/// No video stream in ffmpeg's banner.
#[derive(Debug, thiserror::Error)]
#[error("no video stream found")]
pub struct NoVideoStream;

pub fn parse_probe(stderr: &str) -> Result<VideoStreamInfo, NoVideoStream> {
    let mut parser = FfmpegLogParser::new(stderr.as_bytes());
    let mut duration = None;
    loop {
        match parser.parse_next_event() {
            Ok(FfmpegEvent::LogEOF) => break,
            Ok(FfmpegEvent::ParsedDuration(d)) => duration = Some(d.duration),
            Ok(FfmpegEvent::ParsedInputStream(stream)) => {
                if let Some(v) = stream.video_data() {
                    return Ok(VideoStreamInfo {
                        codec: stream.format.clone(),
                        width: v.width,
                        height: v.height,
                        fps: f64::from(v.fps),
                        duration_seconds: duration,
                        variable_frame_rate: is_variable_rate(&stream.raw_log_message),
                        pix_fmt: Some(v.pix_fmt.clone()).filter(|p| !p.is_empty()),
                        written_by: written_by(stderr),
                        color: ColorTags::parse(&stream.raw_log_message),
                    });
                }
            }
            Ok(_) | Err(_) => {}
        }
    }
    Err(NoVideoStream)
}

/// The first video stream's `encoder` metadata, as libavcodec names itself in
/// it (`Lavc60.31.102 libx264` → `libx264`; another writer's tag as it is).
pub fn written_by(stderr: &str) -> Option<String> {
    let mut lines = stderr.lines();
    lines.find(|l| l.trim_start().starts_with("Stream #") && l.contains("Video:"))?;
    lines
        .take_while(|l| !l.trim_start().starts_with("Stream #") && l.starts_with("    "))
        .find_map(|l| {
            let (key, value) = l.split_once(':')?;
            (key.trim() == "encoder").then(|| value.trim())
        })
        .map(|tag| match tag.split_once(' ') {
            Some((lavc, name)) if lavc.starts_with("Lavc") => name.trim().to_string(),
            _ => tag.to_string(),
        })
        .filter(|t| !t.is_empty())
}

/// "25", "23.98", "1k" (ffmpeg's banner writes 1000 as 1k) → a number.
fn rate_number(t: &str) -> Option<f64> {
    match t.strip_suffix('k') {
        Some(k) => k.parse::<f64>().ok().map(|v| v * 1000.0),
        None => t.parse().ok(),
    }
}

/// `30 fps, 25 tbr`: the average rate differs from the stream's base rate.
fn is_variable_rate(stream_line: &str) -> bool {
    let rate_before = |unit: &str| {
        let end = stream_line.find(unit)?;
        stream_line[..end]
            .rsplit([',', ' '])
            .find(|t| !t.is_empty())
            .and_then(rate_number)
    };
    match (rate_before(" fps"), rate_before(" tbr")) {
        (Some(fps), Some(tbr)) => (fps - tbr).abs() > 0.01 * tbr.max(1.0),
        _ => false,
    }
}

/// The exact number of video frames, from a stream copy into the null muxer
/// (no decoding): a duration × rate estimate is wrong for variable-rate video.
pub fn count_frames(ffmpeg: &Path, path: &Path) -> Result<u64, ProbeError> {
    let out = run_with_timeout(
        Command::new(ffmpeg)
            .args(["-hide_banner", "-nostdin", "-i"])
            .arg(path)
            .args(["-map", "0:v:0", "-c", "copy", "-f", "null", "-"]),
        Duration::from_secs(120),
    )
    .map_err(ProbeError::ffmpeg("counting the frames of", path))?;
    out.stderr
        .split(['\r', '\n'])
        .rev()
        .find_map(|line| {
            let rest = line.trim_start().strip_prefix("frame=")?;
            rest.split_whitespace().next()?.parse::<u64>().ok()
        })
        .ok_or_else(|| ProbeError::NoCount(path.to_path_buf()))
}

/// Frames that really decode (a full decode into the null muxer): fewer than
/// `count_frames` when the file is damaged part-way. Ctrl-C stops it.
pub fn decodable_frames(ffmpeg: &Path, path: &Path) -> Result<u64, ProbeError> {
    use crate::ffmpeg::verify::DecodeError;
    match crate::ffmpeg::verify::decoded_frames(ffmpeg, path, Duration::from_secs(3600)) {
        Ok(n) => Ok(n),
        // ffmpeg stopped (a signal, the deadline, no start): as a probe's.
        Err(DecodeError::Child(cause)) => Err(ProbeError::ffmpeg("decoding", path)(cause)),
        Err(cause) => Err(ProbeError::Decode {
            path: path.to_path_buf(),
            cause,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn y4m_headers_give_exact_rates() {
        let h =
            Y4mHeader::parse("YUV4MPEG2 W1920 H1080 F24000:1001 Ip A1:1 C420jpeg XYSCSS=420JPEG")
                .unwrap();
        assert_eq!((h.width, h.height, h.rate), (1920, 1080, (24000, 1001)));
        assert!((h.fps() - 23.976_023_976).abs() < 1e-9);
        assert_eq!(
            Y4mHeader::parse("YUV4MPEG2 W8 H8 F1000:1").unwrap().fps(),
            1000.0
        );
        assert!(Y4mHeader::parse("YUV4MPEG2 W8 H8 F0:0").is_none());
        assert!(Y4mHeader::parse("garbage").is_none());
        assert_eq!(rate_number("1k"), Some(1000.0));
        assert_eq!(rate_number("23.98"), Some(23.98));
    }

    #[test]
    fn parses_ffmpeg_input_description() {
        let stderr = "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'in.mp4':\n  Duration: 00:00:02.00, start: 0.000000, bitrate: 1 kb/s\n  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 320x240, 1 kb/s, 30 fps, 30 tbr, 15360 tbn (default)\nAt least one output file must be specified\n";
        let info = super::parse_probe(stderr).unwrap();
        assert_eq!((info.width, info.height), (320, 240));
        assert_eq!(info.fps, 30.0);
        assert_eq!(info.codec, "h264");
        assert_eq!(info.duration_seconds, Some(2.0));
    }

    #[test]
    fn variable_rate_is_told_by_fps_against_tbr() {
        let vfr = "Stream #0:0[0x1](und): Video: h264 (High), yuv420p(progressive), 320x240 [SAR 1:1 DAR 4:3], 27 kb/s, 13.02 fps, 25 tbr, 12800 tbn (default)";
        assert!(super::is_variable_rate(vfr));
        let cfr = "Stream #0:0: Video: h264 (High), yuv420p, 320x240, 1 kb/s, 29.97 fps, 29.97 tbr, 30k tbn";
        assert!(!super::is_variable_rate(cfr));
        assert!(!super::is_variable_rate("no rates here"));
    }

    #[test]
    fn no_stream_is_an_error() {
        assert!(super::parse_probe("garbage\n").is_err());
    }

    /// Each failure names the file and what stopped it; a signal is its own
    /// variant, not "probing: interrupted".
    #[test]
    fn probe_errors_name_the_file_and_the_cause() {
        let path = Path::new("clip.mp4");
        let timeout = ProbeError::ffmpeg("counting the frames of", path)(ChildError::Timeout {
            program: "ffmpeg".into(),
            seconds: 120.0,
        });
        assert_eq!(
            timeout.to_string(),
            "counting the frames of clip.mp4: ffmpeg did not finish within 120.0 s and was killed"
        );
        let signal = ProbeError::ffmpeg("probing", path)(ChildError::Interrupted);
        assert!(matches!(signal, ProbeError::Interrupted), "{signal:?}");
        let missing = probe(Path::new("ffmpeg"), Path::new("/nonexistent/clip.mp4")).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "video /nonexistent/clip.mp4 does not exist or is not a file"
        );
    }

    #[test]
    fn colour_tags_come_from_the_pixel_formats_parenthesis() {
        let tags = ColorTags::parse("  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709, progressive), 1920x1080 [SAR 1:1 DAR 16:9], 8012 kb/s, 30 fps");
        assert_eq!(tags, ColorTags::bt709_limited());
        assert!(tags.is_bt709());
        let sd = ColorTags::parse(
            "  Stream #0:0: Video: h264 (Main), yuv420p(tv, smpte170m/smpte170m/bt709), 720x480",
        );
        assert_eq!(sd.matrix.as_deref(), Some("smpte170m"));
        let none = ColorTags::parse("  Stream #0:0: Video: h264 (Constrained Baseline), yuv420p(progressive), 1920x1080 [SAR 1:1 DAR 16:9], 30 fps");
        assert_eq!(none, ColorTags::default());
        let msmpeg = ColorTags::parse("  Stream #0:0: Video: msmpeg4v3 (msmpeg4) (div3 / 0x33766964), yuv420p, 768x576, 816 kb/s, 10 fps");
        assert_eq!(msmpeg, ColorTags::default());
        let full = ColorTags::parse("  Stream #0:0: Video: mjpeg (Baseline), yuvj420p(pc, bt470bg/unknown/unknown), 640x480");
        assert_eq!(full.range.as_deref(), Some("pc"));
        assert_eq!(full.matrix.as_deref(), Some("bt470bg"));
    }
}
