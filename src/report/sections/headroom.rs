//! NVIDIA's published per-engine NVENC throughput, next to what was measured.

use crate::report::{ok_cases, Input, Section, Table};

/// Where the numbers come from.
pub const SOURCE: &str =
    "NVIDIA's NVENC Application Note (Video Codec SDK 12.x series, table \"NVENC encoding performance\", \
1080p H.264 fps per NVENC engine at presets P1 and P7; \
https://docs.nvidia.com/video-technologies/video-codec-sdk/12.1/nvenc-application-note/)";

/// (architecture, codec, preset, fps per engine at 1080p).
pub const PUBLISHED: &[(&str, &str, &str, f64)] = &[
    ("Turing", "h264", "p1", 855.0),
    ("Ampere", "h264", "p1", 868.0),
    ("Ada", "h264", "p1", 910.0),
    ("Turing", "h264", "p7", 229.0),
    ("Ampere", "h264", "p7", 231.0),
    ("Ada", "h264", "p7", 247.0),
];

/// Architecture from a GPU's marketing name; `None` where we cannot tell.
pub fn architecture(gpu: &str) -> Option<&'static str> {
    let g = gpu.to_ascii_uppercase();
    let has = |s: &str| g.contains(s);
    let word = |w: &str| {
        g.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|x| x == w)
    };
    // The one list of compute-only parts is the probe's.
    if crate::probe::gpu::nvenc_hardware(gpu) == crate::probe::gpu::NvencHardware::Absent {
        Some("no NVENC engine")
    } else if word("T4") || has("RTX 20") || has("GTX 16") || has("QUADRO RTX") || has("TITAN RTX")
    {
        Some("Turing")
    } else if word("L4") || word("L40") || word("L40S") || has("RTX 40") || has("ADA GENERATION") {
        Some("Ada")
    } else if word("A10")
        || word("A10G")
        || word("A16")
        || word("A2")
        || word("A40")
        || has("RTX 30")
        || has("RTX A")
    {
        Some("Ampere")
    } else {
        None
    }
}

pub fn section(input: &Input, suffix: &str) -> Section {
    let gpus = &input.results.environment.gpus;
    let arch = gpus.first().and_then(|g| architecture(g));
    let mut paragraphs = vec![match (gpus.first(), arch) {
        (None, _) => "No NVIDIA GPU in this file's environment.".to_string(),
        (Some(g), Some(a)) => format!("GPU: {g} ({a}, from its name)."),
        (Some(g), None) => {
            format!("GPU: {g}: architecture unknown to this table, so no published figure applies.")
        }
    }];
    let mut t = Table::new(
        format!("headroom-{}", input.label),
        format!("Headroom{suffix}"),
        &[
            "Case",
            "Measured fps",
            "Declared fps per engine (NVIDIA)",
            "Measured / declared",
        ],
    );
    let measured: Vec<_> = ok_cases(&input.results)
        .filter(|c| c.encoder.used_nvenc())
        .collect();
    for c in &measured {
        let codec = c.codec.as_deref().unwrap_or("");
        let preset = c.preset.used.as_deref().unwrap_or("");
        let published = arch.and_then(|a| {
            PUBLISHED
                .iter()
                .find(|(pa, pc, pp, _)| *pa == a && *pc == codec && *pp == preset)
                .map(|x| x.3)
        });
        let fps = c.fps.map_or(0.0, |f| f.mean);
        t.row(vec![
            c.id.clone(),
            format!("{fps:.1}"),
            published.map_or("not in the table".into(), |p| format!("{p:.0}")),
            published.map_or("-".into(), |p| format!("{:.0}%", 100.0 * fps / p)),
        ]);
    }
    if measured.is_empty() {
        paragraphs.push(
            "No NVENC encode ran in this file (it fell back or was not asked for), so there is nothing to set against NVIDIA's figures."
                .into(),
        );
    } else {
        paragraphs.push(
            "A measured figure far below the published one means the pipeline (overlay, pipe, CPU conversion), not the encoder, is the limit."
                .into(),
        );
    }
    let mut published = Table::new(
        "published-nvenc",
        format!("Declared by NVIDIA: NVENC throughput (not measured here){suffix}"),
        &[
            "Architecture",
            "Codec",
            "Preset",
            "1080p fps per engine (declared)",
        ],
    );
    for (a, c, p, f) in PUBLISHED {
        published.row(vec![
            a.to_string(),
            c.to_string(),
            p.to_string(),
            format!("{f:.0}"),
        ]);
    }
    paragraphs.push(format!(
        "Declared figures — NVIDIA's, per NVENC engine (GPUs with two or three engines can reach a multiple), \
         not measured by nvviz-bench — quoted from {SOURCE}."
    ));
    Section {
        title: format!("Headroom{suffix}"),
        paragraphs,
        tables: if measured.is_empty() {
            vec![published]
        } else {
            vec![t, published]
        },
        charts: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::architecture;

    #[test]
    fn architectures_from_names() {
        assert_eq!(architecture("Tesla T4"), Some("Turing"));
        assert_eq!(architecture("NVIDIA L4"), Some("Ada"));
        assert_eq!(architecture("NVIDIA GeForce RTX 4090"), Some("Ada"));
        assert_eq!(architecture("NVIDIA A10G"), Some("Ampere"));
        assert_eq!(
            architecture("NVIDIA H100 80GB HBM3"),
            Some("no NVENC engine")
        );
        assert_eq!(architecture("Mystery GPU"), None);
    }
}
