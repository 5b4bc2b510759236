//! `report`: the guide's comparison tables, measured, from results files.
//! Building the tables (`sections`, one file each, reading the cases `select`
//! picks) is apart from writing them out (`format`) and from drawing charts
//! (`charts`).

pub mod charts;
pub mod format;
pub mod sections;
pub mod select;
pub mod stages;
pub mod terminal;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::results::{CaseResult, Results};
use sections::{
    across_machines, analysis, components, environment, fleet, headroom, performance, presets,
    transport,
};

/// One results file and the name it goes by in the report.
pub struct Input {
    pub label: String,
    pub path: PathBuf,
    pub results: Results,
}

pub fn load(paths: &[PathBuf]) -> Result<Vec<Input>, LoadError> {
    if paths.is_empty() {
        return Err(LoadError::NoFiles);
    }
    let mut inputs: Vec<Input> = Vec::new();
    for path in paths {
        let text = crate::input_file::read_text(path, "results file", 1 << 30)?;
        let results = Results::from_json(&text).map_err(|cause| LoadError::Schema {
            path: path.clone(),
            cause,
        })?;
        // Files of the same name from different runs go by their folder too
        // (`ci-2core-run4/engine-sequential`); a number only as a last resort.
        let mut label = label_of(path);
        if inputs.iter().any(|i| i.label == label) {
            if let Some(dir) = path.parent().and_then(Path::file_name) {
                label = format!("{}/{label}", dir.to_string_lossy());
            }
        }
        if inputs.iter().any(|i| i.label == label) {
            label = format!("{label} ({})", inputs.len() + 1);
        }
        inputs.push(Input {
            label,
            path: path.clone(),
            results,
        });
    }
    Ok(inputs)
}

/// Why the report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot create report directory {} (choose another -o): {cause}", dir.display())]
    Directory { dir: PathBuf, cause: std::io::Error },
    #[error(transparent)]
    Chart(#[from] charts::ChartError),
    #[error(transparent)]
    File(#[from] crate::atomic_file::OutputFileError),
}

/// Why results files could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("give at least one results file (from `nvviz-bench bench --export-json FILE`)")]
    NoFiles,
    #[error(transparent)]
    Read(#[from] crate::input_file::InputError),
    #[error("{}: {cause}", path.display())]
    Schema {
        path: PathBuf,
        cause: crate::results::SchemaError,
    },
}

fn label_of(path: &Path) -> String {
    path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    )
}

/// A table of text cells, ready for any output format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub id: String,
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(id: impl Into<String>, title: impl Into<String>, headers: &[&str]) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

/// A section of the markdown report: prose, tables and charts.
#[derive(Debug, Clone, Default)]
pub struct Section {
    pub title: String,
    pub paragraphs: Vec<String>,
    pub tables: Vec<Table>,
    /// Chart file names (relative to the report) with their alt text.
    pub charts: Vec<(String, String)>,
}

/// Successful cases of a results file.
pub fn ok_cases(results: &Results) -> impl Iterator<Item = &CaseResult> {
    results.cases.iter().filter(|c| c.is_ok())
}

/// The whole report for these inputs.
pub fn build(inputs: &[Input], user_stages: &[stages::Stage]) -> Vec<Section> {
    let mut sections = Vec::new();
    let many = inputs.len() > 1;
    // A fleet's dozens of files: its own section, not dozens of each.
    let side_by_side = fleet::side_by_side(inputs);
    for input in inputs.iter().filter(|_| side_by_side) {
        let suffix = if many {
            format!(" — {}", input.label)
        } else {
            String::new()
        };
        sections.push(performance::section(input, &suffix));
        sections.push(presets::section(input, &suffix));
        sections.push(components::section(input, user_stages, &suffix));
        sections.push(analysis::bottleneck(inputs, input, user_stages, &suffix));
        sections.push(analysis::diagnosis(input, &suffix));
        sections.push(headroom::section(input, &suffix));
        sections.push(transport::section(input, &suffix));
    }
    if side_by_side {
        sections.push(environment::section(inputs));
    }
    if many && side_by_side {
        sections.push(across_machines::section(inputs));
    }
    // A fleet, or one node's GPUs (`bench --gpu`): grouped by node and GPU.
    let pinned = inputs
        .iter()
        .any(|i| i.results.cases.iter().any(|c| !c.gpus.is_empty()));
    if many || pinned {
        sections.push(fleet::section(inputs));
    }
    sections
}

/// Every table of the report, for `--format`.
pub fn all_tables(sections: &[Section]) -> Vec<Table> {
    sections
        .iter()
        .flat_map(|s| s.tables.iter().cloned())
        .collect()
}

/// The report as a directory: `dir/report.md` and each file's charts (not
/// drawn for a fleet's dozens), every file written atomically. Returns the
/// document's path and the charts'.
pub fn write_dir(
    dir: &Path,
    inputs: &[Input],
    sections: &[Section],
) -> Result<(PathBuf, Vec<PathBuf>), WriteError> {
    use crate::atomic_file::write_atomically;
    std::fs::create_dir_all(dir).map_err(|cause| WriteError::Directory {
        dir: dir.to_path_buf(),
        cause,
    })?;
    let mut written = Vec::new();
    for input in inputs.iter().filter(|_| fleet::side_by_side(inputs)) {
        let suffix = input
            .label
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_");
        let drawn = [
            ("fps", Some(charts::fps_chart(input)?)),
            ("presets", charts::preset_chart(input)?),
        ];
        for (name, svg) in drawn {
            if let Some(svg) = svg {
                let path = dir.join(format!("{name}-{suffix}.svg"));
                write_atomically(&path, svg.as_bytes())?;
                written.push(path);
            }
        }
    }
    let files = inputs.iter().map(|i| {
        let name = i.path.file_name();
        format!(
            "`{}`",
            name.map_or_else(|| i.label.clone(), |n| n.to_string_lossy().into_owned())
        )
    });
    let intro = vec![
        format!("Generated by `nvviz-bench report` from {}.", files.collect::<Vec<_>>().join(", ")),
        "Measured numbers come from those files; the machine and software behind them are in the Environment section. \
         Figures marked *declared* are quoted, not measured here: the guide's own figures (its 80-150 fps target), \
         NVIDIA's published NVENC throughput (with its source), and stages given with `--stage`.".into(),
    ];
    let md = format::markdown::document("nvviz-bench report", &intro, sections);
    let path = dir.join("report.md");
    write_atomically(&path, md.as_bytes())?;
    Ok((path, written))
}
