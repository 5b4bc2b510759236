//! The environment a timing came from: CPU, cores, RAM, OS, GPU, driver, CUDA,
//! ffmpeg build, OpenCV, tool version and commit. Collected by `probe::fingerprint`.

use serde::{Deserialize, Serialize};

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
