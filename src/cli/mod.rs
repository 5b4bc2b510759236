//! The command line: clap's parsing (`args`), the options it validates into
//! (`options`), the terminal's progress (`progress`, the library's `Observer`)
//! and tables (`output`), and one file per subcommand (`commands`).

pub mod args;
pub mod commands;
pub mod options;
pub mod output;
pub mod progress;
pub mod stdio;
pub mod summary;

pub use args::*;
