//! What an ffmpeg build is and can do, from `-version`, `-encoders` and
//! `-h encoder=NAME` (ffmpeg-sidecar cannot list encoders, so we parse them).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde::Serialize;

use crate::process::{run_with_timeout, ChildError};
use crate::results::codec::{Codec, CPU_ENCODERS, NVENC_ENCODERS};
use crate::results::failure::EncodeFailure;

/// libavcodec's own encoders behind OpenCV's VideoWriter fourccs (mp4v, MJPG):
/// the portable build writes the guide's OpenCV modes with them.
pub const OPENCV_WRITER_ENCODERS: &[&str] = &["mpeg4", "mjpeg"];

#[derive(Debug, Clone, Serialize)]
pub struct FfmpegInfo {
    /// "5.1.9-0+deb12u1", "9.0.2-static", …
    pub version: String,
    pub configuration: Vec<String>,
    pub nvenc_build: NvencBuild,
    /// Encoders of interest that this build lists, in our preference order.
    pub encoders: Vec<EncoderEntry>,
    /// Presets/tunes h264_nvenc accepts, when it is listed.
    pub h264_nvenc_options: Option<EncoderOptions>,
    /// What the GPU's decoders need of this build: `-hwaccels` (cuda?), the
    /// `*_cuvid` decoders, the CUDA filters the GPU-resident path uses. Listed
    /// where asked for (`Listing::WithDecoders`: doctor), else None.
    pub decode: Option<DecodeBuild>,
}

/// What `probe` lists: the encoders only (what a bench or render needs: one
/// ffmpeg start, its banner giving the version), or everything doctor shows
/// (the version on its own, `-h encoder=h264_nvenc`, the decode side: six).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Encoders,
    WithDecoders,
}

/// This build's side of NVDEC and the GPU composite.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DecodeBuild {
    pub hwaccels: Vec<String>,
    pub cuvid_decoders: Vec<String>,
    /// Of `ffmpeg::gpu::CUDA_FILTERS`, those listed.
    pub cuda_filters: Vec<String>,
}

impl DecodeBuild {
    pub fn has_cuda_hwaccel(&self) -> bool {
        self.hwaccels.iter().any(|h| h == "cuda")
    }

    /// The CUDA filters the composite needs that this build lacks.
    pub fn missing_filters(&self) -> Vec<&'static str> {
        super::gpu::CUDA_FILTERS
            .into_iter()
            .filter(|f| !self.cuda_filters.iter().any(|have| have == f))
            .collect()
    }
}

/// `-hwaccels`: the method names after the header line.
pub fn parse_hwaccels(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.ends_with(':'))
        .map(str::to_string)
        .collect()
}

/// `-decoders` / `-filters`: the names (second column) that `keep` accepts.
pub fn parse_listed(text: &str, keep: impl Fn(&str) -> bool) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter(|name| keep(name))
        .map(str::to_string)
        .collect()
}

impl FfmpegInfo {
    pub fn has_encoder(&self, name: &str) -> bool {
        self.encoders.iter().any(|e| e.name == name)
    }

    pub fn has_libvmaf(&self) -> bool {
        self.configuration.iter().any(|c| c == "--enable-libvmaf")
    }
}

