//! `nvviz-bench completions SHELL` and `nvviz-bench man`: generated from the
//! CLI definition itself (clap_complete, clap_mangen), so they never lag it.

use clap::CommandFactory;

use super::Outcome;
use crate::cli::{stdio, Cli, CompletionsArgs, ManArgs};

pub fn completions(args: &CompletionsArgs) -> anyhow::Result<Outcome> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "nvviz-bench", &mut script);
    stdio::out_bytes(&script)?;
    Ok(Outcome::Ok)
}

/// The tool's page, or a subcommand's (`nvviz-bench-bench(1)`, the name the
/// tool's page refers to in SEE ALSO) with every option of it.
pub fn man(args: &ManArgs) -> anyhow::Result<Outcome> {
    let cmd = Cli::command();
    let man = match &args.subcommand {
        None => clap_mangen::Man::new(cmd),
        Some(name) => {
            let sub = cmd
                .find_subcommand(name)
                .expect("clap checked the name")
                .clone();
            // The page's name, as SEE ALSO spells it (clap takes static names).
            let title: &'static str = Box::leak(format!("nvviz-bench-{name}").into_boxed_str());
            clap_mangen::Man::new(sub.name(title).bin_name(title))
        }
    };
    let mut page = Vec::new();
    man.render(&mut page)?;
    stdio::out_bytes(&page)?;
    Ok(Outcome::Ok)
}
