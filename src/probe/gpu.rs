//! NVIDIA GPUs as NVML sees them. NVML's encoder capacity is no proof of an NVENC
//! engine (an H100 reports 100 and has none), so this only describes; the trial
//! encode decides.

use nvml_wrapper::enum_wrappers::device::{Clock, EncoderType};
use nvml_wrapper::error::NvmlError;
use nvml_wrapper::Nvml;
use serde::{Deserialize, Serialize};

use crate::results::gpu::GpuPin;

#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EncoderSession {
    pub pid: u32,
    pub codec: String,
    pub resolution: String,
    pub average_fps: u32,
    pub average_latency_us: u32,
}

/// Whether a GPU model has NVENC engines, from NVIDIA's support matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// `NVVIZ_GPU_PROBE`: a recorded probe to use instead of NVML's answer —
/// `doctor --json`'s `gpu` object, or the whole doctor file — to replay
/// another machine's GPUs (a node of several, here on one without).
pub const REPLAY_VAR: &str = "NVVIZ_GPU_PROBE";

pub fn probe() -> GpuProbe {
    if let Some(path) = std::env::var_os(REPLAY_VAR) {
        return replay(std::path::Path::new(&path));
    }
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

/// A recorded probe, or why it cannot be read (as NVML's own error would be).
pub fn replay(path: &std::path::Path) -> GpuProbe {
    let read = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|text| {
            serde_json::from_str::<serde_json::Value>(&text).map_err(|e| e.to_string())
        })
        .and_then(|mut value| {
            let probe = value
                .get_mut("gpu")
                .map(serde_json::Value::take)
                .unwrap_or(value);
            serde_json::from_value(probe).map_err(|e| e.to_string())
        });
    read.unwrap_or_else(|e| GpuProbe::Error {
        detail: format!("{REPLAY_VAR}={}: {e}", path.display()),
    })
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

/// `--gpu N|all`: one GPU by NVML's index, or each GPU in turn and all at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpuChoice {
    Index(u32),
    All,
}

impl std::fmt::Display for GpuChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Index(n) => write!(f, "{n}"),
            Self::All => f.write_str("all"),
        }
    }
}

impl std::str::FromStr for GpuChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "all" => Ok(Self::All),
            n => n.parse().map(Self::Index).map_err(|_| {
                format!("'{s}' is not a GPU index (0, 1, …, as nvidia-smi numbers them) or 'all'")
            }),
        }
    }
}

/// Why `--gpu` cannot be honoured, each with what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GpuPinError {
    #[error("--gpu: no NVIDIA GPU is visible here ({detail}); run without --gpu")]
    NoGpu { detail: String },
    #[error("--gpu {asked}: this machine has {count} GPU(s) ({listed}); pick 0-{} or all", count.saturating_sub(1))]
    OutOfRange {
        asked: u32,
        count: usize,
        listed: String,
    },
    #[error("--gpu {asked}: CUDA_VISIBLE_DEVICES={visible} hides GPU {asked} ({name}) from ffmpeg's NVENC and NVDEC; {shown} or unset CUDA_VISIBLE_DEVICES")]
    Hidden {
        asked: u32,
        name: String,
        visible: String,
        shown: String,
    },
    #[error("--gpu: CUDA_VISIBLE_DEVICES={visible} names a MIG instance, which --gpu cannot pin (ffmpeg's -gpu takes whole GPUs); unset it or name whole GPUs")]
    Mig { visible: String },
}