/// How the build configuration treats NVENC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NvencBuild {
    /// `--enable-nvenc` or `--enable-ffnvcodec` in the configuration.
    Explicit,
    /// Not named, but the build lists *_nvenc encoders (ffnvcodec autodetected, as Debian's).
    Autodetected,
    /// `--disable-nvenc` / `--disable-ffnvcodec`, or no *_nvenc encoder listed.
    Absent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EncoderEntry {
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EncoderOptions {
    pub presets: Vec<String>,
    pub tunes: Vec<String>,
    pub pix_fmts: Vec<String>,
}

/// Runs the queries `listing` asks for against `binary`, all at once: each is
/// an ffmpeg start (most of its time is loading ffmpeg's libraries), so
/// together they take about as long as one wherever there are cores to spare.
pub fn probe(
    binary: &Path,
    timeout: Duration,
    listing: Listing,
) -> Result<FfmpegInfo, EncodeFailure> {
    if listing == Listing::Encoders {
        return probe_encoders(binary, timeout);
    }
    let h264 = Codec::H264.nvenc();
    let h264_help = format!("encoder={h264}");
    let queries: [&[&str]; 6] = [
        &["-hide_banner", "-version"],
        &["-hide_banner", "-encoders"],
        &["-hide_banner", "-h", &h264_help],
        &["-hide_banner", "-hwaccels"],
        &["-hide_banner", "-decoders"],
        &["-hide_banner", "-filters"],
    ];
    // Each query an ffmpeg start, all at once: together about as long as one.
    let [version_out, encoders_out, help, hwaccels, decoders, filters] =
        std::thread::scope(|scope| {
            queries
                .map(|args| scope.spawn(move || query(binary, args, timeout)))
                .map(|q| q.join().expect("an ffmpeg query thread panicked"))
        });
    let mut info = from_listings(&version_out?.stdout, &encoders_out?.stdout)?;
    info.h264_nvenc_options = help
        .ok()
        .filter(|_| info.has_encoder(h264))
        .map(|help| parse_encoder_help(&help.stdout));
    // Best effort: a build that cannot list these has none of them.
    let [hwaccels, decoders, filters] =
        [hwaccels, decoders, filters].map(|q| q.map(|q| q.stdout).unwrap_or_default());
    info.decode = Some(DecodeBuild {
        hwaccels: parse_hwaccels(&hwaccels),
        cuvid_decoders: parse_listed(&decoders, |n| n.ends_with("_cuvid")),
        cuda_filters: parse_listed(&filters, |n| super::gpu::CUDA_FILTERS.contains(&n)),
    });
    Ok(info)
}

/// A bench's or render's listing in one ffmpeg start: `-encoders` without
/// `-hide_banner`, whose banner (stderr) carries the version and
/// configuration `-version` prints. A wrapper that hides the banner costs
/// the `-version` start after all.
fn probe_encoders(binary: &Path, timeout: Duration) -> Result<FfmpegInfo, EncodeFailure> {
    let listed = query(binary, &["-encoders"], timeout)?;
    let version = if parse_version(&listed.stderr).is_some() {
        listed.stderr
    } else {
        query(binary, &["-hide_banner", "-version"], timeout)?.stdout
    };
    from_listings(&version, &listed.stdout)
}

/// The build as `-version` and `-encoders` describe it.
fn from_listings(version_out: &str, encoders_out: &str) -> Result<FfmpegInfo, EncodeFailure> {
    let (version, configuration) =
        parse_version(version_out).ok_or_else(|| EncodeFailure::FfmpegUnusable {
            detail: format!(
                "`-version` printed no ffmpeg version line (got: {})",
                first_line(version_out)
            ),
        })?;
    let all_encoders = parse_encoders(encoders_out);
    // The encoders the guide's modes can use, hardware first.
    let encoders: Vec<EncoderEntry> = NVENC_ENCODERS
        .iter()
        .chain(&CPU_ENCODERS)
        .chain(OPENCV_WRITER_ENCODERS)
        .filter_map(|want| all_encoders.iter().find(|e| e.name == *want).cloned())
        .collect();
    let nvenc_build = nvenc_build(&configuration, &encoders);
    Ok(FfmpegInfo {
        version,
        configuration,
        nvenc_build,
        encoders,
        h264_nvenc_options: None,
        decode: None,
    })
}

/// What one query printed.
struct Printed {
    stdout: String,
    stderr: String,
}

fn query(binary: &Path, args: &[&str], timeout: Duration) -> Result<Printed, EncodeFailure> {
    let out = run_with_timeout(Command::new(binary).args(args), timeout).map_err(|e| match e {
        ChildError::Timeout { seconds, .. } => EncodeFailure::Timeout { seconds },
        ChildError::Spawn { source, .. }
            if source.kind() == std::io::ErrorKind::PermissionDenied =>
        {
            EncodeFailure::FfmpegNotExecutable {
                path: binary.display().to_string(),
            }
        }
        ChildError::Spawn { source, .. } => EncodeFailure::FfmpegUnusable {
            detail: format!("could not start {}: {source}", binary.display()),
        },
        // The run stops as a whole right after (exit 130).
        ChildError::Interrupted => EncodeFailure::Interrupted,
    })?;
    if !out.status.success() {
        return Err(EncodeFailure::FfmpegUnusable {
            detail: format!(
                "`{} {}` failed ({}): {}",
                binary.display(),
                args.join(" "),
                out.status,
                first_line(&format!("{}{}", out.stderr, out.stdout))
            ),
        });
    }
    // ffmpeg prints listings on stdout; some wrappers use stderr.
    Ok(if out.stdout.trim().is_empty() {
        Printed {
            stdout: out.stderr,
            stderr: String::new(),
        }
    } else {
        Printed {
            stdout: out.stdout,
            stderr: out.stderr,
        }
    })
}

fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("(nothing)");
    line.chars().take(120).collect()
}

