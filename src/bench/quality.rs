//! Quality of an encoded output against the frames that went into the encoder:
//! PSNR and SSIM through ffmpeg's filters, VMAF where the build has libvmaf
//! (the command and its parsing: `ffmpeg::quality`). The reference frames are
//! rendered again (workload and overlay are deterministic) and piped in, so no
//! raw video touches the disk.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::ffmpeg::args::RawInput;
use crate::ffmpeg::child::FfmpegProcess;
use crate::frame::Frame;
use crate::overlay::Overlay;
use crate::results::StyleKind;
use crate::workload::Workload;

use crate::results::Quality;

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
    let reference = RawInput::bgr24(info.width, info.height, info.fps);
    let args = crate::ffmpeg::quality::args(encoded, &reference, with_vmaf);
    let mut process =
        FfmpegProcess::spawn(ffmpeg, &args).map_err(|e| anyhow::anyhow!("quality pass: {e}"))?;
    let mut stdin = process
        .take_stdin()
        .ok_or_else(|| anyhow::anyhow!("quality pass: no stdin"))?;
    let mut reader = workload.reader()?;
    let mut draw = overlay
        .map(|k| Overlay::for_workload(k, info))
        .transpose()?;
    let mut frame = Frame::new(info.width, info.height);
    for index in 0..frames {
        if !reader.read_into(&mut frame)? {
            break;
        }
        if let Some(o) = draw.as_mut() {
            o.draw(&mut frame, index, &workload.detections.persons(index))?;
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
    let mut q = crate::ffmpeg::quality::parse(&lines);
    if !with_vmaf {
        q.vmaf_note = Some("this ffmpeg build has no libvmaf".into());
    }
    Ok(q)
}
