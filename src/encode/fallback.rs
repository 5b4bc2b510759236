//! The guide's automatic fallback, decided by real trials (doctor's): NVENC →
//! the CPU encoder of the same codec through ffmpeg → OpenCV's VideoWriter.
//! Whatever is chosen is reported with the classified reason.

use crate::results::codec::{is_nvenc, Codec};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::ffmpeg::args::EncodeSettings;
use crate::ffmpeg::info::FfmpegInfo;
use crate::ffmpeg::EncodeFailure;
use crate::probe::container::Container;
use crate::probe::gpu::GpuProbe;
use crate::probe::{trial, verdict};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "writer", rename_all = "snake_case")]
pub enum Writer {
    Ffmpeg { encoder: String },
    Opencv { fourcc: String },
}

impl Writer {
    pub fn name(&self) -> String {
        match self {
            Self::Ffmpeg { encoder } => encoder.clone(),
            Self::Opencv { fourcc } => format!("opencv-{fourcc}"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Fallback {
    pub from: String,
    pub to: String,
    pub reason: EncodeFailure,
}

#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    pub requested: String,
    pub writer: Writer,
    pub fallback: Option<Fallback>,
}

/// The codec an encoder produces ("h264", "hevc", "av1").
pub fn codec_of(encoder: &str) -> &'static str {
    Codec::of_encoder(encoder).map_or("other", Codec::name)
}

/// CPU encoders that make the same codec, in preference order.
pub fn cpu_equivalents(codec: &str) -> &'static [&'static str] {
    Codec::parse(codec).map_or(&[], Codec::cpu_encoders)
}

/// NVENC encoder for a codec name given on the command line.
pub fn nvenc_encoder(codec: &str) -> Option<&'static str> {
    Codec::parse(codec).map(Codec::nvenc)
}

/// Chooses writers once per requested encoder, remembering trial results.
pub struct Chooser {
    ffmpeg: Option<(PathBuf, FfmpegInfo)>,
    ffmpeg_missing: Option<EncodeFailure>,
    /// What NVML says: on a GPU without an NVENC engine that is the reason, as in doctor.
    gpu: GpuProbe,
    /// The container this runs in: a driver library it lacks is a capability to grant.
    container: Option<Container>,
    opencv: bool,
    allow_fallback: bool,
    trial_timeout: Duration,
    trials: HashMap<String, Result<(), EncodeFailure>>,
    scratch: tempfile::TempDir,
}

impl Chooser {
    pub fn new(
        ffmpeg: Result<(PathBuf, FfmpegInfo), EncodeFailure>,
        gpu: GpuProbe,
        container: Option<Container>,
        opencv: bool,
        allow_fallback: bool,
        trial_timeout: Duration,
    ) -> anyhow::Result<Self> {
        let (ffmpeg, ffmpeg_missing) = match ffmpeg {
            Ok(f) => (Some(f), None),
            Err(e) => (None, Some(e)),
        };
        Ok(Self {
            ffmpeg,
            ffmpeg_missing,
            gpu,
            container,
            opencv,
            allow_fallback,
            trial_timeout,
            trials: HashMap::new(),
            scratch: crate::scratch::dir("trial")?,
        })
    }

    pub fn ffmpeg(&self) -> Option<&Path> {
        self.ffmpeg.as_ref().map(|(p, _)| p.as_path())
    }

    /// Why there is no usable ffmpeg, when there is none (not found, not
    /// executable, not an ffmpeg), with that cause's fix.
    pub fn ffmpeg_unusable(&self) -> Option<&EncodeFailure> {
        self.ffmpeg_missing.as_ref()
    }

    pub fn ffmpeg_info(&self) -> Option<&FfmpegInfo> {
        self.ffmpeg.as_ref().map(|(_, i)| i)
    }

    /// Does `encoder` really encode here? (trial once, then remembered)
    pub fn works(&mut self, encoder: &str) -> Result<(), EncodeFailure> {
        if let Some(known) = self.trials.get(encoder) {
            return known.clone();
        }
        let result = match &self.ffmpeg {
            None => Err(self
                .ffmpeg_missing
                .clone()
                .unwrap_or(EncodeFailure::FfmpegNotFound {
                    searched: "PATH".into(),
                })),
            Some((_, info)) if !info.has_encoder(encoder) => {
                Err(EncodeFailure::EncoderNotCompiled {
                    encoder: encoder.to_string(),
                })
            }
            Some((binary, _)) => {
                let t = trial::run(binary, encoder, 8, self.trial_timeout, self.scratch.path());
                t.failure().map_or(Ok(()), |f| Err(f.clone()))
            }
        };
        // An interrupted trial is no verdict on the encoder: not remembered.
        if !matches!(result, Err(EncodeFailure::Interrupted)) {
            self.trials.insert(encoder.to_string(), result.clone());
        }
        result
    }

    /// Records that `encoder` failed for real after its trial passed (e.g. the
    /// NVENC session limit hit by a later case), so the next choice falls back.
    pub fn mark_failed(&mut self, encoder: &str, failure: EncodeFailure) {
        self.trials.insert(encoder.to_string(), Err(failure));
    }

    /// The writer for `settings.encoder` and the settings it runs with (mapped to the
    /// fallback encoder's own preset names; none for the OpenCV writer).
    pub fn resolve(
        &mut self,
        settings: &EncodeSettings,
    ) -> Result<(Choice, Option<EncodeSettings>), EncodeFailure> {
        let choice = self.choose(&settings.encoder)?;
        let mapped = match &choice.writer {
            Writer::Ffmpeg { encoder } => Some(settings.for_encoder(encoder)),
            Writer::Opencv { .. } => None,
        };
        Ok((choice, mapped))
    }

