//! Quality of an encode against the frames that went into it, through ffmpeg's
//! filters (as ab-av1's `vmaf.rs`): the command line — the encoded file first,
//! the reference frames raw on stdin — and the summary lines the psnr, ssim and
//! libvmaf filters print.

use std::path::Path;

use super::args::{browser_args, raw_stdin_input, RawInput};
use crate::results::Quality;

/// `ffmpeg -i ENCODED -f rawvideo … -i - -lavfi …psnr…ssim[…libvmaf] -f null -`.
/// The reference goes through the same colour conversion (and padding) as the encode.
pub fn args(encoded: &Path, reference: &RawInput, with_vmaf: bool) -> Vec<String> {
    let reference_chain = browser_args(reference.width, reference.height)[1].clone();
    let n = if with_vmaf { 3 } else { 2 };
    let mut graph = format!(
        "[1:v]{reference_chain},split={n}[r1][r2]{r3};[0:v]format=yuv420p,split={n}[d1][d2]{d3};[d1][r1]psnr;[d2][r2]ssim",
        r3 = if with_vmaf { "[r3]" } else { "" },
        d3 = if with_vmaf { "[d3]" } else { "" },
    );
    if with_vmaf {
        graph.push_str(";[d3][r3]libvmaf");
    }
    let mut args: Vec<String> = ["-hide_banner", "-nostats", "-i"]
        .map(String::from)
        .into_iter()
        .chain([encoded.to_string_lossy().into_owned()])
        .collect();
    args.extend(raw_stdin_input(reference));
    args.extend(["-lavfi".to_string(), graph]);
    args.extend(["-f", "null", "-"].map(String::from));
    args
}

/// Reads the summary lines the psnr, ssim and libvmaf filters print at the end.
pub fn parse(lines: &[String]) -> Quality {
    let value_after = |line: &str, key: &str| -> Option<f64> {
        let rest = &line[line.find(key)? + key.len()..];
        rest.split_whitespace().next()?.trim().parse().ok()
    };
    let mut q = Quality {
        psnr_db: None,
        ssim: None,
        vmaf: None,
        vmaf_note: None,
    };
    for line in lines {
        if line.contains("PSNR y:") {
            q.psnr_db = value_after(line, "average:").or(q.psnr_db);
        } else if line.contains("SSIM Y:") {
            q.ssim = value_after(line, "All:").or(q.ssim);
        } else if line.contains("VMAF score") {
            q.vmaf = line
                .rsplit([':', '='])
                .next()
                .and_then(|v| v.trim().parse().ok())
                .or(q.vmaf);
        }
    }
    q
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_filter_summaries() {
        let lines: Vec<String> = [
            "[Parsed_psnr_6 @ 0x55] PSNR y:41.50 u:45.10 v:45.90 average:42.61 min:40.9 max:44.1",
            "[Parsed_ssim_7 @ 0x56] SSIM Y:0.981 (17.2) U:0.99 (20.1) V:0.99 (20.3) All:0.985326 (18.3)",
            "[Parsed_libvmaf_8 @ 0x57] VMAF score: 93.412",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let q = super::parse(&lines);
        assert_eq!(q.psnr_db, Some(42.61));
        assert_eq!(q.ssim, Some(0.985326));
        assert_eq!(q.vmaf, Some(93.412));
    }

    #[test]
    fn inf_psnr_for_identical_frames_parses() {
        let q = super::parse(&["PSNR y:inf u:inf v:inf average:inf min:inf max:inf".to_string()]);
        assert_eq!(q.psnr_db, Some(f64::INFINITY));
    }
}

#[cfg(test)]
mod command {
    use super::*;
    use crate::pixfmt::PixFmt;

    #[test]
    fn the_encode_comes_first_and_the_reference_raw_on_stdin() {
        let raw = RawInput::new(64, 48, 30.0, PixFmt::Bgr24);
        let a = args(Path::new("/tmp/out.mp4"), &raw, false);
        let line = a.join(" ");
        assert!(line.starts_with("-hide_banner -nostats -i /tmp/out.mp4 -f rawvideo -pix_fmt bgr24 -s 64x48 -r 30 -i - -lavfi "), "{line}");
        assert!(
            line.ends_with("[d1][r1]psnr;[d2][r2]ssim -f null -"),
            "{line}"
        );
        assert!(args(Path::new("x"), &raw, true)
            .join(" ")
            .contains(";[d3][r3]libvmaf"));
    }
}
