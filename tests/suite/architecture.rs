//! The module tree follows the data path: no room imports from a room later in
//! it. Read from the sources' `crate::` paths (test modules excluded), so an
//! arrow against the flow fails here with the file and the line that drew it.
//! ARCHITECTURE.md describes the rooms.

use std::path::{Path, PathBuf};

/// Each room's place in the data path: a room may use rooms of earlier layers,
/// and rooms of its own layer where the layer allows it (`true`). `results` is
/// the typed schema every later room reads and writes. `lib.rs` and
/// ARCHITECTURE.md state this same order (checked below).
const LAYERS: &[(&str, &[&str], bool)] = &[
    (
        "foundation",
        &[
            "process",
            "interrupt",
            "atomic_file",
            "scratch",
            "input_file",
            "frame",
            "pixfmt",
            "assets",
        ],
        true,
    ),
    ("schema", &["results"], true),
    ("external tools", &["ffmpeg", "cuda"], true),
    // The machine's facts and the workload are independent of each other.
    ("probe / workload", &["probe", "workload"], false),
    ("overlay", &["overlay"], true),
    ("encode", &["encode"], true),
    ("bench", &["bench"], true),
    ("report", &["report"], true),
    // The gate reads results through the report's loader and table style.
    ("gate", &["compare"], true),
    ("cli", &["cli", "main", "lib"], true),
];

fn layer(room: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, rooms, _)| rooms.contains(&room))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The room a source file belongs to: its first path component under `src/`.
fn room_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// `crate::room` paths in the file's non-test code, with their line numbers —
/// grouped ones too: `use crate::{bench::X, cli}` names `bench` and `cli`,
/// however the group is spread over lines.
fn uses(text: &str) -> Vec<(usize, String)> {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    // Comments out, line breaks kept (so offsets still give line numbers).
    let code: String = code
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("crate::") {
        let start = from + at + "crate::".len();
        from = start;
        let rest = &code[start..];
        if let Some(group) = rest.strip_prefix('{') {
            // The group's top-level items: the first name of each.
            let mut depth = 0;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if c.is_whitespace() => {}
                    _ if item_start && depth == 0 => {
                        item_start = false;
                        let name = ident(&group[i..]);
                        if !name.is_empty() && name != "self" {
                            found.push((line_of(start + 1 + i), name));
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                found.push((line_of(start), name));
            }
        }
    }
    found
}

#[test]
fn no_room_imports_from_a_later_room() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut against = Vec::new();
    let mut arrows = std::collections::BTreeSet::new();
    for file in &files {
        let room = room_of(&src, file);
        let Some(mine) = layer(&room) else {
            panic!(
                "{}: room `{room}` has no place in LAYERS (tests/suite/architecture.rs)",
                file.display()
            );
        };
        for (line, used) in uses(&std::fs::read_to_string(file).unwrap()) {
            // The crate root's build facts (GIT_COMMIT, LONG_VERSION) are for every room.
            if used.starts_with(|c: char| c.is_ascii_uppercase()) {
                continue;
            }
            let theirs = layer(&used).unwrap_or_else(|| {
                panic!(
                    "{}:{line}: `crate::{used}` is no room in LAYERS",
                    file.display()
                )
            });
            let sibling = theirs == mine && used != room && !LAYERS[mine].2;
            if theirs > mine || sibling {
                against.push(format!(
                    "{}:{line}: {room} ({}) uses crate::{used} ({})",
                    file.strip_prefix(&src).unwrap().display(),
                    LAYERS[mine].0,
                    LAYERS[theirs].0
                ));
            }
            if used != room {
                arrows.insert((room.clone(), used.clone()));
            }
        }
    }
    assert!(
        against.is_empty(),
        "arrows against the data path:\n{}",
        against.join("\n")
    );
    // Rooms of a layer that may use each other still never form a cycle.
    for (a, b) in &arrows {
        assert!(
            !reaches(&arrows, b, a),
            "a cycle between rooms: {a} uses {b}, and {b} reaches {a}"
        );
    }
}

/// Whether `from` reaches `to` along the arrows.
fn reaches(arrows: &std::collections::BTreeSet<(String, String)>, from: &str, to: &str) -> bool {
    let mut seen = std::collections::BTreeSet::new();
    let mut stack = vec![from.to_string()];
    while let Some(room) = stack.pop() {
        if room == to {
            return true;
        }
        if seen.insert(room.clone()) {
            stack.extend(
                arrows
                    .iter()
                    .filter(|(a, _)| *a == room)
                    .map(|(_, b)| b.clone()),
            );
        }
    }
    false
}

/// The order as prose: "foundation (`process`, …) → schema (`results`) → …".
fn stated_order() -> String {
    LAYERS
        .iter()
        .map(|(name, rooms, _)| {
            let rooms: Vec<String> = rooms
                .iter()
                .filter(|r| !["main", "lib"].contains(r))
                .map(|r| format!("`{r}`"))
                .collect();
            format!("{name} ({})", rooms.join(", "))
        })
        .collect::<Vec<_>>()
        .join(" → ")
}

