//! NVIDIA GPUs as NVML sees them. NVML's encoder capacity is no proof of an NVENC
//! engine (an H100 reports 100 and has none), so this only describes; the trial
//! encode decides.

use nvml_wrapper::enum_wrappers::device::{Clock, EncoderType};
use nvml_wrapper::error::NvmlError;
use nvml_wrapper::Nvml;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum GpuProbe {
    /// NVML answered.
    Found {
        driver_version: String,
        /// CUDA driver API version, "13.0".
        cuda_driver_version: Option<String>,
        gpus: Vec<GpuInfo>,
    },
    /// No NVML library: no NVIDIA driver on this machine (or not visible to us).
    NoDriver { detail: String },
    /// NVML is there but failed.
    Error { detail: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct GpuInfo {
    pub index: u32,
    pub name: String,
    pub uuid: Option<String>,
    pub architecture: Option<String>,
    pub memory_total_mib: Option<u64>,
    pub memory_used_mib: Option<u64>,
    /// NVML encoder capacity (0-100) per codec; `None` where NVML says not supported.
    pub encoder_capacity_h264: Option<u32>,
    pub encoder_capacity_hevc: Option<u32>,
    pub encoder_sessions: Option<u32>,
    pub encoder_average_fps: Option<u32>,
    pub encoder_average_latency_us: Option<u32>,
    pub encoder_utilization_percent: Option<u32>,
    /// NVDEC's utilisation (NVML has no decoder capacity to report).
    pub decoder_utilization_percent: Option<u32>,
    pub active_sessions: Vec<EncoderSession>,
    pub video_clock_mhz: Option<u32>,
    pub video_clock_max_mhz: Option<u32>,
    /// What we know of this model's NVENC hardware, independent of NVML.
    pub nvenc_hardware: NvencHardware,
}

#[derive(Debug, Clone, Serialize)]
pub struct EncoderSession {
    pub pid: u32,
    pub codec: String,
    pub resolution: String,
    pub average_fps: u32,
    pub average_latency_us: u32,
}

/// Whether a GPU model has NVENC engines, from NVIDIA's support matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NvencHardware {
    /// Data-centre compute parts without any NVENC engine (A100, A30, H100, H200…).
    Absent,
    /// GeForce/TITAN: NVENC present, concurrent sessions capped by the driver.
    PresentConsumer,
    /// Anything else we do not list: the trial encode decides.
    Unknown,
}

/// Compute-only parts: NVIDIA's encode/decode support matrix lists 0 NVENC for these.
const NO_NVENC_MODELS: &[&str] = &["A100", "A30", "A800", "H100", "H200", "H800", "GH200"];

pub fn nvenc_hardware(name: &str) -> NvencHardware {
    let upper = name.to_ascii_uppercase();
    let has_model = |model: &str| {
        upper
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| {
                word == model
                    || word
                        .strip_prefix(model)
                        .is_some_and(|r| r.chars().all(|c| c.is_ascii_alphabetic()))
            })
    };
    if NO_NVENC_MODELS.iter().any(|m| has_model(m)) {
        NvencHardware::Absent
    } else if upper.contains("GEFORCE") || upper.contains("TITAN") {
        NvencHardware::PresentConsumer
    } else {
        NvencHardware::Unknown
    }
}

pub fn probe() -> GpuProbe {
    let nvml = match Nvml::init() {
        Ok(nvml) => nvml,
        Err(NvmlError::LibloadingError(e)) => {
            return GpuProbe::NoDriver {
                detail: format!("libnvidia-ml.so.1 not loadable ({e})"),
            }
        }
        Err(NvmlError::DriverNotLoaded) => {
            return GpuProbe::NoDriver {
                detail: "NVIDIA kernel driver not loaded".into(),
            }
        }
        Err(e) => {
            return GpuProbe::Error {
                detail: e.to_string(),
            }
        }
    };
    let driver_version = nvml
        .sys_driver_version()
        .unwrap_or_else(|e| format!("unknown ({e})"));
    let cuda_driver_version = nvml
        .sys_cuda_driver_version()
        .ok()
        .map(|v| format!("{}.{}", v / 1000, (v % 1000) / 10));
    let count = match nvml.device_count() {
        Ok(n) => n,
        Err(e) => {
            return GpuProbe::Error {
                detail: e.to_string(),
            }
        }
    };
    let gpus = (0..count)
        .filter_map(|i| nvml.device_by_index(i).ok().map(|d| describe(i, &d)))
        .collect();
    GpuProbe::Found {
        driver_version,
        cuda_driver_version,
        gpus,
    }
}

