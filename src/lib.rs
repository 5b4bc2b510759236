//! nvviz-bench: benchmark and diagnose the overlay + encode stage of
//! video-analytics demos.
//!
//! The module tree follows the data path: `probe` (what the machine can do) →
//! workload → overlay → encode → bench → results → report. External tools each
//! have their own module (`ffmpeg`), and child processes theirs (`process`).

pub mod assets;
pub mod atomic_file;
pub mod cli;
pub mod compare;
pub mod ffmpeg;
pub mod probe;
pub mod process;
pub mod report;
pub mod results;
pub mod scratch;

/// Commit the binary was built from (`git describe`), or "unknown" outside a checkout.
pub const GIT_COMMIT: &str = env!("NVVIZ_GIT_COMMIT");

/// `--version` text: crate version and commit.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("NVVIZ_GIT_COMMIT"),
    ")"
);
pub mod bench;
pub mod encode;
pub mod frame;
pub mod input_file;
pub mod interrupt;
pub mod overlay;
pub mod pixfmt;
pub mod workload;
