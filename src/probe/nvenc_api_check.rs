//! Weighs the NVENC API this ffmpeg needs against what the installed driver offers.

use serde::Serialize;

use super::gpu::GpuProbe;
use super::trial::TrialResult;
use crate::ffmpeg::info::FfmpegInfo;
use crate::ffmpeg::nvenc_api::{self, ApiVersion};
use crate::results::failure::EncodeFailure;

/// NVENC API of the static ffmpeg that `scripts/install-deps.sh --static-ffmpeg` installs
/// (imageio-ffmpeg 0.8.1, ffmpeg 9.0; it prints "Required: 13.1").
pub const STATIC_FFMPEG_API: ApiVersion = ApiVersion {
    major: 13,
    minor: 1,
};

#[derive(Debug, Clone, Serialize)]
pub struct NvencApiCheck {
    /// API the ffmpeg build needs, when known.
    pub ffmpeg_needs: Option<ApiVersion>,
    /// "trial encode" when ffmpeg said so itself, else "estimate from ffmpeg version".
    pub basis: Option<&'static str>,
    pub driver_version: Option<String>,
    pub driver_offers: Option<ApiVersion>,
    /// `Some(false)`: this ffmpeg's NVENC cannot work with this driver.
    pub compatible: Option<bool>,
    /// Whether the static ffmpeg (API 13.1) would work with this driver.
    pub static_ffmpeg_ok: Option<bool>,
    pub min_driver_for_ffmpeg: Option<String>,
}

pub fn check(ffmpeg: Option<&FfmpegInfo>, gpu: &GpuProbe, trials: &[TrialResult]) -> NvencApiCheck {
    let driver_version = match gpu {
        GpuProbe::Found { driver_version, .. } => Some(driver_version.clone()),
        _ => None,
    };
    let measured = trials.iter().find_map(|t| match t.failure() {
        Some(EncodeFailure::DriverTooOld {
            required_api,
            found_api,
            ..
        }) => Some((required_api.parse().ok(), found_api.parse().ok())),
        _ => None,
    });
    let nvenc_listed = ffmpeg.is_some_and(|i| {
        i.encoders
            .iter()
            .any(|e| crate::results::codec::is_nvenc(&e.name))
    });
    let (ffmpeg_needs, basis, measured_offer) = match measured {
        Some((needs, offers)) => (needs, Some("trial encode"), offers),
        None if nvenc_listed => (
            ffmpeg.and_then(|i| nvenc_api::estimated_api_for_ffmpeg(&i.version)),
            Some("estimate from ffmpeg version"),
            None,
        ),
        None => (None, None, None),
    };
    let driver_offers = measured_offer.or_else(|| {
        driver_version
            .as_deref()
            .and_then(nvenc_api::max_api_for_driver)
    });
    let compatible = match (ffmpeg_needs, driver_offers) {
        (Some(need), Some(offer)) => Some(offer >= need),
        _ => None,
    };
    NvencApiCheck {
        ffmpeg_needs,
        basis: ffmpeg_needs.and(basis),
        driver_version,
        driver_offers,
        compatible,
        static_ffmpeg_ok: driver_offers.map(|offer| offer >= STATIC_FFMPEG_API),
        min_driver_for_ffmpeg: ffmpeg_needs.and_then(nvenc_api::min_driver_for_api),
    }
}
