//! How a user's video was decoded: the decoder asked for, the one that ran
//! (NVDEC falls back to ffmpeg's CPU decoder, and says why), and what decoding
//! cost in each run.

use serde::{Deserialize, Serialize};

use super::failure::EncodeFailure;

/// Who turns `--video` into frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Decoder {
    /// ffmpeg on the CPU, frames through a rawvideo pipe
    Ffmpeg,
    /// ffmpeg on the GPU's NVDEC (`-hwaccel cuda`), frames brought down through the same pipe; ffmpeg's CPU decoder where NVDEC cannot (said why)
    Nvdec,
    /// OpenCV's VideoCapture, as the guide's demo reads
    Opencv,
}

impl Decoder {
    pub fn name(self) -> &'static str {
        match self {
            Self::Ffmpeg => "ffmpeg (CPU)",
            Self::Nvdec => "NVDEC",
            Self::Opencv => "OpenCV",
        }
    }
}

impl std::fmt::Display for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Who drives NVDEC: this process (ffmpeg only demuxes; frames converted
/// on the GPU and copied into the case's buffers), or ffmpeg (`-hwaccel
/// cuda`, frames down its pipe as nv12) where this process cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NvdecRoute {
    InProcess,
    Ffmpeg,
}

/// The decoder a run asked for and the one that ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecodeChoice {
    pub requested: Decoder,
    pub ran: Decoder,
    /// How NVDEC ran (absent for the other decoders, and in older results).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<NvdecRoute>,
    /// Why the requested one did not run (NVDEC's trial decode failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<EncodeFailure>,
}

impl DecodeChoice {
    pub fn as_asked(decoder: Decoder) -> Self {
        Self {
            requested: decoder,
            ran: decoder,
            route: None,
            fallback: None,
        }
    }

    /// NVDEC as asked, driven by `route`.
    pub fn nvdec(route: NvdecRoute) -> Self {
        Self {
            route: Some(route),
            ..Self::as_asked(Decoder::Nvdec)
        }
    }

    /// "NVDEC (in this process)", "NVDEC (through ffmpeg)", or
    /// "ffmpeg (CPU) (NVDEC asked for, failed: …)".
    pub fn describe(&self) -> String {
        match &self.fallback {
            None => match self.route {
                Some(NvdecRoute::InProcess) => format!("{} (in this process)", self.ran),
                Some(NvdecRoute::Ffmpeg) => format!("{} (through ffmpeg)", self.ran),
                None => self.ran.to_string(),
            },
            Some(why) => format!("{} ({} asked for, failed: {why})", self.ran, self.requested),
        }
    }
}

/// What decoding cost in one run: the decoding process's own CPU time
/// (user + sys, from `wait4`) over the frames it handed over.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DecodeRun {
    pub decoder: Decoder,
    pub frames: u64,
    pub cpu_ms_per_frame: f64,
    /// NVDEC's nv12 converted to BGR in this process (absent for the CPU
    /// decoder, whose ffmpeg converts): its time a frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub convert_ms_per_frame: Option<f64>,
}

/// Where a GPU-resident case ran: NVDEC and the CUDA filters, or — where
/// those could not (the reason kept) — ffmpeg's CPU decoder and its
/// `overlay` filter, the same layer over the same frames.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuPath {
    pub on_gpu: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<EncodeFailure>,
    /// NVDEC and the composite driven in this process (`bench::gpu_cuda`);
    /// false: ffmpeg's CUDA filters (older results too).
    #[serde(default)]
    pub in_process: bool,
    /// Why the GPU path went through ffmpeg's filters where it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub through_ffmpeg_because: Option<String>,
}

impl GpuPath {
    /// "on the GPU", or "on the CPU (no CUDA: …)".
    pub fn describe(&self) -> String {
        match (&self.fallback, self.on_gpu) {
            (_, true) if self.in_process => {
                "decoded and composited on the GPU, driven in this process".into()
            }
            (_, true) => match &self.through_ffmpeg_because {
                Some(why) => {
                    format!("decoded and composited on the GPU by ffmpeg's CUDA filters ({why})")
                }
                None => "decoded and composited on the GPU by ffmpeg's CUDA filters".into(),
            },
            (Some(why), false) => format!("decoded and composited on the CPU: {why}"),
            (None, false) => "decoded and composited on the CPU".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fallback_names_what_was_asked_and_why() {
        let choice = DecodeChoice {
            route: None,
            requested: Decoder::Nvdec,
            ran: Decoder::Ffmpeg,
            fallback: Some(EncodeFailure::DriverLibraryMissing {
                library: "libcuda.so.1".into(),
            }),
        };
        let text = choice.describe();
        assert!(
            text.starts_with("ffmpeg (CPU) (NVDEC asked for, failed: Cannot load libcuda.so.1"),
            "{text}"
        );
        assert_eq!(DecodeChoice::as_asked(Decoder::Nvdec).describe(), "NVDEC");
    }

    #[test]
    fn nvdecs_route_and_the_gpu_paths_driver_are_said_and_kept() {
        let here = DecodeChoice::nvdec(NvdecRoute::InProcess);
        assert_eq!(here.describe(), "NVDEC (in this process)");
        let json = serde_json::to_value(&here).unwrap();
        assert_eq!(json["route"], "in_process");
        assert_eq!(
            DecodeChoice::nvdec(NvdecRoute::Ffmpeg).describe(),
            "NVDEC (through ffmpeg)"
        );
        // Older results have no route, and read as before.
        let old: DecodeChoice =
            serde_json::from_str(r#"{"requested":"nvdec","ran":"nvdec"}"#).unwrap();
        assert_eq!(old.route, None);
        let path = |in_process, because: Option<&str>| GpuPath {
            on_gpu: true,
            fallback: None,
            in_process,
            through_ffmpeg_because: because.map(String::from),
        };
        assert!(path(true, None)
            .describe()
            .ends_with("driven in this process"));
        let text = path(false, Some("NVENC takes the CUDA frames inside ffmpeg")).describe();
        assert!(
            text.contains("ffmpeg's CUDA filters (NVENC takes"),
            "{text}"
        );
        let old: GpuPath = serde_json::from_str(r#"{"on_gpu":true}"#).unwrap();
        assert!(!old.in_process);
    }
}
