//! `nvviz-bench completions SHELL` and `nvviz-bench man`: generated from the
//! CLI definition itself (clap_complete, clap_mangen), so they never lag it.

use clap::CommandFactory;

use super::Outcome;
use crate::cli::{Cli, CompletionsArgs};

pub fn completions(args: &CompletionsArgs) -> anyhow::Result<Outcome> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "nvviz-bench", &mut std::io::stdout());
    Ok(Outcome::Ok)
}

pub fn man() -> anyhow::Result<Outcome> {
    clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
    Ok(Outcome::Ok)
}