/// lib.rs, ARCHITECTURE.md and this test state one order: lib.rs lists each
/// layer's rooms on its numbered line, ARCHITECTURE.md holds the sentence.
#[test]
fn lib_rs_and_architecture_md_state_this_order() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    for (n, (_, rooms, _)) in LAYERS.iter().enumerate() {
        let rooms: Vec<String> = rooms
            .iter()
            .filter(|r| !["main", "lib"].contains(r))
            .map(|r| format!("`{r}`"))
            .collect();
        let line = lib
            .lines()
            .find(|l| l.starts_with(&format!("//! {}. ", n + 1)))
            .unwrap_or_else(|| panic!("lib.rs states no layer {}", n + 1));
        assert!(
            line.ends_with(&rooms.join(", ")),
            "lib.rs layer {}: {line} (expected {})",
            n + 1,
            rooms.join(", ")
        );
    }
    let architecture = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let order = stated_order();
    assert!(
        architecture.replace('\n', " ").contains(&order),
        "ARCHITECTURE.md does not state the order: {order}"
    );
}

/// The check itself can fail: a planted arrow against the flow is found,
/// alone or inside a group, on one line or several.
#[test]
fn a_planted_backward_import_is_found() {
    let planted = "use crate::bench::pipeline;\n#[cfg(test)]\nmod tests { use crate::cli; }\n";
    let found = uses(planted);
    assert_eq!(found, vec![(1, "bench".to_string())]);
    assert!(layer("bench") > layer("overlay"));
    let grouped = "use crate::{frame::Frame, bench::{X, Y}};\nuse crate::{\n    pixfmt,\n    // crate::cli\n    report::Z,\n};\n";
    assert_eq!(
        uses(grouped),
        vec![
            (1, "frame".to_string()),
            (1, "bench".to_string()),
            (3, "pixfmt".to_string()),
            (5, "report".to_string()),
        ]
    );
}

/// Every source file's non-test code, with its path under `src/`.
fn production_code() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            let code = match text.find("#[cfg(test)]\nmod tests") {
                Some(at) => text[..at].to_string(),
                None => text,
            };
            (f.strip_prefix(&src).unwrap().display().to_string(), code)
        })
        .collect()
}

/// "path:line: text" for each production line outside `allowed` paths that contains `needle`.
fn stray_lines(allowed: impl Fn(&str) -> bool, needle: &str) -> Vec<String> {
    production_code()
        .into_iter()
        .filter(|(path, _)| !allowed(path))
        .flat_map(|(path, code)| {
            code.lines()
                .enumerate()
                .filter(|(_, l)| l.contains(needle) && !l.trim_start().starts_with("//"))
                .map(|(n, l)| format!("{path}:{}: {}", n + 1, l.trim()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Encoder names are matched in one place, the codec type; everything else asks it.
#[test]
fn encoder_names_are_matched_only_in_the_codec_type() {
    let stray: Vec<String> = [
        "_nvenc\"",
        "\"libx264\" =>",
        "\"libx265\" =>",
        "\"libsvtav1\" =>",
        "\"libaom-av1\" =>",
    ]
    .into_iter()
    .flat_map(|needle| stray_lines(|path| path == "results/codec.rs", needle))
    .collect();
    assert!(
        stray.is_empty(),
        "encoder names matched outside results/codec.rs:\n{}",
        stray.join("\n")
    );
}

/// Child processes are started in two rooms only: `ffmpeg/` (every ffmpeg
/// command line) and `process.rs` (deadlines, killed with us).
#[test]
fn processes_are_started_only_by_ffmpeg_and_process() {
    let stray = stray_lines(
        |path| path.starts_with("ffmpeg/") || path == "process.rs",
        "Command::new(",
    );
    assert!(
        stray.is_empty(),
        "processes started outside ffmpeg/ and process.rs:\n{}",
        stray.join("\n")
    );
}

/// Every byte to stdout or stderr goes through `cli/stdio.rs` (a full device
/// or a closed pipe handled once): no print macro, no raw stdout handle
/// anywhere else, and so no printing outside `cli/` at all.
#[test]
fn printing_happens_only_in_cli_stdio() {
    let mut stray = Vec::new();
    for needle in [
        "print!(",
        "println!(",
        "dbg!(",
        "io::stdout()",
        "io::stderr()",
    ] {
        stray.extend(
            stray_lines(|path| path == "cli/stdio.rs", needle)
                .into_iter()
                .filter(|l| !l.contains("is_terminal()")),
        );
    }
    stray.sort();
    stray.dedup();
    assert!(
        stray.is_empty(),
        "printing outside cli/stdio.rs:\n{}",
        stray.join("\n")
    );
}

/// A type has one address: no room re-exports another room's items
/// (`pub use crate::…` or `pub use super::…` from a module that is not its
/// own child), so a moved type cannot keep its old name alive.
#[test]
fn no_room_re_exports_another_rooms_items() {
    let stray: Vec<String> = ["pub use crate::", "pub use super::"]
        .into_iter()
        .flat_map(|needle| stray_lines(|_| false, needle))
        .collect();
    assert!(
        stray.is_empty(),
        "re-exported under a second address (import the item from its own room):\n{}",
        stray.join("\n")
    );
}