    /// The writer for `requested`, falling back as the guide does unless told not to.
    pub fn choose(&mut self, requested: &str) -> Result<Choice, EncodeFailure> {
        let reason = match self.works(requested) {
            // Stopped on request: no fallback, the run stops.
            Err(EncodeFailure::Interrupted) => return Err(EncodeFailure::Interrupted),
            Ok(()) => {
                return Ok(Choice {
                    requested: requested.to_string(),
                    writer: Writer::Ffmpeg {
                        encoder: requested.to_string(),
                    },
                    fallback: None,
                })
            }
            // The cause as doctor words it (no engine; a container's capability).
            Err(reason) if is_nvenc(requested) => {
                verdict::refine(reason, &self.gpu, self.container.as_ref())
            }
            Err(reason) => reason,
        };
        if !self.allow_fallback {
            return Err(reason);
        }
        let codec = codec_of(requested);
        let cpu = cpu_equivalents(codec)
            .iter()
            .find(|e| **e != requested && self.works(e).is_ok());
        let writer = match (cpu, self.opencv) {
            (Some(encoder), _) => Writer::Ffmpeg {
                encoder: encoder.to_string(),
            },
            (None, true) => Writer::Opencv {
                fourcc: crate::ffmpeg::args::DEFAULT_FOURCC.into(),
            },
            (None, false) => return Err(reason),
        };
        Ok(Choice {
            requested: requested.to_string(),
            fallback: Some(Fallback {
                from: requested.to_string(),
                to: writer.name(),
                reason,
            }),
            writer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chooser_with(
        trials: &[(&str, Result<(), EncodeFailure>)],
        opencv: bool,
        allow: bool,
    ) -> Chooser {
        let mut c = Chooser::new(
            Err(EncodeFailure::FfmpegNotFound {
                searched: "test".into(),
            }),
            GpuProbe::NoDriver {
                detail: String::new(),
            },
            None,
            opencv,
            allow,
            Duration::from_secs(1),
        )
        .unwrap();
        for (e, r) in trials {
            c.trials.insert(e.to_string(), r.clone());
        }
        c
    }

    fn no_cuda() -> EncodeFailure {
        EncodeFailure::DriverLibraryMissing {
            library: "libcuda.so.1".into(),
        }
    }

    #[test]
    fn working_nvenc_is_used_as_is() {
        let mut c = chooser_with(&[("h264_nvenc", Ok(()))], true, true);
        let choice = c.choose("h264_nvenc").unwrap();
        assert_eq!(
            choice.writer,
            Writer::Ffmpeg {
                encoder: "h264_nvenc".into()
            }
        );
        assert!(choice.fallback.is_none());
    }

    #[test]
    fn nvenc_failure_falls_back_to_the_same_codec_on_cpu_with_the_reason() {
        let mut c = chooser_with(
            &[("hevc_nvenc", Err(no_cuda())), ("libx265", Ok(()))],
            true,
            true,
        );
        let choice = c.choose("hevc_nvenc").unwrap();
        assert_eq!(
            choice.writer,
            Writer::Ffmpeg {
                encoder: "libx265".into()
            }
        );
        let fb = choice.fallback.unwrap();
        assert_eq!(
            (fb.from.as_str(), fb.to.as_str()),
            ("hevc_nvenc", "libx265")
        );
        assert_eq!(fb.reason, no_cuda());
    }

    #[test]
    fn then_opencv_then_error() {
        let mut c = chooser_with(
            &[("h264_nvenc", Err(no_cuda())), ("libx264", Err(no_cuda()))],
            true,
            true,
        );
        assert_eq!(
            c.choose("h264_nvenc").unwrap().writer,
            Writer::Opencv {
                fourcc: "mp4v".into()
            }
        );
        let mut c = chooser_with(
            &[("h264_nvenc", Err(no_cuda())), ("libx264", Err(no_cuda()))],
            false,
            true,
        );
        assert_eq!(c.choose("h264_nvenc").unwrap_err(), no_cuda());
    }

    #[test]
    fn no_fallback_makes_it_an_error() {
        let mut c = chooser_with(
            &[("h264_nvenc", Err(no_cuda())), ("libx264", Ok(()))],
            true,
            false,
        );
        assert_eq!(c.choose("h264_nvenc").unwrap_err(), no_cuda());
    }

    #[test]
    fn on_an_h100_the_reason_is_the_missing_engine() {
        let mut c = chooser_with(
            &[("h264_nvenc", Err(no_cuda())), ("libx264", Ok(()))],
            true,
            true,
        );
        c.gpu = crate::probe::gpu::test_h100();
        let reason = c.choose("h264_nvenc").unwrap().fallback.unwrap().reason;
        assert_eq!(reason.kind(), "no_nvenc_engine");
        assert!(
            reason
                .to_string()
                .contains("NVIDIA H100 80GB HBM3 has no NVENC engine"),
            "{reason}"
        );
    }

    #[test]
    fn missing_ffmpeg_is_the_reason() {
        let mut c = chooser_with(&[], true, true);
        let choice = c.choose("h264_nvenc").unwrap();
        assert_eq!(choice.fallback.unwrap().reason.kind(), "ffmpeg_not_found");
    }
}
