//! The integration tests: one binary, every suite a module, so the tests of
//! all of them share one pool of threads (a test waiting on a child process
//! leaves its core to another suite's) and the test build links once.
//! Each module runs the real binary (`CARGO_BIN_EXE_nvviz-bench`).
//!
//!   cargo test --test suite                 every suite
//!   cargo test --test suite argument_sweep::   one suite

mod common;

/// Named to be the first test libtest starts: the package suite's release
/// build begins now, on a thread of its own, and is ready when that suite runs.
#[test]
fn a_package_build_starts_before_the_suites() {
    assert!(
        package::start_building(),
        "the build had already been taken"
    );
}

// libtest starts tests in name order: the argument sweep (CPU-bound, the
// longest suite) is named to start first, so the short suites fill the other
// thread around it instead of it ending the run alone; the package's tests
// (mostly a single-threaded release build and downloads) stay mid-run, where
// short suites overlap them.
mod adapters;
mod architecture;
mod argument_sweep;
mod bench;
mod captions;
mod cli;
mod commands;
mod compare;
mod doctor;
mod faults;
mod fleet;
mod gpu_resident;
mod inputs;
mod install;
mod links;
mod no_panic;
mod outputs;
mod package;
mod properties;
mod real_footage;
mod report;
mod scripts;
mod signals;
mod streams;
