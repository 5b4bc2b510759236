//! NVENC API versions against NVIDIA driver versions.
//!
//! An ffmpeg binary speaks the NVENC API of the nv-codec-headers it was built
//! with; the driver must offer that API or newer. This table is what lets doctor
//! say "this ffmpeg will not work with your driver" before a user downloads it.

use serde::Serialize;

/// (API version, minimum Linux driver) from the nv-codec-headers / Video Codec SDK
/// release notes; 13.1 → 610 is what the static ffmpeg 9.0 prints itself.
/// (major, minor) of an API or a driver.
type MajorMinor = (u32, u32);

const MIN_LINUX_DRIVER: &[(MajorMinor, MajorMinor)] = &[
    ((9, 0), (410, 48)),
    ((9, 1), (418, 30)),
    ((10, 0), (450, 51)),
    ((11, 0), (455, 27)),
    ((11, 1), (470, 57)),
    ((12, 0), (520, 56)),
    ((12, 1), (530, 41)),
    ((12, 2), (550, 54)),
    ((13, 0), (570, 0)),
    ((13, 1), (610, 0)),
];

/// API that upstream-style builds of an ffmpeg release use (the newest headers of
/// their time). Distribution builds may use older headers, so this is an estimate
/// until a trial encode or the error message says otherwise.
const API_BY_FFMPEG_MAJOR: &[(u32, (u32, u32))] = &[
    (4, (11, 0)),
    (5, (11, 1)),
    (6, (12, 1)),
    (7, (12, 2)),
    (8, (13, 0)),
    (9, (13, 1)),
];

/// Serialized as "13.1".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion {
    pub major: u32,
    pub minor: u32,
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl Serialize for ApiVersion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl std::str::FromStr for ApiVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (major, minor) =
            parse_major_minor(s).ok_or_else(|| format!("not an API version: {s}"))?;
        Ok(Self { major, minor })
    }
}

fn parse_major_minor(s: &str) -> Option<(u32, u32)> {
    let mut parts = s.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
    Some((major, minor))
}

/// Newest NVENC API a Linux driver version (e.g. "580.159.04") offers, if known.
pub fn max_api_for_driver(driver: &str) -> Option<ApiVersion> {
    let driver = parse_major_minor(driver)?;
    MIN_LINUX_DRIVER
        .iter()
        .filter(|(_, min)| driver >= *min)
        .map(|((major, minor), _)| ApiVersion {
            major: *major,
            minor: *minor,
        })
        .max()
}

/// Minimum Linux driver for an API version, as "610.00"-style text.
pub fn min_driver_for_api(api: ApiVersion) -> Option<String> {
    MIN_LINUX_DRIVER
        .iter()
        .find(|((major, minor), _)| (*major, *minor) == (api.major, api.minor))
        .map(|(_, (major, minor))| format!("{major}.{minor:02}"))
}

/// Estimated API an ffmpeg build needs, from its version string ("5.1.9-0+deb12u1", "9.0.2-static").
pub fn estimated_api_for_ffmpeg(version: &str) -> Option<ApiVersion> {
    // Release builds start with the number ("5.1.9", "n7.1"); git snapshots ("N-1234-g…") carry none.
    let version = version.strip_prefix('n').unwrap_or(version);
    let major: u32 = version
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    API_BY_FFMPEG_MAJOR
        .iter()
        .rev()
        .find(|(m, _)| major >= *m)
        .map(|(_, (major, minor))| ApiVersion {
            major: *major,
            minor: *minor,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(s: &str) -> ApiVersion {
        s.parse().unwrap()
    }

    #[test]
    fn h100_driver_580_offers_13_0_not_13_1() {
        assert_eq!(max_api_for_driver("580.159.04"), Some(api("13.0")));
    }

    #[test]
    fn driver_610_offers_13_1() {
        assert_eq!(max_api_for_driver("610.00"), Some(api("13.1")));
    }

    #[test]
    fn ancient_driver_offers_nothing_known() {
        assert_eq!(max_api_for_driver("390.12"), None);
    }

    #[test]
    fn static_ffmpeg_9_needs_13_1_and_driver_610() {
        let need = estimated_api_for_ffmpeg("9.0.2-static").unwrap();
        assert_eq!(need, api("13.1"));
        assert_eq!(min_driver_for_api(need).as_deref(), Some("610.00"));
    }

    #[test]
    fn debian_ffmpeg_5_1_works_with_470() {
        let need = estimated_api_for_ffmpeg("5.1.9-0+deb12u1").unwrap();
        assert!(max_api_for_driver("470.57.02").unwrap() >= need);
    }

    #[test]
    fn git_builds_without_a_number_are_unknown() {
        assert_eq!(estimated_api_for_ffmpeg("N-112233-gabcdef"), None);
    }
}
