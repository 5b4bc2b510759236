//! CPU time of this process and of its reaped children (ffmpeg), from getrusage.

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
}
