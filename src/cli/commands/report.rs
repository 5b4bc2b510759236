//! `nvviz-bench report`: results files in, the guide's tables out.

use anyhow::bail;

use super::Outcome;
use crate::cli::stdio::{errln, out};
use crate::cli::ReportArgs;
use crate::report::{self, format, stages};

pub fn run(args: &ReportArgs) -> anyhow::Result<Outcome> {
    if args.output.is_none() && args.format.is_none() {
        bail!("say where the report goes: -o DIR (markdown + charts) and/or --format md|json|csv (tables to stdout)");
    }
    let user_stages = args
        .stage
        .iter()
        .map(|s| stages::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let inputs = report::load(&args.results)?;
    let sections = report::build(&inputs, &user_stages);
    if let Some(dir) = &args.output {
        let (path, charts) = report::write_dir(dir, &inputs, &sections)?;
        errln!("report: {} (+{} charts)", path.display(), charts.len());
    }
    if let Some(f) = args.format {
        let tables = report::all_tables(&sections);
        out(&format::formatter(f).render(&inputs, &tables)?)?;
    }
    Ok(Outcome::Ok)
}