fn describe(index: u32, device: &nvml_wrapper::Device<'_>) -> GpuInfo {
    let name = device.name().unwrap_or_else(|_| format!("GPU {index}"));
    let memory = device.memory_info().ok();
    let stats = device.encoder_stats().ok();
    let active_sessions = device
        .encoder_sessions()
        .map(|sessions| {
            sessions
                .into_iter()
                .map(|s| EncoderSession {
                    pid: s.pid,
                    codec: format!("{:?}", s.codec_type),
                    resolution: format!("{}x{}", s.hres, s.vres),
                    average_fps: s.average_fps,
                    average_latency_us: s.average_latency,
                })
                .collect()
        })
        .unwrap_or_default();
    GpuInfo {
        index,
        nvenc_hardware: nvenc_hardware(&name),
        name,
        uuid: device.uuid().ok(),
        architecture: device.architecture().ok().map(|a| a.to_string()),
        memory_total_mib: memory.as_ref().map(|m| m.total / (1024 * 1024)),
        memory_used_mib: memory.as_ref().map(|m| m.used / (1024 * 1024)),
        encoder_capacity_h264: device.encoder_capacity(EncoderType::H264).ok(),
        encoder_capacity_hevc: device.encoder_capacity(EncoderType::HEVC).ok(),
        encoder_sessions: stats.as_ref().map(|s| s.session_count),
        encoder_average_fps: stats.as_ref().map(|s| s.average_fps),
        encoder_average_latency_us: stats.as_ref().map(|s| s.average_latency),
        encoder_utilization_percent: device.encoder_utilization().ok().map(|u| u.utilization),
        decoder_utilization_percent: device.decoder_utilization().ok().map(|u| u.utilization),
        active_sessions,
        video_clock_mhz: device.clock_info(Clock::Video).ok(),
        video_clock_max_mhz: device.max_clock_info(Clock::Video).ok(),
    }
}

/// The lent H100 as NVML described it (tests/fixtures/nvml/h100_nvml.json).
#[cfg(test)]
pub(crate) fn test_h100() -> GpuProbe {
    let name = "NVIDIA H100 80GB HBM3".to_string();
    GpuProbe::Found {
        driver_version: "580.159.04".into(),
        cuda_driver_version: Some("13.0".into()),
        gpus: vec![GpuInfo {
            index: 0,
            nvenc_hardware: nvenc_hardware(&name),
            name,
            uuid: None,
            architecture: Some("Hopper".into()),
            memory_total_mib: Some(81559),
            memory_used_mib: Some(0),
            encoder_capacity_h264: Some(100),
            encoder_capacity_hevc: Some(100),
            encoder_sessions: Some(0),
            encoder_average_fps: Some(0),
            encoder_average_latency_us: Some(0),
            encoder_utilization_percent: Some(0),
            decoder_utilization_percent: Some(0),
            active_sessions: vec![],
            video_clock_mhz: None,
            video_clock_max_mhz: Some(1545),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hopper_and_ampere_compute_parts_have_no_nvenc() {
        // The name NVML reports on the lent machine (tests/fixtures/nvml/h100_nvml.json).
        let fixture: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/nvml/h100_nvml.json"
            ))
            .unwrap(),
        )
        .unwrap();
        let h100 = fixture["name"].as_str().unwrap();
        assert_eq!(nvenc_hardware(h100), NvencHardware::Absent);
        assert_eq!(
            fixture["capacity_h264"], 100,
            "NVML reports capacity although there is no engine"
        );
        for name in [
            "NVIDIA H200",
            "NVIDIA A100-SXM4-80GB",
            "NVIDIA A100 80GB PCIe",
            "NVIDIA H100 PCIe",
            "NVIDIA GH200 480GB",
        ] {
            assert_eq!(nvenc_hardware(name), NvencHardware::Absent, "{name}");
        }
    }

    #[test]
    fn encode_capable_parts_are_not_mistaken() {
        assert_eq!(nvenc_hardware("Tesla T4"), NvencHardware::Unknown);
        assert_eq!(nvenc_hardware("NVIDIA L4"), NvencHardware::Unknown);
        assert_eq!(nvenc_hardware("NVIDIA A10"), NvencHardware::Unknown);
        assert_eq!(nvenc_hardware("NVIDIA A40"), NvencHardware::Unknown);
        assert_eq!(
            nvenc_hardware("NVIDIA GeForce RTX 4090"),
            NvencHardware::PresentConsumer
        );
    }
}
