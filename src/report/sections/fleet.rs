//! Many machines at once — a fleet's results files, one per node (the Slurm
//! array and Kubernetes Job in `deploy/` write them): nodes grouped by GPU model
//! and driver, which of them really encoded with NVENC and which fell back (with
//! the classified cause), and per group each case's spread across its nodes.
//! One row per node or per group, never one column per node: it reads the same
//! for three files and for sixty.

use std::collections::BTreeMap;

use crate::report::{Input, Section, Table};
use crate::results::stats::Summary;
use crate::results::{label, CaseResult, Mode, Results};

/// Up to this many machines the report also shows each file's own sections and
/// a side-by-side table; beyond it, the fleet section alone.
pub const SIDE_BY_SIDE_MAX: usize = 4;

/// Whether these files are few machines' (each file's sections shown) rather
/// than a fleet's. Machines are told apart by node name, or — in files from
/// before it was recorded — by their hardware and driver.
pub fn side_by_side(inputs: &[Input]) -> bool {
    machines(inputs) <= SIDE_BY_SIDE_MAX
}

/// How many machines these files come from.
fn machines(inputs: &[Input]) -> usize {
    let mut keys: Vec<String> = inputs
        .iter()
        .map(|i| {
            let e = &i.results.environment;
            e.host.node.clone().unwrap_or_else(|| {
                format!(
                    "{} x{} {:?} {:?}",
                    e.host.cpu_model, e.host.logical_cores, e.gpus, e.nvidia_driver
                )
            })
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys.len()
}

/// What a node's file says about NVENC.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Nvenc {
    /// Some case really encoded with NVENC.
    Ran,
    /// Cases asked for NVENC and fell back, for this (classified) cause.
    FellBack(String),
    /// No case asked for NVENC.
    NotAsked,
}

impl Nvenc {
    fn of(results: &Results) -> Self {
        if results.cases.iter().any(|c| c.encoder.used_nvenc()) {
            return Self::Ran;
        }
        results
            .cases
            .iter()
            .filter(|c| c.encoder.requested_nvenc())
            .find_map(|c| c.encoder.fallback.as_ref())
            .map_or(Self::NotAsked, |f| Self::FellBack(f.cause.kind().into()))
    }

    fn describe(&self) -> String {
        match self {
            Self::Ran => "ran".into(),
            Self::FellBack(cause) => format!("fell back ({cause})"),
            Self::NotAsked => "not asked".into(),
        }
    }
}

struct Node<'a> {
    name: String,
    gpu: String,
    driver: String,
    nvenc: Nvenc,
    input: &'a Input,
}

fn node(input: &Input) -> Node<'_> {
    let env = &input.results.environment;
    Node {
        name: env.host.node.clone().unwrap_or_else(|| input.label.clone()),
        gpu: env.gpus.first().cloned().unwrap_or_else(|| "no GPU".into()),
        driver: env.nvidia_driver.clone().unwrap_or_else(|| "-".into()),
        nvenc: Nvenc::of(&input.results),
        input,
    }
}

/// The guide's nvenc-mode case a node is judged by: its first that ran.
fn nvenc_case(results: &Results) -> Option<&CaseResult> {
    results
        .cases
        .iter()
        .find(|c| c.mode == Mode::Nvenc && c.is_ok())
}

/// A row per node: its GPU, driver, whether NVENC ran, the nvenc mode's fps.
fn node_table(nodes: &[Node]) -> Table {
    let mut per_node = Table::new(
        "fleet-nodes",
        "Nodes",
        &[
            "Node",
            "File",
            "GPU",
            "Driver",
            "NVENC",
            "nvenc mode (fps)",
            "encoder",
            "workload",
        ],
    );
    for n in nodes {
        let case = nvenc_case(&n.input.results);
        per_node.row(vec![
            n.name.clone(),
            n.input.label.clone(),
            n.gpu.clone(),
            n.driver.clone(),
            n.nvenc.describe(),
            case.map_or("-".into(), label::fps),
            case.map_or("-".into(), label::encoder_short),
            workload(&n.input.results),
        ]);
    }
    per_node
}

