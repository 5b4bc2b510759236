//! CPU time of this process and of its reaped children (ffmpeg), from getrusage;
//! the whole machine's busy and stolen time, from /proc/stat, so that what other
//! processes used during a run, and what the hypervisor gave other guests of
//! this VM's CPUs, are known; peak resident memory per run, from the kernel's
//! high-water mark reset before it.

use crate::results::RssScope;

#[derive(Debug, Clone, Copy, Default)]
pub struct CpuTimes {
    pub own_s: f64,
    pub children_s: f64,
    pub max_rss_mib: f64,
    /// Every CPU's busy time since boot (None where /proc/stat cannot be read).
    pub machine_s: Option<f64>,
    /// Every CPU's stolen time since boot: runnable, but the hypervisor ran
    /// another guest (None where /proc/stat cannot be read).
    pub steal_s: Option<f64>,
}

impl CpuTimes {
    /// Cores' worth of CPU that processes other than this one and its reaped
    /// children used between `earlier` and `self`, over `wall` seconds.
    pub fn others_cores(&self, earlier: &CpuTimes, wall: f64) -> Option<f64> {
        let machine = self.machine_s? - earlier.machine_s?;
        let ours = (self.own_s - earlier.own_s) + (self.children_s - earlier.children_s);
        (wall > 0.0).then(|| ((machine - ours) / wall).max(0.0))
    }

    /// Cores' worth of CPU time the hypervisor gave other guests between
    /// `earlier` and `self`, over `wall` seconds: invisible to `others_cores`,
    /// as slow a run as another process would make it.
    pub fn steal_cores(&self, earlier: &CpuTimes, wall: f64) -> Option<f64> {
        let stolen = self.steal_s? - earlier.steal_s?;
        (wall > 0.0).then(|| (stolen / wall).max(0.0))
    }
}

/// All CPUs' time from the first line of /proc/stat, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
struct MachineTimes {
    /// user, nice, system, irq and softirq (idle, iowait and steal are not work done here).
    busy_s: f64,
    /// steal: this VM's CPUs wanted to run, the hypervisor ran another guest.
    steal_s: f64,
}

fn machine_times() -> Option<MachineTimes> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    parse_cpu_line(stat.lines().next()?)
}

fn parse_cpu_line(cpu_line: &str) -> Option<MachineTimes> {
    let mut fields = cpu_line.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    let ticks: Vec<u64> = fields.map_while(|f| f.parse().ok()).collect();
    let at = |i: usize| ticks.get(i).copied().unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Some(MachineTimes {
        busy_s: (at(0) + at(1) + at(2) + at(5) + at(6)) as f64 / hz,
        steal_s: at(7) as f64 / hz,
    })
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
    let machine = machine_times();
    CpuTimes {
        own_s: secs(own.ru_utime) + secs(own.ru_stime),
        children_s: secs(children.ru_utime) + secs(children.ru_stime),
        max_rss_mib: own.ru_maxrss as f64 / 1024.0,
        machine_s: machine.map(|m| m.busy_s),
        steal_s: machine.map(|m| m.steal_s),
    }
}

/// Buffers of at least this many bytes are mapped on their own and unmapped when freed.
#[cfg(target_env = "gnu")]
const OWN_MMAP_THRESHOLD: libc::c_int = 1 << 20;

/// Pins glibc's mmap threshold for this process (call once, at start). By
/// default glibc raises it after the first large free, so frame-sized buffers
/// (6 MB at 1080p, Pillow's 8 MB layers) then live in per-thread heaps, and
/// after a case's threads end they stayed resident even through `malloc_trim`:
/// in the last round of an interleaved bench each case's peak carried the
/// cases before it (overlay-only/native 350 MiB against 206 in earlier rounds,
/// on the CI type with 8 workers). Pinned, a freed frame goes back to the
/// kernel at once; the pools reuse their buffers, so no frame is mapped per frame.
pub fn steady_allocator() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only changes the allocator's policy; called before threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, OWN_MMAP_THRESHOLD);
    }
}

/// Resets this process's resident-memory high-water mark (`VmHWM`) to its
/// current size, so that the next `peak_rss` is the peak since now. Linux
/// documents writing 5 to `/proc/self/clear_refs` for it (since 4.0).
pub fn reset_peak_rss() -> RssScope {
    // Memory earlier runs freed but the allocator kept (one arena per thread
    // that ever allocated) goes back to the kernel first: the peak is this
    // run's working set, not what other cases left behind.
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only returns free memory; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
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
    fn machine_busy_time_sums_the_work_fields_only_and_steal_apart() {
        // user nice system idle iowait irq softirq steal
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        let m = super::parse_cpu_line("cpu  100 5 50 9000 300 2 3 700 0 0").unwrap();
        assert!((m.busy_s - 160.0 / hz).abs() < 1e-9, "{m:?}");
        assert!((m.steal_s - 700.0 / hz).abs() < 1e-9, "{m:?}");
        // Kernels before 2.6.11 had no steal column: none stolen.
        let old = super::parse_cpu_line("cpu  100 5 50 9000 300 2 3").unwrap();
        assert_eq!(old.steal_s, 0.0);
        assert_eq!(super::parse_cpu_line("cpu0 1 2 3"), None);
    }

    #[test]
    fn others_are_the_machine_less_ourselves() {
        let t = |own_s, children_s, machine| super::CpuTimes {
            own_s,
            children_s,
            max_rss_mib: 0.0,
            machine_s: Some(machine),
            steal_s: Some(machine / 10.0),
        };
        let others = t(3.0, 4.0, 20.0).others_cores(&t(1.0, 1.0, 10.0), 2.0);
        assert_eq!(others, Some(2.5));
        // Clock granularity can make ours exceed the machine's: never negative.
        assert_eq!(
            t(5.0, 0.0, 11.0).others_cores(&t(0.0, 0.0, 10.0), 1.0),
            Some(0.0)
        );
        // Stolen time is apart from both: 1 s stolen over 2 s is half a core.
        let stolen = t(0.0, 0.0, 20.0).steal_cores(&t(0.0, 0.0, 10.0), 2.0);
        assert_eq!(stolen, Some(0.5));
        let unknown = super::CpuTimes::default();
        assert_eq!(unknown.steal_cores(&unknown, 1.0), None);
    }

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
