//! `nvviz-bench completions SHELL` and `nvviz-bench man`: generated from the
//! CLI definition itself (clap_complete, clap_mangen), so they never lag it.

use clap::CommandFactory;

use super::Outcome;
use crate::cli::{stdio, Cli, CompletionsArgs};

pub fn completions(args: &CompletionsArgs) -> anyhow::Result<Outcome> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "nvviz-bench", &mut script);
    stdio::out_bytes(&script)?;
    Ok(Outcome::Ok)
}

pub fn man() -> anyhow::Result<Outcome> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    stdio::out_bytes(&page)?;
    Ok(Outcome::Ok)
}
