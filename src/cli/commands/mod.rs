//! One file per subcommand: each reads its validated options, runs the library
//! and prints (the only place that does).

pub mod bench;
pub mod compare;
pub mod completions;
pub mod doctor;
pub mod render;
pub mod report;

/// How a subcommand ended, mapped to the process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 0: everything asked for works.
    Ok,
    /// 1: ran fine, but what was required is not available.
    RequirementNotMet,
}
