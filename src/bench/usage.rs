//! CPU time of this process and of its reaped children (ffmpeg), from getrusage;
//! peak resident memory per run, from the kernel's high-water mark reset before it.

use crate::results::RssScope;

#[derive(Debug, Clone, Copy, Default)]
pub struct CpuTimes {
    pub own_s: f64,
    pub children_s: f64,
    pub max_rss_mib: f64,
}

pub fn now() -> CpuTimes {
    let read = |who| {
        // SAFETY: getrusage fills the struct we pass; zeroed is a valid starting value.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(who, &mut u) };
        u
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let own = read(libc::RUSAGE_SELF);
    let children = read(libc::RUSAGE_CHILDREN);
    CpuTimes {
        own_s: secs(own.ru_utime) + secs(own.ru_stime),
        children_s: secs(children.ru_utime) + secs(children.ru_stime),
        max_rss_mib: own.ru_maxrss as f64 / 1024.0,
    }
}

/// Resets this process's resident-memory high-water mark (`VmHWM`) to its
/// current size, so that the next `peak_rss` is the peak since now. Linux
/// documents writing 5 to `/proc/self/clear_refs` for it (since 4.0).
pub fn reset_peak_rss() -> RssScope {
    match std::fs::write("/proc/self/clear_refs", "5") {
        Ok(()) => RssScope::Run,
        Err(_) => RssScope::Process,
    }
}

/// Peak resident memory in MiB: `VmHWM` (which `reset_peak_rss` resets), else
/// getrusage's maxrss (the process's whole life).
pub fn peak_rss_mib() -> f64 {
    crate::process::self_status("VmHWM")
        .and_then(|v| v.trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or_else(|| now().max_rss_mib, |kib| kib / 1024.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_time_grows_with_work() {
        let a = super::now();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_add(i * i);
        }
        std::hint::black_box(x);
        assert!(super::now().own_s >= a.own_s);
        assert!(a.max_rss_mib > 0.0);
    }

    #[test]
    fn peak_rss_is_per_run_after_a_reset() {
        // A big allocation touched page by page raises the high-water mark ...
        let big = vec![1u8; 256 << 20];
        std::hint::black_box(&big);
        let with_big = super::peak_rss_mib();
        drop(big);
        // ... and after a reset the mark is the current size again, far below it.
        if super::reset_peak_rss() == super::RssScope::Run {
            let after = super::peak_rss_mib();
            assert!(with_big - after > 200.0, "{with_big} MiB then {after} MiB");
        } else {
            eprintln!("skipped: /proc/self/clear_refs refused the reset here");
        }
    }
}
