//! One file per subcommand.

pub mod bench;
pub mod compare;
pub mod doctor;
pub mod render;
pub mod report;
pub mod setup;

/// How a subcommand ended, mapped to the process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 0: everything asked for works.
    Ok,
    /// 1: ran fine, but what was required is not available.
    RequirementNotMet,
}
