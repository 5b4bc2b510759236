//! What a user's command case (`bench --command NAME='CMD …'`) records beside
//! the fields every case has: how it was fed and timed, what its process tree
//! used, and which of the guide's causes of a slow writer its run shows.

use serde::{Deserialize, Serialize};

/// The command, as given and as run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandCase {
    pub name: String,
    /// The command line with its placeholders (`{input}`, `{output}`, …).
    pub template: String,
    pub input: CommandInput,
    /// How its fps was timed (the last run's).
    pub timing: Option<CommandTiming>,
    /// What the run shows, in the guide's terms (empty: nothing to say).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
}

/// How the workload reached the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandInput {
    /// A video file at `{input}` (the workload's frames, written once).
    File,
    /// Raw bgr24 frames on its stdin, as the guide's source hands them.
    Stdin,
}

/// How a command's fps was timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandTiming {
    /// From its progress lines after the warm-up frames: steady state.
    Progress,
    /// It wrote no progress lines: the whole process, start-up included.
    WholeProcess,
}

impl CommandTiming {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Progress => "steady state (progress lines after the warm-up)",
            Self::WholeProcess => "whole process, start-up included (no progress lines)",
        }
    }
}

/// One run of a command: what its process tree used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandRun {
    pub timing: CommandTiming,
    /// CPU time of the command and the descendants it waited for.
    pub user_s: f64,
    pub sys_s: f64,
    /// The largest resident set of any one process of its tree (MiB).
    pub peak_rss_mib: f64,
    /// From its start to its first progress line (its start-up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_s: Option<f64>,
    /// The last frame count it reported on its progress descriptor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_frames: Option<u64>,
    /// The whole process's wall time (start-up and finishing included).
    pub process_s: f64,
}

/// Which of the guide's "poor performance" causes a command's run shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum Finding {
    /// Named or written for NVENC, but its stream was written by another encoder.
    NvencNotUsed { encoder: String },
    /// A GPU was sampled during its runs and its encoder stayed idle.
    NvencIdle,
    /// Raw bgr24 through an ffmpeg pipe: the colour conversion runs in ffmpeg.
    Bgr24Pipe,
    /// 4:4:4 H.264/HEVC: large, and browsers cannot play it.
    FullChroma { pix_fmt: String },
    /// Its process tree kept more than a core busy while the encoder was NVENC:
    /// the drawing/conversion, not the encoder, sets its pace.
    CpuBound { cores: f64 },
    /// It timed as a whole process: its start-up is in its fps.
    StartupIncluded,
    /// Its progress lines claimed frames its output does not hold.
    ClaimedFrames { reported: u64, decoded: Option<u64> },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NvencNotUsed { encoder } => write!(
                f,
                "NVENC not used: named for NVENC, its stream was written by {encoder} (check ffmpeg's output)"
            ),
            Self::NvencIdle => f.write_str("NVENC idle: the GPU's encoder did no work during its runs"),
            Self::Bgr24Pipe => f.write_str(
                "bgr24 on the pipe: ffmpeg converts every frame to YUV on the CPU (send yuv420p or nv12)",
            ),
            Self::FullChroma { pix_fmt } => write!(
                f,
                "{pix_fmt} output: 4:4:4 video is large and browsers cannot play it (ask for -pix_fmt yuv420p)"
            ),
            Self::CpuBound { cores } => write!(
                f,
                "CPU-bound: its processes kept {cores:.1} cores busy while NVENC encoded (drawing or conversion sets the pace)"
            ),
            Self::StartupIncluded => f.write_str(
                "timed as a whole process, start-up included: print frame counts to $NVVIZ_PROGRESS_FD for steady-state fps",
            ),
            Self::ClaimedFrames { reported, decoded } => match decoded {
                Some(d) => write!(f, "it reported {reported} frames written; its output decodes to {d}"),
                None => write!(f, "it reported {reported} frames written; its output could not be checked"),
            },
        }
    }
}
