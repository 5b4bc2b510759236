//! The guide's automatic fallback in a run: the chain is `probe::fallback`'s
//! (NVENC → the CPU encoder of the same codec through ffmpeg → OpenCV's
//! VideoWriter), walked with real trials remembered for the whole bench.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::ffmpeg::args::EncodeSettings;
use crate::ffmpeg::info::FfmpegInfo;
use crate::probe::container::Container;
use crate::probe::fallback::{self, Choice, Policy, Writer};
use crate::probe::gpu::GpuProbe;
use crate::probe::{trial, verdict};
use crate::results::codec::{is_nvenc, EncoderName};
use crate::results::failure::EncodeFailure;

/// Chooses writers once per requested encoder, remembering trial results; the
/// chain itself is `probe::fallback`'s, as doctor's verdict walks it.
pub struct Chooser {
    trials: Trials,
    /// What NVML says: on a GPU without an NVENC engine that is the reason, as in doctor.
    gpu: GpuProbe,
    /// The container this runs in: a driver library it lacks is a capability to grant.
    container: Option<Container>,
    policy: Policy,
}

/// Trial encodes, each run once and remembered.
struct Trials {
    ffmpeg: Option<(PathBuf, FfmpegInfo)>,
    ffmpeg_missing: Option<EncodeFailure>,
    timeout: Duration,
    /// By encoder and, for NVENC, the CUDA device it was tried on (`--gpu`).
    known: HashMap<(String, Option<u32>), Result<(), EncodeFailure>>,
    scratch: tempfile::TempDir,
}

impl Trials {
    fn works(&mut self, encoder: &str, gpu: Option<u32>) -> Result<(), EncodeFailure> {
        let key = key(encoder, gpu);
        if let Some(known) = self.known.get(&key) {
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
                let t = trial::run(binary, encoder, key.1, 8, self.timeout, self.scratch.path());
                t.failure().map_or(Ok(()), |f| Err(f.clone()))
            }
        };
        // An interrupted trial is no verdict on the encoder: not remembered.
        if !matches!(result, Err(EncodeFailure::Interrupted)) {
            self.known.insert(key, result.clone());
        }
        result
    }
}

/// A trial's key: the device matters to NVENC only (the CPU encoders are
/// the same wherever `--gpu` points).
fn key(encoder: &str, gpu: Option<u32>) -> (String, Option<u32>) {
    (encoder.to_string(), gpu.filter(|_| is_nvenc(encoder)))
}

impl Chooser {
    /// Finds ffmpeg (`binary`, else on PATH; never fatal: the OpenCV writer
    /// may still work) and prepares the trials (their scratch directory is
    /// all that can fail). A trial includes ffmpeg's
    /// start and a decode check: never less than 10 s, even with a short
    /// `write_timeout` (that one bounds a single frame's write).
    pub fn probe(
        binary: Option<&std::path::Path>,
        gpu: &GpuProbe,
        allow_fallback: bool,
        write_timeout: Duration,
    ) -> std::io::Result<Self> {
        let trial_timeout = write_timeout.clamp(Duration::from_secs(10), Duration::from_secs(15));
        let listing = crate::ffmpeg::info::Listing::Encoders;
        let ffmpeg = match crate::probe::probe_ffmpeg(binary, Duration::from_secs(10), listing) {
            crate::probe::FfmpegProbe::Found { binary, info } => Ok((binary.path, info)),
            crate::probe::FfmpegProbe::Missing { failure } => Err(failure),
        };
        Self::new(
            ffmpeg,
            gpu.clone(),
            crate::probe::container::detect(),
            cfg!(feature = "opencv"),
            allow_fallback,
            trial_timeout,
        )
    }

    pub fn new(
        ffmpeg: Result<(PathBuf, FfmpegInfo), EncodeFailure>,
        gpu: GpuProbe,
        container: Option<Container>,
        opencv: bool,
        allow_fallback: bool,
        trial_timeout: Duration,
    ) -> std::io::Result<Self> {
        let (ffmpeg, ffmpeg_missing) = match ffmpeg {
            Ok(f) => (Some(f), None),
            Err(e) => (None, Some(e)),
        };
        Ok(Self {
            trials: Trials {
                ffmpeg,
                ffmpeg_missing,
                timeout: trial_timeout,
                known: HashMap::new(),
                scratch: crate::scratch::dir("trial")?,
            },
            gpu,
            container,
            policy: Policy {
                opencv,
                allow_fallback,
            },
        })
    }

    /// A chooser with no ffmpeg whose trials already answered (tests).
    #[cfg(test)]
    pub fn with_trials(
        trials: &[(&str, Result<(), EncodeFailure>)],
        opencv: bool,
        allow_fallback: bool,
    ) -> Self {
        let mut c = Self::new(
            Err(EncodeFailure::FfmpegNotFound {
                searched: "test".into(),
            }),
            GpuProbe::NoDriver {
                detail: String::new(),
            },
            None,
            opencv,
            allow_fallback,
            Duration::from_secs(1),
        )
        .expect("a scratch directory");
        for (e, r) in trials {
            c.trials.known.insert(key(e, None), r.clone());
        }
        c
    }

    pub fn ffmpeg(&self) -> Option<&Path> {
        self.trials.ffmpeg.as_ref().map(|(p, _)| p.as_path())
    }

