//! The integration tests: one binary, every suite a module, so the tests of
//! all of them share one pool of threads (a test waiting on a child process
//! leaves its core to another suite's) and the test build links once.
//! Each module runs the real binary (`CARGO_BIN_EXE_nvviz-bench`).
//!
//!   cargo test --test suite                 every suite
//!   cargo test --test suite argument_sweep::   one suite

mod common;

// libtest starts tests in name order: the two longest suites are named to
// start first (the argument sweep, CPU-bound; the packaged artifacts, mostly
// a release build and downloads), so the short ones fill the other thread
// around them instead of one long suite ending the run alone.
mod adapters;
mod architecture;
mod argument_sweep;
mod artifacts;
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
mod properties;
mod real_footage;
mod report;
mod scripts;
mod signals;
mod streams;
