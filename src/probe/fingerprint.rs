//! The environment fingerprint a results file carries, read off this machine.

use crate::ffmpeg::info::FfmpegInfo;
use crate::probe::gpu::GpuProbe;
use crate::results::fingerprint::Fingerprint;

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
