//! Is this process in a container, and which NVIDIA driver capabilities did its
//! runtime grant? The NVIDIA container runtime mounts only the driver libraries
//! of the capabilities asked for in `NVIDIA_DRIVER_CAPABILITIES` (default
//! `compute,utility`): without `video` there is no `libnvidia-encode.so.1`, and
//! NVENC fails although `nvidia-smi` and NVML work — the most common "NVENC works
//! on the host, not in the container" failure.

use serde::{Deserialize, Serialize};

/// The variable the NVIDIA container runtime reads.
pub const CAPABILITIES_VAR: &str = "NVIDIA_DRIVER_CAPABILITIES";
/// What to set it to for the guide's NVENC path.
pub const CAPABILITIES_FOR_NVENC: &str = "compute,video,utility";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    Docker,
    Podman,
    Kubernetes,
    /// A container by its cgroup or `container` variable, runtime unknown.
    Other,
}

impl Runtime {
    pub fn name(self) -> &'static str {
        match self {
            Self::Docker => "Docker",
            Self::Podman => "Podman",
            Self::Kubernetes => "Kubernetes",
            Self::Other => "container",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    pub runtime: Runtime,
    /// `NVIDIA_DRIVER_CAPABILITIES` as this process sees it (unset: the
    /// runtime's default, compute and utility).
    pub driver_capabilities: Option<String>,
}

impl Container {
    /// The capabilities granted include `capability` ("video", "compute").
    pub fn grants(&self, capability: &str) -> bool {
        let caps = self
            .driver_capabilities
            .as_deref()
            .unwrap_or("compute,utility");
        caps.split(',')
            .map(str::trim)
            .any(|c| c == "all" || c == capability)
    }
}

/// What the detection reads, gathered once (so the decision is testable).
#[derive(Debug, Default, Clone)]
pub struct Markers {
    pub dockerenv: bool,
    pub containerenv: bool,
    pub kubernetes_env: bool,
    pub container_env: Option<String>,
    pub cgroup: String,
}

impl Markers {
    pub fn read() -> Self {
        let exists = |p: &str| std::path::Path::new(p).exists();
        Self {
            dockerenv: exists("/.dockerenv"),
            containerenv: exists("/run/.containerenv"),
            kubernetes_env: std::env::var_os("KUBERNETES_SERVICE_HOST").is_some(),
            container_env: std::env::var("container").ok(),
            cgroup: std::fs::read_to_string("/proc/1/cgroup").unwrap_or_default(),
        }
    }
}

pub fn detect() -> Option<Container> {
    classify(
        &Markers::read(),
        std::env::var(CAPABILITIES_VAR)
            .ok()
            .filter(|v| !v.is_empty()),
    )
}

pub fn classify(m: &Markers, driver_capabilities: Option<String>) -> Option<Container> {
    let runtime = if m.kubernetes_env || m.cgroup.contains("kubepods") {
        Runtime::Kubernetes
    } else if m.dockerenv || m.cgroup.contains("/docker") {
        Runtime::Docker
    } else if m.containerenv || m.container_env.as_deref() == Some("podman") {
        Runtime::Podman
    } else if m.container_env.is_some() || m.cgroup.contains("containerd") {
        Runtime::Other
    } else {
        return None;
    };
    Some(Container {
        runtime,
        driver_capabilities,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtimes_are_told_apart_by_their_markers() {
        let docker = Markers {
            dockerenv: true,
            ..Default::default()
        };
        assert_eq!(classify(&docker, None).unwrap().runtime, Runtime::Docker);
        let k8s = Markers {
            cgroup: "0::/kubepods/besteffort/pod1/abc\n".into(),
            ..Default::default()
        };
        assert_eq!(classify(&k8s, None).unwrap().runtime, Runtime::Kubernetes);
        let podman = Markers {
            containerenv: true,
            ..Default::default()
        };
        assert_eq!(classify(&podman, None).unwrap().runtime, Runtime::Podman);
        let host = Markers {
            cgroup: "0::/init.scope\n".into(),
            ..Default::default()
        };
        assert_eq!(classify(&host, None), None);
    }

    #[test]
    fn the_runtime_default_grants_no_video() {
        let c = |caps: Option<&str>| Container {
            runtime: Runtime::Docker,
            driver_capabilities: caps.map(str::to_string),
        };
        assert!(!c(None).grants("video"));
        assert!(c(None).grants("compute"));
        assert!(!c(Some("compute,utility")).grants("video"));
        assert!(c(Some("compute, video,utility")).grants("video"));
        assert!(c(Some("all")).grants("video"));
        assert!(c(Some(CAPABILITIES_FOR_NVENC)).grants("video"));
    }
}