/// Version and configuration flags from `ffmpeg -version`.
pub fn parse_version(text: &str) -> Option<(String, Vec<String>)> {
    let version = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("ffmpeg version "))?
        .split_whitespace()
        .next()?
        .to_string();
    let configuration = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("configuration:"))
        .map(|c| c.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    Some((version, configuration))
}

/// Rows of `ffmpeg -encoders` (" V....D libx264   libx264 H.264 …").
pub fn parse_encoders(text: &str) -> Vec<EncoderEntry> {
    text.lines()
        .skip_while(|l| !l.trim_start().starts_with("------"))
        .skip(1)
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let flags = parts.next()?;
            if flags.len() != 6 || !flags.starts_with(['V', 'A', 'S']) {
                return None;
            }
            let name = parts.next()?.to_string();
            let description = parts.collect::<Vec<_>>().join(" ");
            Some(EncoderEntry { name, description })
        })
        .collect()
}

/// Named values of `-preset` and `-tune`, and the pixel formats, from `-h encoder=NAME`.
pub fn parse_encoder_help(text: &str) -> EncoderOptions {
    let mut options = EncoderOptions::default();
    let mut current: Option<&str> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(formats) = trimmed.strip_prefix("Supported pixel formats:") {
            options.pix_fmts = formats.split_whitespace().map(str::to_string).collect();
            continue;
        }
        let indent = line.len() - trimmed.len();
        if trimmed.starts_with('-') {
            current = trimmed.split_whitespace().next();
            continue;
        }
        // Named values sit deeper than their option line.
        if indent < 4 || trimmed.is_empty() {
            current = None;
            continue;
        }
        let Some(value) = trimmed.split_whitespace().next() else {
            continue;
        };
        match current {
            Some("-preset") => options.presets.push(value.to_string()),
            Some("-tune") => options.tunes.push(value.to_string()),
            _ => {}
        }
    }
    options
}

