//! The guide's fallback chain, decided in one place: doctor's verdict and the
//! bench's chooser both ask it. The requested encoder if its trial worked;
//! else the CPU encoders of the same codec through ffmpeg, in preference order;
//! else OpenCV's VideoWriter. Whatever is chosen carries the classified reason.

use serde::Serialize;

use crate::ffmpeg::args::DEFAULT_FOURCC;
use crate::results::codec::{Codec, EncoderName};
use crate::results::failure::EncodeFailure;

/// What writes the video.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "writer", rename_all = "snake_case")]
pub enum Writer {
    Ffmpeg { encoder: EncoderName },
    Opencv { fourcc: String },
}

impl Writer {
    pub fn name(&self) -> String {
        match self {
            Self::Ffmpeg { encoder } => encoder.to_string(),
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
    pub requested: EncoderName,
    pub writer: Writer,
    pub fallback: Option<Fallback>,
}

/// The CPU encoders that stand in for `requested`, in the order they are tried:
/// those of its codec, itself left out.
pub fn stand_ins(requested: &str) -> impl Iterator<Item = &'static str> + '_ {
    Codec::of_encoder(requested)
        .map_or(&[][..], Codec::cpu_encoders)
        .iter()
        .copied()
        .filter(move |e| *e != requested)
}

/// The first stand-in for `requested` that `works`.
pub fn cpu_stand_in(
    requested: &str,
    works: &mut dyn FnMut(&str) -> Result<(), EncodeFailure>,
) -> Option<&'static str> {
    stand_ins(requested).find(|e| works(e).is_ok())
}

/// How the chain is walked here.
pub struct Policy {
    /// OpenCV's VideoWriter can write (built, and its trial worked).
    pub opencv: bool,
    /// `--no-fallback` makes the requested encoder's failure the answer.
    pub allow_fallback: bool,
}

/// The writer for `requested`. `works` says whether an encoder really encodes
/// here (its trial); `refine` words the requested encoder's failure for this
/// machine (doctor's cause: no engine, a container's capability).
pub fn choose(
    requested: impl Into<EncoderName>,
    works: &mut dyn FnMut(&str) -> Result<(), EncodeFailure>,
    policy: &Policy,
    refine: impl FnOnce(EncodeFailure) -> EncodeFailure,
) -> Result<Choice, EncodeFailure> {
    let requested = requested.into();
    let reason = match works(requested.as_str()) {
        Ok(()) => {
            return Ok(Choice {
                requested: requested.clone(),
                writer: Writer::Ffmpeg {
                    encoder: requested.clone(),
                },
                fallback: None,
            })
        }
        // Stopped on request: no fallback, the run stops.
        Err(EncodeFailure::Interrupted) => return Err(EncodeFailure::Interrupted),
        Err(reason) => refine(reason),
    };
    if !policy.allow_fallback {
        return Err(reason);
    }
    let writer = match (cpu_stand_in(requested.as_str(), works), policy.opencv) {
        (Some(encoder), _) => Writer::Ffmpeg {
            encoder: encoder.into(),
        },
        (None, true) => Writer::Opencv {
            fourcc: DEFAULT_FOURCC.into(),
        },
        (None, false) => return Err(reason),
    };
    Ok(Choice {
        requested: requested.clone(),
        fallback: Some(Fallback {
            from: requested.to_string(),
            to: writer.name(),
            reason,
        }),
        writer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_cuda() -> EncodeFailure {
        EncodeFailure::DriverLibraryMissing {
            library: "libcuda.so.1".into(),
        }
    }

    fn trials<'t>(known: &'t [(&str, bool)]) -> impl FnMut(&str) -> Result<(), EncodeFailure> + 't {
        move |e| match known.iter().find(|(k, _)| *k == e) {
            Some((_, true)) => Ok(()),
            _ => Err(no_cuda()),
        }
    }

    const ANY: Policy = Policy {
        opencv: true,
        allow_fallback: true,
    };

    #[test]
    fn stand_ins_are_the_same_codec_on_the_cpu() {
        assert_eq!(stand_ins("h264_nvenc").collect::<Vec<_>>(), ["libx264"]);
        assert_eq!(
            stand_ins("av1_nvenc").collect::<Vec<_>>(),
            ["libsvtav1", "libaom-av1"]
        );
        assert_eq!(stand_ins("libsvtav1").collect::<Vec<_>>(), ["libaom-av1"]);
        assert_eq!(stand_ins("mpeg4").count(), 0);
    }

    #[test]
    fn another_codec_never_stands_in() {
        // libx265 works, libx264 does not: the h264 request goes to OpenCV.
        let mut works = trials(&[("libx265", true)]);
        let choice = choose("h264_nvenc", &mut works, &ANY, |r| r).unwrap();
        assert_eq!(
            choice.writer,
            Writer::Opencv {
                fourcc: "mp4v".into()
            }
        );
    }

    #[test]
    fn the_refined_reason_is_the_one_reported() {
        let mut works = trials(&[("libx264", true)]);
        let engine = EncodeFailure::NoNvencEngine {
            detail: "H100".into(),
        };
        let choice = choose("h264_nvenc", &mut works, &ANY, |_| engine.clone()).unwrap();
        let fallback = choice.fallback.unwrap();
        assert_eq!((fallback.to.as_str(), fallback.reason), ("libx264", engine));
    }

    #[test]
    fn an_interrupted_trial_is_not_a_reason_to_fall_back() {
        let mut works = |_: &str| Err(EncodeFailure::Interrupted);
        let got = choose("h264_nvenc", &mut works, &ANY, |r| r);
        assert_eq!(got.unwrap_err(), EncodeFailure::Interrupted);
    }
}
