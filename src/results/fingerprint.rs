//! The environment a timing came from: CPU, cores, RAM, OS, GPU, driver, CUDA,
//! ffmpeg build, OpenCV, tool version and commit.

use serde::{Deserialize, Serialize};

use crate::ffmpeg::info::FfmpegInfo;
use crate::probe::gpu::GpuProbe;
use crate::probe::host::Host;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub host: Host,
    pub gpus: Vec<String>,
    pub nvidia_driver: Option<String>,
    pub cuda_driver: Option<String>,
    pub ffmpeg_path: Option<String>,
    pub ffmpeg_version: Option<String>,
    pub ffmpeg_configuration: Vec<String>,
    pub opencv_version: Option<String>,
    pub tool_version: String,
    pub git_commit: String,
}

pub fn collect(ffmpeg: Option<(&std::path::Path, &FfmpegInfo)>, gpu: &GpuProbe) -> Fingerprint {
    let (gpus, nvidia_driver, cuda_driver) = match gpu {
        GpuProbe::Found {
            driver_version,
            cuda_driver_version,
            gpus,
        } => (
            gpus.iter().map(|g| g.name.clone()).collect(),
            Some(driver_version.clone()),
            cuda_driver_version.clone(),
        ),
        _ => (Vec::new(), None, None),
    };
    Fingerprint {
        host: crate::probe::host::probe(),
        gpus,
        nvidia_driver,
        cuda_driver,
        ffmpeg_path: ffmpeg.map(|(p, _)| p.display().to_string()),
        ffmpeg_version: ffmpeg.map(|(_, i)| i.version.clone()),
        ffmpeg_configuration: ffmpeg
            .map(|(_, i)| i.configuration.clone())
            .unwrap_or_default(),
        opencv_version: opencv_version(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: crate::GIT_COMMIT.to_string(),
    }
}

#[cfg(feature = "opencv")]
fn opencv_version() -> Option<String> {
    opencv::core::get_version_string().ok()
}

#[cfg(not(feature = "opencv"))]
fn opencv_version() -> Option<String> {
    None
}
