//! ffmpeg's allocator, set from outside through glibc's tunables.
//!
//! ffmpeg's rawvideo demuxer allocates one packet a frame. Above glibc's mmap
//! threshold each packet is a fresh mmap, zeroed page by page; glibc raises the
//! threshold after the first free, but trims the heap back when a freed chunk
//! leaves enough at its top, and on the 16-core machine every 1080p bgr24
//! packet (6.2 MB) ended up a fresh mapping: ~1,000 page faults a frame, and
//! ffmpeg took in 280 fps from a cached file instead of ~900
//! (`lab/perf/intake`). Fixing both thresholds keeps packets in the heap.

use crate::results::FfmpegHeap;

/// The variable glibc reads its tunables from.
pub const VAR: &str = "GLIBC_TUNABLES";
/// The highest mmap threshold glibc accepts (half its 64 MiB heap size):
/// packets up to it reuse the heap (a 4K bgr24 frame is 24.9 MB).
const MMAP_THRESHOLD: u64 = 32 << 20;
// glibc ignores an mmap threshold above half its heap (64 MiB on 64-bit).
const _: () = assert!(MMAP_THRESHOLD <= 32 << 20);
/// Freed packets stay mapped until this much is free at the heap's top.
const TRIM_THRESHOLD: u64 = 128 << 20;

/// The environment variable ffmpeg is started with for `heap`, given the
/// caller's own `GLIBC_TUNABLES` (kept; a threshold it sets already wins).
pub fn env(heap: FfmpegHeap, inherited: Option<&str>) -> Option<(&'static str, String)> {
    if heap == FfmpegHeap::Glibc {
        return None;
    }
    let inherited = inherited.unwrap_or("").trim_matches(':');
    let mut parts: Vec<String> = inherited
        .split(':')
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect();
    for (key, value) in [
        ("glibc.malloc.mmap_threshold", MMAP_THRESHOLD),
        ("glibc.malloc.trim_threshold", TRIM_THRESHOLD),
    ] {
        if !parts.iter().any(|p| p.split('=').next() == Some(key)) {
            parts.push(format!("{key}={value}"));
        }
    }
    Some((VAR, parts.join(":")))
}

/// `env` for this process's environment.
pub fn env_here(heap: FfmpegHeap) -> Option<(&'static str, String)> {
    env(heap, std::env::var(VAR).ok().as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_default_sets_nothing() {
        assert_eq!(
            env(FfmpegHeap::Glibc, Some("glibc.malloc.arena_max=2")),
            None
        );
    }

    #[test]
    fn fixed_sets_both_thresholds_within_what_glibc_accepts() {
        let (var, value) = env(FfmpegHeap::Fixed, None).unwrap();
        assert_eq!(var, "GLIBC_TUNABLES");
        assert_eq!(
            value,
            "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=134217728"
        );
    }

    #[test]
    fn the_callers_tunables_are_kept_and_win() {
        let (_, value) = env(
            FfmpegHeap::Fixed,
            Some("glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=1"),
        )
        .unwrap();
        assert_eq!(
            value,
            "glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=1:glibc.malloc.mmap_threshold=33554432"
        );
    }
}
