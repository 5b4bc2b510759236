//! `bench --snapshot N`: frame N of a workload drawn by each style, as PNG.

use std::path::{Path, PathBuf};

use anyhow::bail;

use super::{Overlay, StyleKind};
use crate::workload::Workload;

/// What a snapshot wrote, style by style: a file, or why a style was skipped.
pub enum Snapshot {
    Written(PathBuf),
    Skipped {
        style: &'static str,
        why: &'static str,
    },
}

/// Frame `n` (warm-up included) drawn by each style into `dir`.
pub fn write(
    workload: &Workload,
    n: u64,
    warmup: u64,
    dir: &Path,
) -> anyhow::Result<Vec<Snapshot>> {
    // Frames past the run have no detections: their snapshot would show no overlay.
    let last = warmup + workload.info.frames;
    if n >= last {
        bail!(
            "--snapshot {n}: this run has frames 0 to {} (warm-up included); pick one of those",
            last - 1
        );
    }
    std::fs::create_dir_all(dir)?;
    let info = &workload.info;
    let mut reader = workload.reader()?;
    let mut base = crate::frame::Frame::new(info.width, info.height);
    for i in 0..=n {
        if !reader.read_into(&mut base)? {
            bail!("--snapshot {n}: the input has only {i} frames");
        }
    }
    let mut written = Vec::new();
    for kind in [StyleKind::Pillow, StyleKind::Opencv, StyleKind::Native] {
        if !kind.available() {
            written.push(Snapshot::Skipped {
                style: kind.name(),
                why: "built without OpenCV",
            });
            continue;
        }
        let mut frame = base.clone();
        Overlay::for_workload(kind, info)?.draw(&mut frame, n, &workload.detections.persons(n))?;
        let path = dir.join(format!("snapshot-frame{n}-{}.png", kind.name()));
        frame.save_png(&path)?;
        written.push(Snapshot::Written(path));
    }
    Ok(written)
}
