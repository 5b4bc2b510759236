//! The command line: clap's parsing (`args`), the library's specs made from
//! it (`options`), the terminal's progress (`progress`, the library's
//! `Observer`), the one path to stdout and stderr (`stdio`), and one file per
//! subcommand (`commands`). Tables are made in `report::terminal`.

pub mod args;
pub mod commands;
pub mod options;
pub mod progress;
pub mod stdio;

pub use args::*;
