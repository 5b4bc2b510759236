//! Progress: a bar per run on a terminal, one plain line per run elsewhere, nothing with --quiet.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    Bars,
    Lines,
    Quiet,
}

impl Display {
    pub fn detect(quiet: bool) -> Self {
        if quiet {
            Self::Quiet
        } else if std::io::stderr().is_terminal() {
            Self::Bars
        } else {
            Self::Lines
        }
    }
}

impl Progress {
    pub fn start(display: Display, label: &str, frames: u64) -> Self {
        let bar = (display == Display::Bars).then(|| {
            let bar = ProgressBar::new(frames);
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg:40} {wide_bar} {pos}/{len} [{elapsed_precise}] {per_sec}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_message(label.to_string());
            bar
        });
        Self { bar }
    }

    pub fn frame(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
