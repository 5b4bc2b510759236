//! nvviz-bench: benchmark and diagnose the overlay + encode stage of
//! video-analytics demos.
//!
//! The module tree follows the data path, one layer after another; a room
//! uses rooms of its own layer or earlier ones, never a later one
//! (`tests/suite/architecture.rs` holds this order, ARCHITECTURE.md describes it):
//!
//! 1. foundation: `process`, `interrupt`, `atomic_file`, `scratch`, `input_file`, `frame`, `pixfmt`, `assets`
//! 2. the schema every later room reads and writes: `results`
//! 3. the external tools (ffmpeg, and the GPU driven from this process): `ffmpeg`, `cuda`
//! 4. the machine and what to draw on: `probe`, `workload`
//! 5. drawing: `overlay`
//! 6. writing frames: `encode`
//! 7. cases and their lifecycle: `bench`
//! 8. reading results: `report`
//! 9. the regression gate: `compare`
//! 10. the command line, the only room that prints (through `cli::stdio`): `cli`

// 1. foundation
pub mod assets;
pub mod atomic_file;
pub mod frame;
pub mod input_file;
pub mod interrupt;
pub mod pixfmt;
pub mod process;
pub mod scratch;
// 2. the schema
pub mod results;
// 3. the external tools
pub mod cuda;
pub mod ffmpeg;
// 4. the machine and the workload
pub mod probe;
pub mod workload;
// 5. drawing
pub mod overlay;
// 6. writing frames
pub mod encode;
// 7. cases
pub mod bench;
// 8. reading results
pub mod report;
// 9. the regression gate
pub mod compare;
// 10. the command line
pub mod cli;

/// Commit the binary was built from (`git describe`), or "unknown" outside a checkout.
pub const GIT_COMMIT: &str = env!("NVVIZ_GIT_COMMIT");

/// `--version` text: crate version and commit.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("NVVIZ_GIT_COMMIT"),
    ")"
);
