//! The encoder of a case: the one asked for, the one that ran, and — when they
//! differ — the fallback with its classified cause.

use serde::{Deserialize, Serialize};

use super::failure::EncodeFailure;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    /// What the case asked for (ffmpeg sinks), as ffmpeg names it (NVENC's H.264 encoder, say).
    pub requested: Option<String>,
    /// What really wrote the frames: an ffmpeg encoder ("libx264"), OpenCV's
    /// writer ("opencv-mp4v") or "none" (frames discarded).
    pub used: Option<String>,
    /// Set when `used` is not `requested` because the requested one cannot run here.
    pub fallback: Option<Fallback>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fallback {
    pub from: String,
    pub cause: EncodeFailure,
}

use super::codec::is_nvenc;

impl Encoder {
    pub fn is_fallback(&self) -> bool {
        self.fallback.is_some()
    }

    /// The requested encoder is an NVENC one.
    pub fn requested_nvenc(&self) -> bool {
        self.requested.as_deref().is_some_and(is_nvenc)
    }

    /// NVENC really encoded this case's frames.
    pub fn used_nvenc(&self) -> bool {
        self.used.as_deref().is_some_and(is_nvenc)
    }

    /// The name of what ran, else of what was asked for ("-" if neither).
    pub fn used_or_requested(&self) -> &str {
        self.used
            .as_deref()
            .or(self.requested.as_deref())
            .unwrap_or("-")
    }
}
