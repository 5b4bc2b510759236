//! Quality of an encoded output against the frames that went into the encoder:
//! PSNR and SSIM through ffmpeg's filters, VMAF where the build has libvmaf.
//! The reference frames are rendered again (workload and overlay are
//! deterministic) and piped in, so no raw video touches the disk.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::ffmpeg::args::{browser_args, format_fps};
use crate::ffmpeg::child::FfmpegProcess;
use crate::frame::Frame;
use crate::overlay::{Overlay, StyleKind};
use crate::workload::Workload;

pub use crate::results::Quality;

/// Compares `encoded` with `frames` frames of `workload` drawn with `overlay`.
pub fn measure(
    ffmpeg: &Path,
    encoded: &Path,
    workload: &Workload,
    overlay: Option<StyleKind>,
    frames: u64,
    with_vmaf: bool,
) -> anyhow::Result<Quality> {
    let info = &workload.info;
    // The reference goes through the same colour conversion (and padding) as the encode.
    let reference_chain = browser_args(info.width, info.height)[1].clone();
    let n = if with_vmaf { 3 } else { 2 };
    let mut graph = format!(
        "[1:v]{reference_chain},split={n}[r1][r2]{r3};[0:v]format=yuv420p,split={n}[d1][d2]{d3};[d1][r1]psnr;[d2][r2]ssim",
        r3 = if with_vmaf { "[r3]" } else { "" },
        d3 = if with_vmaf { "[d3]" } else { "" },
    );
    if with_vmaf {
        graph.push_str(";[d3][r3]libvmaf");
    }
    let args: Vec<String> = [
        "-hide_banner",
        "-nostats",
        "-i",
        &encoded.to_string_lossy(),
        "-f",
        "rawvideo",
        "-pix_fmt",
        "bgr24",
        "-s",
        &format!("{}x{}", info.width, info.height),
        "-r",
        &format_fps(info.fps),
        "-i",
        "-",
        "-lavfi",
        &graph,
        "-f",
        "null",
        "-",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut process =
        FfmpegProcess::spawn(ffmpeg, &args).map_err(|e| anyhow::anyhow!("quality pass: {e}"))?;
    let mut stdin = process
        .take_stdin()
        .ok_or_else(|| anyhow::anyhow!("quality pass: no stdin"))?;
    let mut reader = workload.reader()?;
    let mut draw = overlay
        .map(|k| Overlay::new(k, info.width, info.height, info.fps))
        .transpose()?;
    let mut frame = Frame::new(info.width, info.height);
    for index in 0..frames {
        if !reader.read_into(&mut frame)? {
            break;
        }
        if let Some(o) = draw.as_mut() {
            o.draw(&mut frame, index, &workload.detections.persons(index));
        }
        if stdin.write_all(&frame.data).is_err() {
            break; // ffmpeg stopped reading: its stderr says why
        }
    }
    drop(stdin);
    let status = process
        .wait(Duration::from_secs(600))
        .map_err(|e| anyhow::anyhow!("quality pass: {e}"))?;
    let lines = process.stderr_lines();
    if !status.success() {
        anyhow::bail!(
            "quality pass failed ({status}): {}",
            crate::ffmpeg::failure::last_lines(&lines).join(" | ")
        );
    }
    let mut q = parse(&lines);
    if !with_vmaf {
        q.vmaf_note = Some("this ffmpeg build has no libvmaf".into());
    }
    Ok(q)
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