    /// Why there is no usable ffmpeg, when there is none (not found, not
    /// executable, not an ffmpeg), with that cause's fix.
    pub fn ffmpeg_unusable(&self) -> Option<&EncodeFailure> {
        self.trials.ffmpeg_missing.as_ref()
    }

    pub fn ffmpeg_info(&self) -> Option<&FfmpegInfo> {
        self.trials.ffmpeg.as_ref().map(|(_, i)| i)
    }

    /// Does `encoder` really encode here? (trial once, then remembered)
    pub fn works(&mut self, encoder: &str) -> Result<(), EncodeFailure> {
        self.trials.works(encoder, None)
    }

    /// Records that `encoder` failed for real after its trial passed (e.g. the
    /// NVENC session limit hit by a later case), so the next choice falls back.
    pub fn mark_failed(&mut self, encoder: &EncoderName, gpu: Option<u32>, failure: EncodeFailure) {
        self.trials
            .known
            .insert(key(encoder.as_str(), gpu), Err(failure));
    }

    /// The writer for `settings.encoder` and the settings it runs with (mapped to the
    /// fallback encoder's own preset names; none for the OpenCV writer).
    pub fn resolve(
        &mut self,
        settings: &EncodeSettings,
    ) -> Result<(Choice, Option<EncodeSettings>), EncodeFailure> {
        let choice = self.choose_on(&settings.encoder, settings.gpu)?;
        let mapped = match &choice.writer {
            Writer::Ffmpeg { encoder } => Some(settings.for_encoder(encoder)),
            Writer::Opencv { .. } => None,
        };
        Ok((choice, mapped))
    }

    /// The writer for `requested`, falling back as the guide does unless told not to.
    pub fn choose(&mut self, requested: impl Into<EncoderName>) -> Result<Choice, EncodeFailure> {
        self.choose_on(requested, None)
    }

    /// As `choose`, NVENC tried on CUDA device `device` (`--gpu`).
    pub fn choose_on(
        &mut self,
        requested: impl Into<EncoderName>,
        device: Option<u32>,
    ) -> Result<Choice, EncodeFailure> {
        let requested = requested.into();
        let (gpu, container) = (&self.gpu, self.container.as_ref());
        let trials = &mut self.trials;
        fallback::choose(
            &requested,
            &mut |e| trials.works(e, device),
            &self.policy,
            |reason| {
                // The cause as doctor words it (no engine; a container's capability).
                if requested.is_nvenc() {
                    verdict::refine(reason, gpu, container)
                } else {
                    reason
                }
            },
        )
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
        Chooser::with_trials(trials, opencv, allow)
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

    /// Doctor's verdict and the bench's chooser walk one chain: for every mix of
    /// trial outcomes, doctor's path for the nvenc mode is the writer the bench takes.
    #[test]
    fn doctor_and_the_bench_choose_the_same_writer() {
        use crate::probe::trial::{TrialOutcome, TrialResult};
        use crate::probe::{nvenc_api_check, opencv::OpenCvProbe, FfmpegProbe};
        let encoders = ["h264_nvenc", "libx264", "libx265", "libsvtav1"];
        for mask in 0..(1 << encoders.len()) {
            let outcome = |i: usize| -> Result<(), EncodeFailure> {
                if mask & (1 << i) != 0 {
                    Ok(())
                } else {
                    Err(no_cuda())
                }
            };
            let known: Vec<_> = (0..encoders.len())
                .map(|i| (encoders[i], outcome(i)))
                .collect();
            let mut c = chooser_with(&known, false, true);
            let bench = c.choose("h264_nvenc").map(|choice| choice.writer.name());

            let trials: Vec<TrialResult> = (0..encoders.len())
                .map(|i| TrialResult {
                    gpu: None,
                    encoder: encoders[i].into(),
                    command: String::new(),
                    seconds: 0.1,
                    outcome: match outcome(i) {
                        Ok(()) => TrialOutcome::Ok {
                            frames: 8,
                            bytes: 1000,
                        },
                        Err(failure) => TrialOutcome::Failed { failure },
                    },
                })
                .collect();
            let ffmpeg = FfmpegProbe::Missing { failure: no_cuda() };
            let gpu = GpuProbe::NoDriver {
                detail: String::new(),
            };
            let api = nvenc_api_check::check(None, &gpu, &trials);
            let verdict =
                verdict::decide(&ffmpeg, &gpu, &api, &OpenCvProbe::NotBuilt, &trials, None);
            let doctor = verdict.modes[2].path.as_deref();
            match (&bench, doctor) {
                (Ok(writer), Some(path)) => {
                    assert!(
                        path.starts_with(&format!("{writer} ")),
                        "{mask}: {writer} vs {path}"
                    )
                }
                (Err(_), None) => {}
                _ => panic!("{mask:b}: the bench chose {bench:?}, doctor says {doctor:?}"),
            }
            assert_eq!(
                verdict.cpu_fallback.as_deref(),
                (mask & 0b10 != 0).then_some("libx264"),
                "{mask:b}: only the same codec stands in"
            );
        }
    }

    #[test]
    fn missing_ffmpeg_is_the_reason() {
        let mut c = chooser_with(&[], true, true);
        let choice = c.choose("h264_nvenc").unwrap();
        assert_eq!(choice.fallback.unwrap().reason.kind(), "ffmpeg_not_found");
    }
}
