//! `report` on fixed results files: exact markdown and CSV out (golden files),
//! valid SVG charts, and fallbacks labelled wherever an encoder is named.
//! Regenerate the golden files with `UPDATE_GOLDEN=1 cargo test --test suite report::`.

use crate::common::*;

const STAGES: [&str; 4] = [
    "--stage",
    "Person detection=16.1fps",
    "--stage",
    "Action prediction=5.1s/100",
];

fn inputs() -> Vec<std::path::PathBuf> {
    [
        "ci-2core-bench.json",
        "h100-bench.json",
        "ci-2core-quality-h264.json",
    ]
    .iter()
    .map(|f| fixture(&format!("results/{f}")))
    .collect()
}

fn golden(name: &str, actual: &str) {
    let path = fixture(&format!("report/{name}"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from the golden file at line {}:\n expected: {:?}\n   actual: {:?}",
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

#[test]
fn markdown_report_matches_the_golden_file_and_charts_are_svg() {
    let dir = tempfile::tempdir().unwrap();
    nvviz()
        .arg("report")
        .args(inputs())
        .args(STAGES)
        .arg("-o")
        .arg(dir.path())
        .assert()
        .success();
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    golden("expected-report.md", &md);
    let mut charts = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "svg") {
            let text = std::fs::read_to_string(&path).unwrap();
            let doc = roxmltree::Document::parse(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(doc.root_element().tag_name().name(), "svg");
            // Every input fell back (no NVENC on either machine): no chart
            // may name an NVENC encoder or a p1..p7 preset for libx264's numbers.
            let words: String = doc
                .descendants()
                .filter_map(|n| n.text())
                .collect::<Vec<_>>()
                .join("|");
            assert!(!words.contains("_nvenc"), "{}: {words}", path.display());
            assert!(!words.contains("h264 p1"), "{}: {words}", path.display());
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("fps-") {
                assert!(words.contains("libx264 (fallback)"), "{name}: {words}");
                assert!(words.contains("orange: CPU fallback"), "{name}: {words}");
                assert!(words.contains(" ± "), "{name}: error bars' values: {words}");
            }
            if name.starts_with("presets-") {
                assert!(
                    words.contains("libx264 ultrafast (fallback; asked p1)"),
                    "{name}: {words}"
                );
            }
            assert!(
                md.contains(&format!(
                    "]({})",
                    path.file_name().unwrap().to_string_lossy()
                )),
                "chart linked"
            );
            charts += 1;
        }
    }
    // One fps chart per file, plus the speed-vs-quality chart of the file with --quality.
    assert_eq!(charts, 4);
}

#[test]
fn csv_and_json_tables_to_stdout() {
    let out = nvviz()
        .arg("report")
        .args(inputs())
        .args(STAGES)
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    golden("expected-tables.csv", &csv);
    // One tidy table: every row as wide as the header, fps as numbers.
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(header[0], "results");
    let mean = header.iter().position(|h| *h == "fps_mean").unwrap();
    let mut numeric = 0;
    for line in csv.lines().skip(1) {
        let cells = split_csv(line);
        assert_eq!(cells.len(), header.len(), "{line}");
        if !cells[mean].is_empty() {
            cells[mean].parse::<f64>().unwrap();
            numeric += 1;
        }
    }
    assert!(numeric > 20, "{numeric} rows with fps");

    let out = nvviz()
        .arg("report")
        .args(inputs())
        .args(["--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "nvviz-bench.report");
    assert_eq!(doc["schema_version"], 1);
    let tables = &doc["tables"];
    let ids: Vec<&str> = tables
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    for want in [
        "performance-ci-2core-bench",
        "presets-ci-2core-bench",
        "environment",
        "fallbacks",
        "across-machines",
    ] {
        assert!(ids.contains(&want), "{want} in {ids:?}");
    }
}

/// Nobody may mistake a libx264 number for an NVENC one: wherever a fallback encoder
/// is named, the fallback is said.
#[test]
fn fallback_runs_are_labelled_in_every_table() {
    let out = nvviz()
        .arg("report")
        .arg(fixture("results/ci-2core-bench.json"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "nvviz-bench.report");
    assert_eq!(doc["schema_version"], 1);
    let tables = &doc["tables"];
    let mut checked = 0;
    for table in tables.as_array().unwrap() {
        for row in table["rows"].as_array().unwrap() {
            let text = row.to_string();
            if text.contains("libx264") && table["id"] != "fallbacks" {
                assert!(
                    text.contains("fallback from h264_nvenc"),
                    "{}: {text}",
                    table["id"]
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 4,
        "fallback rows were checked in several tables ({checked})"
    );
    let md_dir = tempfile::tempdir().unwrap();
    nvviz()
        .arg("report")
        .arg(fixture("results/ci-2core-bench.json"))
        .arg("-o")
        .arg(md_dir.path())
        .assert()
        .success();
    let md = std::fs::read_to_string(md_dir.path().join("report.md")).unwrap();
    assert!(md.contains("fell back from the encoder they asked for"));
    assert!(md.contains("| 1. NVENC not actually being used | yes |"));
}

#[test]
fn bad_inputs_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let not_results = dir.path().join("x.json");
    std::fs::write(&not_results, r#"{"hello": 1}"#).unwrap();
    let newer = dir.path().join("v9.json");
    std::fs::write(
        &newer,
        r#"{"schema": "nvviz-bench.results", "schema_version": 9}"#,
    )
    .unwrap();
    for (args, needle) in [
        (vec![not_results.clone()], "not an nvviz-bench results file"),
        (vec![newer], "schema version 9"),
        (vec![dir.path().join("missing.json")], "cannot read"),
    ] {
        let out = nvviz()
            .arg("report")
            .args(&args)
            .args(["--format", "md"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    let out = nvviz()
        .arg("report")
        .arg(fixture("results/ci-2core-bench.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = nvviz()
        .arg("report")
        .arg(fixture("results/ci-2core-bench.json"))
        .args(["--stage", "x=fast", "--format", "md"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// NVENC cannot run on the hardware at hand, so a T4 run is simulated by editing a real
/// results file: what is checked is the headroom arithmetic and wording.
#[test]
fn headroom_sets_measured_nvenc_against_the_published_figure() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = serde_json::to_value(
        nvviz_bench::results::Results::from_json(
            &std::fs::read_to_string(fixture("results/ci-2core-bench.json")).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    r["environment"]["gpus"] = serde_json::json!(["Tesla T4"]);
    for c in r["cases"].as_array_mut().unwrap() {
        if c["id"] == "nvenc/opencv/h264_nvenc/p1" {
            c["encoder"]["used"] = "h264_nvenc".into();
            c["preset"]["used"] = "p1".into();
            c["encoder"]["fallback"] = serde_json::Value::Null;
            c["fps"]["mean"] = 427.5.into();
        }
    }
    let path = dir.path().join("t4.json");
    std::fs::write(&path, r.to_string()).unwrap();
    let out = nvviz()
        .arg("report")
        .arg(&path)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "nvviz-bench.report");
    assert_eq!(doc["schema_version"], 1);
    let tables = &doc["tables"];
    let headroom = tables
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "headroom-t4")
        .unwrap();
    assert_eq!(
        headroom["rows"][0],
        serde_json::json!(["nvenc/opencv/h264_nvenc/p1", "427.5", "855", "50%"])
    );
}

/// The pipelined engine's stage times overlap: the report must not add them up
/// into a "sequential" figure (it printed 21.1 fps for a 41.9 fps run whose
/// sequential twin measured 43.4). Alone, the sequential figure is "not
/// measured"; with the sequential run beside it, that run's measured fps.
#[test]
fn bottleneck_uses_measured_engines_not_summed_overlapping_stages() {
    let dir = tempfile::tempdir().unwrap();
    let perf = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lab/perf/ci-2core-run3");
    let report = |files: &[&str]| {
        let out_dir = dir.path().join(files.len().to_string());
        let out = nvviz()
            .arg("report")
            .args(files.iter().map(|f| perf.join(f)))
            .arg("-o")
            .arg(&out_dir)
            .output()
            .unwrap();
        assert_exit(&out, 0);
        std::fs::read_to_string(out_dir.join("report.md")).unwrap()
    };
    let alone = report(&["engine-pipelined.json"]);
    let section = alone.split("## Bottleneck analysis").nth(1).unwrap();
    assert!(!section.contains("21.1"), "{section}");
    assert!(
        section.contains(
            "Sequential (one frame at a time through every stage, the guide's loop): not measured"
        ),
        "{section}"
    );
    assert!(
        section.contains("Pipelined (each stage on its own threads): **41.9"),
        "{section}"
    );
    let both = report(&["engine-pipelined.json", "engine-sequential.json"]);
    let section = both.split("## Bottleneck analysis").nth(1).unwrap();
    assert!(
        section.contains(
            "Sequential (one frame at a time through every stage, the guide's loop): **43.4"
        ),
        "{section}"
    );
    assert!(
        section.contains("Pipelined (each stage on its own threads): **41.9"),
        "{section}"
    );
}

/// The preset and streams come from typed fields: a yuv420p or 2-session file
/// says p1, never "yuv420p" or "x2".
#[test]
fn preset_is_read_from_the_results_not_from_the_case_id() {
    let perf = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lab/perf");
    for file in ["ci-2core-run3/sessions.json", "h100-run5/yuv-threads8.json"] {
        let out = nvviz()
            .arg("report")
            .arg(perf.join(file))
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert_exit(&out, 0);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["schema"], "nvviz-bench.report");
        assert_eq!(doc["schema_version"], 1);
        let tables = &doc["tables"];
        let text = tables.to_string();
        assert!(
            !text.contains("uses x2") && !text.contains("uses yuv420p"),
            "{file}"
        );
        for t in tables.as_array().unwrap() {
            if t["id"].as_str().unwrap().starts_with("presets") {
                for row in t["rows"].as_array().unwrap() {
                    assert_eq!(row[1], "p1", "{file}: {row}");
                }
            }
        }
    }
}

/// RFC 4180 fields of one line (quotes may hold commas).
fn split_csv(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// A fleet's files (more than fit side by side): one section, a row per node
/// and per group (GPU model and driver), fallbacks with their cause, and no
/// per-file sections or charts.
#[test]
fn a_fleet_of_files_is_grouped_by_gpu_and_driver() {
    let dir = tempfile::tempdir().unwrap();
    let h100: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("results/h100-bench.json")).unwrap())
            .unwrap();
    let cpu: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("results/ci-2core-bench.json")).unwrap(),
    )
    .unwrap();
    let mut files = Vec::new();
    for (i, (base, driver)) in [
        (&h100, "580.159.04"),
        (&h100, "580.159.04"),
        (&h100, "570.86.15"),
        (&cpu, ""),
        (&cpu, ""),
        (&cpu, ""),
    ]
    .into_iter()
    .enumerate()
    {
        let mut r = base.clone();
        r["environment"]["host"]["node"] = format!("node-{i:02}").into();
        if !driver.is_empty() {
            r["environment"]["nvidia_driver"] = driver.into();
        }
        // One of the CPU group's files measured another size.
        if i == 5 {
            r["workload"]["width"] = 640.into();
            r["workload"]["height"] = 360.into();
        }
        let path = dir.path().join(format!("node-{i:02}.json"));
        std::fs::write(&path, r.to_string()).unwrap();
        files.push(path);
    }
    let out = dir.path().join("report");
    let run = nvviz()
        .arg("report")
        .args(&files)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_exit(&run, 0);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("6 results files from 6 machine(s) in 3 group(s)"),
        "{md}"
    );
    // fps of different workloads are never averaged together.
    assert!(md.contains("not comparable: 2 workloads"), "{md}");
    // No per-file sections or charts for a fleet.
    assert!(!md.contains("## Performance"), "{md}");
    assert_eq!(
        std::fs::read_dir(&out)
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "svg"))
            .count(),
        0
    );
    let groups = md
        .split("**Groups (GPU model and driver)**")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .nth(1)
        .unwrap();
    assert!(
        groups.contains("| NVIDIA H100 80GB HBM3 | 580.159.04 | 2 | 0 of 2 | no_nvenc_engine: 2 |"),
        "{groups}"
    );
    assert!(
        groups.contains("| NVIDIA H100 80GB HBM3 | 570.86.15 | 1 | 0 of 1 | no_nvenc_engine: 1 |"),
        "{groups}"
    );
    assert!(
        groups.contains("| no GPU | - | 3 | 0 of 3 | driver_library_missing: 3 |"),
        "{groups}"
    );
    // One row per node, each naming its node and what its nvenc mode ran with.
    for i in 0..6 {
        assert!(md.contains(&format!("| node-{i:02} |")), "{md}");
    }
    assert!(md.contains("libx264 (fallback)"));
}

/// The pipe's ceiling from a real run (the lent H100 machine's transport round):
/// each format and step with its figures, the steps against the guide's
/// transport, and the finding against NVIDIA's declared engine speed — all from
/// the typed fields (pix_fmt, the transport asked, the pipe the kernel gave).
#[test]
fn the_pipe_ceiling_section_reads_the_transport_from_typed_fields() {
    let dir = tempfile::tempdir().unwrap();
    let input = repo().join("reports/bench/h100/h100-transport.json");
    nvviz()
        .arg("report")
        .arg(&input)
        .arg("-o")
        .arg(dir.path())
        .assert()
        .success();
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    let section = md
        .split("## The pipe's ceiling")
        .nth(1)
        .expect("a pipe ceiling section");
    for row in [
        "| bgr24 | write, default pipe (64 KiB) |",
        "| bgr24 | vmsplice, 1 MiB pipe |",
        "| nv12 | vmsplice, 1 MiB pipe |",
        "| yuv420p | write, 1 MiB pipe |",
        "| bgr24 | vmsplice, 1 MiB pipe, ffmpeg heap fixed |",
    ] {
        assert!(section.contains(row), "{row} in {section}");
    }
    assert!(
        section.contains("**Finding**: with the guide's transport"),
        "{section}"
    );
    assert!(
        section.contains("declared by NVIDIA, not measured"),
        "{section}"
    );
    // How idle the engine would sit is given over the runs' range, never
    // from a mean alone (whose spread may be a third of it).
    assert!(
        section.contains("idle 74–75 % of the time (its runs 226–226 fps)"),
        "{section}"
    );
    // One round: ratios need interleaved rounds, and the table says so.
    assert!(section.contains("1 (the reference)"), "{section}");
}

/// The committed report is what its one command (in reports/README.md) makes
/// from the committed files, byte for byte: every figure in it comes from a
/// file in HEAD by that command.
#[test]
fn the_committed_report_regenerates_byte_for_byte() {
    let readme = std::fs::read_to_string(repo().join("reports/README.md")).unwrap();
    let after = readme
        .split("Regenerate the report")
        .nth(1)
        .expect("reports/README.md names the command");
    let block = after
        .split("```bash")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let command = block.replace("\\\n", " ");
    let command = command.trim();
    assert!(
        command.starts_with("target/release/nvviz-bench report "),
        "{command}"
    );
    let dir = tempfile::tempdir().unwrap();
    let command = command
        .replacen(
            "target/release/nvviz-bench",
            env!("CARGO_BIN_EXE_nvviz-bench"),
            1,
        )
        .replace("-o reports/report", &format!("-o {}", dir.path().display()));
    run_ok(
        std::process::Command::new("bash")
            .args(["-c", &command])
            .current_dir(repo()),
    );
    let committed = repo().join("reports/report");
    let mut names: Vec<_> = std::fs::read_dir(&committed)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    let mut made: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    made.sort();
    assert_eq!(names, made, "the report's files");
    for name in names {
        assert!(
            std::fs::read(committed.join(&name)).unwrap()
                == std::fs::read(dir.path().join(&name)).unwrap(),
            "{name:?} differs from what the command makes"
        );
    }
}

/// A chart shows every case it summarises, named by what differs: the six
/// presets of a HEVC/AV1 sweep (AV1 included), the fifteen transport steps of
/// a pipe-ceiling round — not one bar per mode.
#[test]
fn a_chart_shows_every_case_named_by_what_differs() {
    let dir = tempfile::tempdir().unwrap();
    nvviz()
        .arg("report")
        .arg(repo().join("reports/bench/h100/h100-presets-hevc-av1.json"))
        .arg(repo().join("reports/bench/h100/h100-transport.json"))
        .arg("-o")
        .arg(dir.path())
        .assert()
        .success();
    let presets =
        std::fs::read_to_string(dir.path().join("fps-h100-presets-hevc-av1.svg")).unwrap();
    for name in [
        "encode-only: libx265 (fallback) (ultrafast)",
        "encode-only: libx265 (fallback) (slow)",
        "encode-only: libsvtav1 (fallback) (12)",
        "encode-only: libsvtav1 (fallback) (4)",
    ] {
        assert!(presets.contains(name), "{name} not in the presets chart");
    }
    let transport = std::fs::read_to_string(dir.path().join("fps-h100-transport.svg")).unwrap();
    assert_eq!(transport.matches("pipe-ceiling: copy (").count(), 15);
    assert!(transport
        .contains("15. pipe-ceiling: copy (nv12, vmsplice, 1 MiB pipe, ffmpeg heap fixed)"));
}
