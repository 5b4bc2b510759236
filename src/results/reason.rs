//! Why a case failed or was skipped: the classified ffmpeg/NVENC failure where
//! there is one, otherwise one of a few causes of nvviz-bench's own. Serialized
//! as one object with a `cause` field either way.

use serde::{Deserialize, Serialize};

use super::failure::EncodeFailure;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Reason {
    /// Causes that are not ffmpeg's. First, so that `interrupted` (a name both
    /// enums have) reads back as this one.
    Other(Cause),
    /// A classified encoder/ffmpeg failure (the doctor's causes, each with its fix).
    Encode(EncodeFailure),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum Cause {
    /// Stopped by Ctrl-C or SIGTERM; the runs finished before it are kept.
    Interrupted,
    /// The case needs something this build does not have (OpenCV).
    NotBuilt { message: String },
    /// The encoder ceiling needs a working ffmpeg encoder.
    NoFfmpegEncoder { message: String },
    /// The output did not decode back to the frames written.
    VerificationFailed { message: String },
    /// Anything else, in words.
    Error { message: String },
    /// A user's command (`bench --command`) failed: it exited non-zero, ran
    /// past its deadline, or left processes behind.
    CommandFailed { message: String },
    /// A bug in nvviz-bench met while running this case (a panic, caught): the
    /// case failed, the cases after it still ran.
    Internal { message: String },
}

impl Reason {
    pub fn interrupted() -> Self {
        Self::Other(Cause::Interrupted)
    }

    pub fn error(message: impl Into<String>) -> Self {
        Self::Other(Cause::Error {
            message: message.into(),
        })
    }

    /// The stable name of the cause ("no_nvenc_engine", "interrupted", ...).
    pub fn cause(&self) -> &'static str {
        match self {
            Self::Encode(f) => f.kind(),
            Self::Other(Cause::Interrupted) => "interrupted",
            Self::Other(Cause::NotBuilt { .. }) => "not_built",
            Self::Other(Cause::NoFfmpegEncoder { .. }) => "no_ffmpeg_encoder",
            Self::Other(Cause::VerificationFailed { .. }) => "verification_failed",
            Self::Other(Cause::Error { .. }) => "error",
            Self::Other(Cause::Internal { .. }) => "internal_error",
            Self::Other(Cause::CommandFailed { .. }) => "command_failed",
        }
    }

    pub fn is_interrupted(&self) -> bool {
        matches!(
            self,
            Self::Other(Cause::Interrupted) | Self::Encode(EncodeFailure::Interrupted)
        )
    }

    /// What to do about it, where there is something to say.
    pub fn fix(&self) -> Option<String> {
        match self {
            Self::Encode(f) => Some(f.fix()),
            Self::Other(Cause::NotBuilt { .. }) => Some(
                "build with OpenCV (the default features), or leave out the OpenCV modes".into(),
            ),
            Self::Other(Cause::CommandFailed { .. }) => Some(
                "run its command line by hand (`--export-json` keeps it as `command`; `-v` prints it) and fix it; the other cases ran".into(),
            ),
            Self::Other(Cause::Internal { .. }) => Some(
                "a bug in nvviz-bench: please report it with the command line; the other cases ran"
                    .into(),
            ),
            Self::Other(_) => None,
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Encode(e) => write!(f, "{e}"),
            Self::Other(Cause::Interrupted) => f.write_str("stopped by Ctrl-C or SIGTERM"),
            Self::Other(
                Cause::NotBuilt { message }
                | Cause::NoFfmpegEncoder { message }
                | Cause::VerificationFailed { message }
                | Cause::Error { message }
                | Cause::CommandFailed { message },
            ) => f.write_str(message),
            Self::Other(Cause::Internal { message }) => write!(f, "internal error: {message}"),
        }
    }
}

/// A failure as a case's reason: an interrupted ffmpeg is the run's interruption
/// (one cause however the signal reached it), everything else the encoder's.
impl From<EncodeFailure> for Reason {
    fn from(f: EncodeFailure) -> Self {
        match f {
            EncodeFailure::Interrupted => Self::interrupted(),
            f => Self::Encode(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_kinds_round_trip_through_one_cause_field() {
        let all = [
            Reason::Encode(EncodeFailure::NoNvencEngine {
                detail: "H100".into(),
            }),
            Reason::Encode(EncodeFailure::OutputNotWritable {
                detail: "read-only".into(),
            }),
            Reason::interrupted(),
            Reason::from(EncodeFailure::Interrupted),
            Reason::error("boom"),
            Reason::Other(Cause::VerificationFailed {
                message: "short".into(),
            }),
        ];
        for r in all {
            let v = serde_json::to_value(&r).unwrap();
            assert_eq!(v["cause"], r.cause(), "{v}");
            assert_eq!(serde_json::from_value::<Reason>(v).unwrap(), r);
        }
        assert!(Reason::from(EncodeFailure::Interrupted).is_interrupted());
        assert_eq!(
            Reason::from(EncodeFailure::Interrupted),
            Reason::interrupted()
        );
    }
}
