//! The environment a timing came from: CPU, cores, RAM, OS, GPU, driver, CUDA,
//! ffmpeg build, OpenCV, tool version and commit. Collected by `probe::fingerprint`.

use serde::{Deserialize, Serialize};

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

/// The machine itself: CPU model, cores, OS (collected by `probe::host`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Host {
    pub cpu_model: String,
    pub logical_cores: usize,
    pub memory_total_mib: Option<u64>,
    pub os: String,
    pub kernel: Option<String>,
    /// The node this ran on, for fleet reports: `$NVVIZ_NODE_NAME` (the
    /// Kubernetes manifests set it from `spec.nodeName`; a pod's hostname is the
    /// pod's), else `$SLURMD_NODENAME` under Slurm, else the hostname.
    #[serde(default)]
    pub node: Option<String>,
}
