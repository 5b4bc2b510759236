//! The machine itself: CPU model, cores, OS. Every timing and report names it.

use crate::results::fingerprint::Host;

pub fn probe() -> Host {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    Host {
        cpu_model: field(&cpuinfo, "model name", ':')
            .unwrap_or_else(|| std::env::consts::ARCH.to_string()),
        logical_cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_total_mib: field(&meminfo, "MemTotal", ':')
            .and_then(|kb| kb.trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb / 1024),
        os: field(&os_release, "PRETTY_NAME", '=')
            .map(|v| v.trim_matches('"').to_string())
            .unwrap_or_else(|| std::env::consts::OS.to_string()),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .map(|s| s.trim().to_string()),
        node: node_name(
            |var| std::env::var(var).ok(),
            std::fs::read_to_string("/proc/sys/kernel/hostname").ok(),
        ),
    }
}

/// The scheduler's name for the node first, then the kernel's hostname.
fn node_name(env: impl Fn(&str) -> Option<String>, hostname: Option<String>) -> Option<String> {
    ["NVVIZ_NODE_NAME", "SLURMD_NODENAME"]
        .iter()
        .filter_map(|var| env(var))
        .chain(hostname)
        .map(|n| n.trim().to_string())
        .find(|n| !n.is_empty())
}

/// Value of the first `key<sep>value` line.
fn field(text: &str, key: &str, sep: char) -> Option<String> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(sep)?;
        (k.trim() == key).then(|| v.trim().to_string())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_key_value_lines() {
        let cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\n";
        assert_eq!(
            super::field(cpuinfo, "model name", ':').as_deref(),
            Some("AMD EPYC 7B13")
        );
        assert_eq!(
            super::field("PRETTY_NAME=\"Debian 12\"", "PRETTY_NAME", '=').as_deref(),
            Some("\"Debian 12\"")
        );
    }

    #[test]
    fn the_schedulers_node_name_comes_before_the_hostname() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |var: &str| {
                vars.iter()
                    .find(|(k, _)| *k == var)
                    .map(|(_, v)| v.to_string())
            }
        };
        let host = || Some("pod-7f9c\n".to_string());
        assert_eq!(
            super::node_name(env(&[("NVVIZ_NODE_NAME", "gpu-node-3")]), host()).as_deref(),
            Some("gpu-node-3")
        );
        assert_eq!(
            super::node_name(env(&[("SLURMD_NODENAME", "dgx07")]), host()).as_deref(),
            Some("dgx07")
        );
        assert_eq!(
            super::node_name(env(&[("NVVIZ_NODE_NAME", " ")]), host()).as_deref(),
            Some("pod-7f9c")
        );
        assert_eq!(super::node_name(env(&[]), None), None);
    }

    #[test]
    fn this_machine_has_at_least_one_core() {
        assert!(super::probe().logical_cores >= 1);
    }
}