/// The GPUs `choice` names, each with the CUDA ordinal ffmpeg must be given
/// for it: NVML numbers every GPU, CUDA only those `CUDA_VISIBLE_DEVICES`
/// (`visible`) lets through, in its order (indices or `GPU-…` UUID
/// prefixes; an unknown entry ends the list, as CUDA reads it). With the
/// variable unset, CUDA's order is NVML's — exact for identical GPUs or
/// `CUDA_DEVICE_ORDER=PCI_BUS_ID`, which `note` says otherwise.
pub fn pin(
    choice: GpuChoice,
    probe: &GpuProbe,
    visible: Option<&str>,
) -> Result<Vec<GpuPin>, GpuPinError> {
    let gpus = match probe {
        GpuProbe::Found { gpus, .. } if !gpus.is_empty() => gpus,
        GpuProbe::Found { .. } => {
            return Err(GpuPinError::NoGpu {
                detail: "NVML lists none".into(),
            })
        }
        GpuProbe::NoDriver { detail } | GpuProbe::Error { detail } => {
            return Err(GpuPinError::NoGpu {
                detail: detail.clone(),
            })
        }
    };
    let order = cuda_order(gpus, visible)?;
    let pin = |g: &GpuInfo| {
        let cuda = order.iter().position(|&i| i == g.index)? as u32;
        Some(GpuPin {
            index: g.index,
            cuda,
            name: g.name.clone(),
            uuid: g.uuid.clone(),
        })
    };
    let listed = |gpus: &mut dyn Iterator<Item = &GpuInfo>| {
        gpus.map(|g| format!("{}: {}", g.index, g.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match choice {
        GpuChoice::All => {
            let pinned: Vec<GpuPin> = gpus.iter().filter_map(pin).collect();
            if pinned.is_empty() {
                return Err(GpuPinError::NoGpu {
                    detail: format!(
                        "CUDA_VISIBLE_DEVICES={} hides all {}",
                        visible.unwrap_or_default(),
                        gpus.len()
                    ),
                });
            }
            Ok(pinned)
        }
        GpuChoice::Index(asked) => {
            let Some(gpu) = gpus.iter().find(|g| g.index == asked) else {
                return Err(GpuPinError::OutOfRange {
                    asked,
                    count: gpus.len(),
                    listed: listed(&mut gpus.iter()),
                });
            };
            let shown = listed(&mut gpus.iter().filter(|g| order.contains(&g.index)));
            pin(gpu)
                .map(|p| vec![p])
                .ok_or_else(|| GpuPinError::Hidden {
                    asked,
                    name: gpu.name.clone(),
                    visible: visible.unwrap_or_default().to_string(),
                    shown: if shown.is_empty() {
                        "it shows none".into()
                    } else {
                        format!("pick a visible one ({shown})")
                    },
                })
        }
    }
}

/// NVML indices in CUDA's order of this process.
fn cuda_order(gpus: &[GpuInfo], visible: Option<&str>) -> Result<Vec<u32>, GpuPinError> {
    let Some(visible) = visible else {
        return Ok(gpus.iter().map(|g| g.index).collect());
    };
    let mut order = Vec::new();
    for entry in visible.split(',').map(str::trim) {
        if entry.starts_with("MIG-") {
            return Err(GpuPinError::Mig {
                visible: visible.to_string(),
            });
        }
        let found = match entry.parse::<u32>() {
            Ok(i) => gpus.iter().find(|g| g.index == i),
            Err(_) if entry.starts_with("GPU-") => gpus
                .iter()
                .find(|g| g.uuid.as_deref().is_some_and(|u| u.starts_with(entry))),
            Err(_) => None,
        };
        // CUDA stops at the first entry it cannot resolve; a repeat too.
        match found {
            Some(g) if !order.contains(&g.index) => order.push(g.index),
            _ => break,
        }
    }
    Ok(order)
}

/// `pin` against this process's `CUDA_VISIBLE_DEVICES`, with `pin_note`'s
/// word where it applies.
pub fn pin_here(
    choice: GpuChoice,
    probe: &GpuProbe,
) -> Result<(Vec<GpuPin>, Option<String>), GpuPinError> {
    let visible = std::env::var("CUDA_VISIBLE_DEVICES").ok();
    let pinned = pin(choice, probe, visible.as_deref())?;
    let order = std::env::var("CUDA_DEVICE_ORDER").ok();
    // Indices named in CUDA_VISIBLE_DEVICES are CUDA's, so its order matters there too.
    Ok((pinned, pin_note(probe, order.as_deref())))
}

/// The GPUs doctor's NVENC trials run on: CUDA's default device alone where
/// every GPU is the same model (it is named), else the first of each model,
/// pinned. None without a GPU CUDA can see.
pub fn trial_devices(probe: &GpuProbe, visible: Option<&str>) -> Vec<GpuPin> {
    let Ok(all) = pin(GpuChoice::All, probe, visible) else {
        return Vec::new();
    };
    let mut models: Vec<GpuPin> = Vec::new();
    for gpu in all.iter().cloned() {
        if !models.iter().any(|m| m.name == gpu.name) {
            models.push(gpu);
        }
    }
    if models.len() > 1 {
        return models;
    }
    // One model: the trials run unpinned, on CUDA's device 0.
    all.into_iter().filter(|g| g.cuda == 0).collect()
}

/// What a user should know of the pinning: CUDA may number mixed GPUs
/// fastest-first unless told `CUDA_DEVICE_ORDER=PCI_BUS_ID`.
pub fn pin_note(probe: &GpuProbe, order_var: Option<&str>) -> Option<String> {
    let GpuProbe::Found { gpus, .. } = probe else {
        return None;
    };
    let mixed = gpus.windows(2).any(|w| w[0].name != w[1].name);
    (mixed && order_var != Some("PCI_BUS_ID")).then(|| {
        "this machine mixes GPU models and CUDA_DEVICE_ORDER is not PCI_BUS_ID: CUDA may number them fastest-first, unlike nvidia-smi; set CUDA_DEVICE_ORDER=PCI_BUS_ID so --gpu N is the GPU nvidia-smi calls N".to_string()
    })
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

/// A node of several GPUs, each the lent H100 as NVML described it (with
/// its own index and UUID; no multi-GPU machine was at hand to record),
/// `names` giving a model per GPU.
#[cfg(test)]
pub(crate) fn test_node(names: &[&str]) -> GpuProbe {
    let GpuProbe::Found { gpus, .. } = test_h100() else {
        unreachable!()
    };
    let gpus = names
        .iter()
        .enumerate()
        .map(|(i, name)| GpuInfo {
            index: i as u32,
            name: name.to_string(),
            nvenc_hardware: nvenc_hardware(name),
            uuid: Some(format!("GPU-{i}a7c128b-7330-6284-dc7a-b8438c73189{i}")),
            ..gpus[0].clone()
        })
        .collect();
    GpuProbe::Found {
        driver_version: "580.159.04".into(),
        cuda_driver_version: Some("13.0".into()),
        gpus,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H100: &str = "NVIDIA H100 80GB HBM3";

    fn pins(
        choice: &str,
        node: &GpuProbe,
        visible: Option<&str>,
    ) -> Result<Vec<(u32, u32)>, GpuPinError> {
        pin(choice.parse().unwrap(), node, visible)
            .map(|p| p.iter().map(|g| (g.index, g.cuda)).collect())
    }

    #[test]
    fn every_gpu_of_a_node_is_pinned_by_its_nvml_index() {
        let node = test_node(&[H100; 4]);
        assert_eq!(
            pins("all", &node, None),
            Ok(vec![(0, 0), (1, 1), (2, 2), (3, 3)])
        );
        assert_eq!(pins("2", &node, None), Ok(vec![(2, 2)]));
        let GpuPinError::OutOfRange { count, .. } =
            pin(GpuChoice::Index(4), &node, None).unwrap_err()
        else {
            panic!()
        };
        assert_eq!(count, 4);
        let message = pin(GpuChoice::Index(9), &node, None)
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("--gpu 9: this machine has 4 GPU(s) (0: NVIDIA H100"),
            "{message}"
        );
        assert!(message.ends_with("pick 0-3 or all"), "{message}");
        assert!("x".parse::<GpuChoice>().is_err() && "-1".parse::<GpuChoice>().is_err());
    }

    #[test]
    fn cuda_visible_devices_renumbers_and_hides() {
        let node = test_node(&[H100; 4]);
        // By index: NVML's 2 and 3 become CUDA's 0 and 1.
        assert_eq!(pins("all", &node, Some("2,3")), Ok(vec![(2, 0), (3, 1)]));
        assert_eq!(pins("3", &node, Some("3,1")), Ok(vec![(3, 0)]));
        // By UUID prefix, as the NVIDIA container runtime sets it.
        assert_eq!(
            pins("all", &node, Some("GPU-1a7c,GPU-0a7c")),
            Ok(vec![(0, 1), (1, 0)])
        );
        // CUDA reads up to the first entry it cannot resolve.
        assert_eq!(pins("all", &node, Some("1,7,2")), Ok(vec![(1, 0)]));
        let hidden = pin(GpuChoice::Index(0), &node, Some("2,3")).unwrap_err();
        assert!(matches!(hidden, GpuPinError::Hidden { asked: 0, .. }));
        assert!(
            hidden.to_string().contains(
                "pick a visible one (2: NVIDIA H100 80GB HBM3, 3: NVIDIA H100 80GB HBM3)"
            ),
            "{hidden}"
        );
        let none = pin(GpuChoice::Index(0), &node, Some("7"))
            .unwrap_err()
            .to_string();
        assert!(
            none.ends_with("NVENC and NVDEC; it shows none or unset CUDA_VISIBLE_DEVICES"),
            "{none}"
        );
        assert!(matches!(
            pin(GpuChoice::All, &node, Some("")),
            Err(GpuPinError::NoGpu { .. })
        ));
        assert!(matches!(
            pin(GpuChoice::All, &node, Some("MIG-abc")),
            Err(GpuPinError::Mig { .. })
        ));
    }

    #[test]
    fn doctor_tries_each_model_once_and_names_the_default_device() {
        let same = trial_devices(&test_node(&[H100; 4]), None);
        assert_eq!(
            same.iter().map(|g| (g.index, g.cuda)).collect::<Vec<_>>(),
            [(0, 0)]
        );
        // CUDA's device 0 is NVML's GPU 2 here.
        let narrowed = trial_devices(&test_node(&[H100; 4]), Some("2,3"));
        assert_eq!(
            narrowed
                .iter()
                .map(|g| (g.index, g.cuda))
                .collect::<Vec<_>>(),
            [(2, 0)]
        );
        let mixed = trial_devices(&test_node(&[H100, H100, "Tesla T4", "Tesla T4"]), None);
        assert_eq!(
            mixed.iter().map(|g| (g.index, g.cuda)).collect::<Vec<_>>(),
            [(0, 0), (2, 2)]
        );
        assert!(trial_devices(
            &GpuProbe::NoDriver {
                detail: String::new()
            },
            None
        )
        .is_empty());
    }

    #[test]
    fn no_driver_and_mixed_models_are_said() {
        let none = GpuProbe::NoDriver {
            detail: "libnvidia-ml.so.1 not loadable".into(),
        };
        let e = pin(GpuChoice::Index(0), &none, None)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "--gpu: no NVIDIA GPU is visible here (libnvidia-ml.so.1 not loadable); run without --gpu");
        let mixed = test_node(&[H100, "Tesla T4"]);
        assert!(pin_note(&mixed, None)
            .unwrap()
            .contains("CUDA_DEVICE_ORDER=PCI_BUS_ID"));
        assert_eq!(pin_note(&mixed, Some("PCI_BUS_ID")), None);
        assert_eq!(pin_note(&test_node(&[H100; 2]), None), None);
    }

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