fn nvenc_build(configuration: &[String], encoders: &[EncoderEntry]) -> NvencBuild {
    let says = |flag: &str| configuration.iter().any(|c| c == flag);
    if says("--disable-nvenc") || says("--disable-ffnvcodec") {
        NvencBuild::Absent
    } else if says("--enable-nvenc") || says("--enable-ffnvcodec") {
        NvencBuild::Explicit
    } else if encoders
        .iter()
        .any(|e| crate::results::codec::is_nvenc(&e.name))
    {
        NvencBuild::Autodetected
    } else {
        NvencBuild::Absent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/ffmpeg/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    /// A fake ffmpeg answering from the Debian fixtures, each start logged;
    /// with `banner`, `-encoders` prints the version on stderr as ffmpeg does.
    fn fake(dir: &Path, banner: bool) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let fixtures = format!("{}/tests/fixtures/ffmpeg", env!("CARGO_MANIFEST_DIR"));
        let banner = if banner {
            format!("case \" $* \" in *\" -hide_banner \"*) ;; *) cat {fixtures}/debian-5.1_version.txt >&2 ;; esac")
        } else {
            String::new()
        };
        let script = format!(
            "#!/bin/sh\necho \"$*\" >> {log}\ncase \" $* \" in\n*\" -version \"*) cat {fixtures}/debian-5.1_version.txt ;;\n*\" -encoders \"*) {banner}\n cat {fixtures}/debian-5.1_encoders.txt ;;\nesac\n",
            log = dir.join("log").display()
        );
        let path = dir.join("ffmpeg");
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn a_bench_lists_in_one_start_unless_the_banner_is_hidden() {
        for (banner, starts) in [(true, 1), (false, 2)] {
            let dir = tempfile::tempdir().unwrap();
            let info = probe(
                &fake(dir.path(), banner),
                Duration::from_secs(10),
                Listing::Encoders,
            )
            .unwrap();
            assert_eq!(info.version, "5.1.9-0+deb12u1");
            assert!(info.configuration.contains(&"--enable-libx264".to_string()));
            assert!(info.has_encoder("libx264") && info.has_encoder("h264_nvenc"));
            assert_eq!(info.nvenc_build, NvencBuild::Autodetected);
            let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
            assert_eq!(log.lines().count(), starts, "banner {banner}: {log}");
        }
    }

    #[test]
    fn debian_version_and_configuration() {
        let (version, config) = parse_version(&fixture("debian-5.1_version.txt")).unwrap();
        assert_eq!(version, "5.1.9-0+deb12u1");
        assert!(config.contains(&"--enable-libx264".to_string()));
        assert!(!config.iter().any(|c| c.contains("nvenc")));
    }

    #[test]
    fn debian_encoders_include_nvenc_but_not_av1_nvenc() {
        let all = parse_encoders(&fixture("debian-5.1_encoders.txt"));
        let names: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
        for want in [
            "h264_nvenc",
            "hevc_nvenc",
            "libx264",
            "libx265",
            "libsvtav1",
            "libaom-av1",
        ] {
            assert!(names.contains(&want), "{want} missing");
        }
        assert!(!names.contains(&"av1_nvenc"));
        // The legend rows (" V..... = Video") are not encoders.
        assert!(!names.contains(&"="));
        let x264 = all.iter().find(|e| e.name == "libx264").unwrap();
        assert!(x264.description.starts_with("libx264 H.264"));
    }

    #[test]
    fn debian_build_autodetects_nvenc() {
        let (_, config) = parse_version(&fixture("debian-5.1_version.txt")).unwrap();
        let encoders = parse_encoders(&fixture("debian-5.1_encoders.txt"));
        assert_eq!(nvenc_build(&config, &encoders), NvencBuild::Autodetected);
        assert_eq!(
            nvenc_build(&["--disable-nvenc".into()], &encoders),
            NvencBuild::Absent
        );
        assert_eq!(
            nvenc_build(&["--enable-nvenc".into()], &[]),
            NvencBuild::Explicit
        );
    }

    #[test]
    fn h264_nvenc_presets_and_tunes() {
        let options = parse_encoder_help(&fixture("debian-5.1_h264_nvenc_help.txt"));
        for p in ["p1", "p4", "p7", "ll", "llhq", "slow"] {
            assert!(options.presets.contains(&p.to_string()), "preset {p}");
        }
        assert_eq!(options.tunes, ["hq", "ll", "ull", "lossless"]);
        assert!(options.pix_fmts.contains(&"bgr0".to_string()));
        assert!(!options.pix_fmts.contains(&"bgr24".to_string()));
    }

    #[test]
    fn garbage_has_no_version() {
        assert!(parse_version("hello world\n").is_none());
        assert!(parse_encoders("garbage\n------\nnot an encoder line").is_empty());
    }

    #[test]
    fn what_each_build_offers_nvdec_and_the_gpu_composite() {
        let read = |name: &str| {
            std::fs::read_to_string(format!(
                "{}/tests/fixtures/ffmpeg/{name}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap()
        };
        for build in ["static-9.0.2", "debian-5.1"] {
            let hw = parse_hwaccels(&read(&format!("{build}_hwaccels.txt")));
            assert!(hw.contains(&"cuda".to_string()), "{build}: {hw:?}");
            assert!(!hw.iter().any(|h| h.contains("acceleration")));
            let cuvid = parse_listed(&read(&format!("{build}_decoders-cuvid.txt")), |n| {
                n.ends_with("_cuvid")
            });
            for codec in ["h264_cuvid", "hevc_cuvid", "av1_cuvid"] {
                assert!(cuvid.contains(&codec.to_string()), "{build}: {cuvid:?}");
            }
        }
        let filters = |build: &str| DecodeBuild {
            cuda_filters: parse_listed(&read(&format!("{build}_filters-cuda.txt")), |n| {
                super::super::gpu::CUDA_FILTERS.contains(&n)
            }),
            ..DecodeBuild::default()
        };
        assert!(filters("static-9.0.2").missing_filters().is_empty());
        assert!(filters("debian-5.1").missing_filters().is_empty());
        // A build without overlay_cuda (one built without CUDA's compiler).
        let without: String = read("static-9.0.2_filters-cuda.txt")
            .lines()
            .filter(|l| !l.contains("overlay_cuda"))
            .collect::<Vec<_>>()
            .join("\n");
        let build = DecodeBuild {
            cuda_filters: parse_listed(&without, |n| super::super::gpu::CUDA_FILTERS.contains(&n)),
            ..DecodeBuild::default()
        };
        assert_eq!(build.missing_filters(), ["overlay_cuda"]);
    }
}