pub fn section(inputs: &[Input]) -> Section {
    let mut nodes: Vec<Node> = inputs.iter().map(node).collect();
    nodes.sort_by(|a, b| (&a.gpu, &a.driver, &a.name).cmp(&(&b.gpu, &b.driver, &b.name)));
    let mut groups: BTreeMap<(String, String), Vec<&Node>> = BTreeMap::new();
    for n in &nodes {
        groups
            .entry((n.gpu.clone(), n.driver.clone()))
            .or_default()
            .push(n);
    }

    let per_node = node_table(&nodes);

    let mut per_group = Table::new(
        "fleet-groups",
        "Groups (GPU model and driver)",
        &[
            "GPU",
            "Driver",
            "Files",
            "NVENC ran in",
            "Fell back in (cause: files)",
            "nvenc mode fps across files (mean [min–max])",
        ],
    );
    let mut details = Vec::new();
    for ((gpu, driver), members) in &groups {
        let ran = members.iter().filter(|n| n.nvenc == Nvenc::Ran).count();
        let mut causes: BTreeMap<&str, usize> = BTreeMap::new();
        for n in members {
            if let Nvenc::FellBack(cause) = &n.nvenc {
                *causes.entry(cause.as_str()).or_default() += 1;
            }
        }
        let fell_back = if causes.is_empty() {
            "-".to_string()
        } else {
            causes
                .iter()
                .map(|(c, k)| format!("{c}: {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let nvenc_fps: Vec<(f64, String)> = members
            .iter()
            .filter_map(|n| {
                let fps = nvenc_case(&n.input.results)?.fps?.mean;
                Some((fps, drawn(&n.input.results)))
            })
            .collect();
        per_group.row(vec![
            gpu.clone(),
            driver.clone(),
            members.len().to_string(),
            format!("{ran} of {}", members.len()),
            fell_back,
            spread_within_one_workload(&nvenc_fps),
        ]);
        details.push(group_details(gpu, driver, members));
    }

    let mut tables = vec![per_node, per_group];
    tables.extend(gpu_table(&nodes));
    tables.extend(details);
    let mut paragraphs = vec![format!(
        "{} results files from {} machine(s) in {} group(s) (GPU model and driver). \"NVENC ran\" means a case's frames \
         were encoded by NVENC itself; \"fell back\" names the classified cause of the fallback the guide's mode took \
         (the fps of such a node are its fallback encoder's, as the encoder column says).",
        inputs.len(),
        machines(inputs),
        groups.len()
    )];
    let mut workloads: Vec<String> = inputs.iter().map(|i| workload(&i.results)).collect();
    workloads.sort();
    workloads.dedup();
    if workloads.len() > 1 {
        paragraphs.push(format!(
            "The files measured {} different workloads ({}): fps across nodes compare like with like only \
             within one workload.",
            workloads.len(),
            workloads.join("; ")
        ));
    }
    if !side_by_side(inputs) {
        paragraphs.push(format!(
            "With more than {SIDE_BY_SIDE_MAX} machines the per-file sections are left out: \
             run `nvviz-bench report` on one node's file for its details."
        ));
    }
    Section {
        title: "Fleet".into(),
        paragraphs,
        tables,
        charts: Vec::new(),
    }
}

/// A row per node and GPU where cases were pinned (`--gpu`): each GPU's
/// cases with their fps and encoder, and a case on every GPU at once with
/// its aggregate and each GPU's own fps. None when no case was pinned.
fn gpu_table(nodes: &[Node]) -> Option<Table> {
    let mut t = Table::new(
        "fleet-gpus",
        "GPUs (cases pinned with --gpu)",
        &["Node", "GPU", "Case", "fps", "encoder"],
    );
    let mut rows: Vec<(String, String, Vec<String>)> = Vec::new();
    for n in nodes {
        for c in n.input.results.cases.iter().filter(|c| !c.gpus.is_empty()) {
            let gpu = match c.gpus.as_slice() {
                [one] => format!("{} {}{}", one.index, one.name, short_uuid(one)),
                all => format!(
                    "{} at once",
                    all.iter()
                        .map(|g| g.index.to_string())
                        .collect::<Vec<_>>()
                        .join("+")
                ),
            };
            let per_gpu = c.runs.last().map(|r| &r.stream_fps).filter(|s| s.len() > 1);
            let fps = match per_gpu {
                Some(each) => format!(
                    "{} (each: {})",
                    label::fps(c),
                    each.iter()
                        .map(|f| format!("{f:.1}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => label::fps(c),
            };
            rows.push((
                n.name.clone(),
                gpu,
                vec![c.id.clone(), fps, label::encoder_short(c)],
            ));
        }
    }
    if rows.is_empty() {
        return None;
    }
    rows.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    for (node, gpu, rest) in rows {
        t.row([vec![node, gpu], rest].concat());
    }
    Some(t)
}

/// " (GPU-5b1f0c2e…)": enough of the UUID to tell two GPUs of a model apart.
fn short_uuid(gpu: &crate::results::gpu::GpuPin) -> String {
    gpu.uuid
        .as_deref()
        .map(|u| format!(" ({}…)", u.chars().take(12).collect::<String>()))
        .unwrap_or_default()
}

/// "1920x1080 @ 30 fps, 300 frames, 10 persons, synthetic".
fn workload(results: &Results) -> String {
    let w = &results.workload;
    format!(
        "{}x{} @ {} fps, {} frames, {} persons, {}",
        w.width, w.height, w.fps, w.frames, w.persons, w.source
    )
}

/// What the frames were (size, persons, clip): fps of files that drew the
/// same compare, whatever their frame counts.
fn drawn(results: &Results) -> String {
    let w = &results.workload;
    format!(
        "{}x{}, {} persons, {}",
        w.width, w.height, w.persons, w.source
    )
}

/// The spread of fps measured on one workload; fps of different workloads
/// (another size, frame count, clip) are never averaged together.
fn spread_within_one_workload(values: &[(f64, String)]) -> String {
    let mut workloads: Vec<&str> = values.iter().map(|(_, w)| w.as_str()).collect();
    workloads.sort();
    workloads.dedup();
    if workloads.len() > 1 {
        return format!(
            "not comparable: {} workloads (see each node)",
            workloads.len()
        );
    }
    spread(&values.iter().map(|(f, _)| *f).collect::<Vec<_>>())
}

/// "131.0 [120.2–140.8]", one value as is, "-" for none.
fn spread(values: &[f64]) -> String {
    match Summary::of(values) {
        Some(s) if s.n > 1 => format!("{:.1} [{:.1}–{:.1}]", s.mean, s.min, s.max),
        Some(s) => format!("{:.1}", s.mean),
        None => "-".into(),
    }
}

/// Each case of a group: on how many of its nodes it ran, fps across them,
/// and the encoders that ran (fallbacks marked).
fn group_details(gpu: &str, driver: &str, members: &[&Node]) -> Table {
    let mut t = Table::new(
        format!("fleet-group-{}", slug(&format!("{gpu}-{driver}"))),
        format!(
            "{gpu}, driver {driver}: cases across its {} file(s)",
            members.len()
        ),
        &[
            "Case",
            "Ran on",
            "fps across files (mean [min–max])",
            "Encoders",
        ],
    );
    let mut ids: Vec<&str> = Vec::new();
    for n in members {
        for c in &n.input.results.cases {
            if !ids.contains(&c.id.as_str()) {
                ids.push(&c.id);
            }
        }
    }
    for id in ids {
        let cases: Vec<&CaseResult> = members
            .iter()
            .filter_map(|n| n.input.results.cases.iter().find(|c| c.id == id))
            .collect();
        let ok: Vec<&CaseResult> = cases.iter().copied().filter(|c| c.is_ok()).collect();
        let fps: Vec<(f64, String)> = members
            .iter()
            .filter_map(|n| {
                let c = n
                    .input
                    .results
                    .cases
                    .iter()
                    .find(|c| c.id == id && c.is_ok())?;
                Some((c.fps?.mean, drawn(&n.input.results)))
            })
            .collect();
        let mut encoders: Vec<String> = ok.iter().map(|c| label::encoder_short(c)).collect();
        encoders.sort();
        encoders.dedup();
        let mut not_ok: Vec<String> = cases
            .iter()
            .filter(|c| !c.is_ok())
            .map(|c| label::outcome(c))
            .collect();
        not_ok.sort();
        not_ok.dedup();
        let mut ran_on = format!("{} of {}", ok.len(), cases.len());
        if !not_ok.is_empty() {
            ran_on.push_str(&format!(" ({})", not_ok.join("; ")));
        }
        if cases.len() < members.len() {
            ran_on.push_str(&format!("; not in {} file(s)", members.len() - cases.len()));
        }
        t.row(vec![
            id.to_string(),
            ran_on,
            spread_within_one_workload(&fps),
            if encoders.is_empty() {
                "-".into()
            } else {
                encoders.join(", ")
            },
        ]);
    }
    t
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}
