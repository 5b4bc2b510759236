//! The integration tests: one binary, every suite a module, so the tests of
//! all of them share one pool of threads (a test waiting on a child process
//! leaves its core to another suite's) and the test build links once.
//! Each module runs the real binary (`CARGO_BIN_EXE_nvviz-bench`).
//!
//!   cargo test --test suite                 every suite
//!   cargo test --test suite sweep::         one suite

mod common;

mod adapters;
mod architecture;
mod bench;
mod captions;
mod cli;
mod commands;
mod compare;
mod doctor;
mod faults;
mod fleet;
mod gpu_resident;
mod gpus;
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
mod sweep;
