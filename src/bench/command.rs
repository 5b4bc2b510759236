//! A user's command as a case (`bench --command NAME='CMD …'`): their own
//! visualizer or writer, fed the same workload and timed, verified and judged
//! like every built-in mode, through the same lifecycle (`case_run.rs`).
//!
//! The command gets the workload as a video file (`{input}`, the workload's
//! frames written once) or, when it names no `{input}`, as raw bgr24 frames on
//! its stdin, as the guide's source hands them. It may print its cumulative
//! frame count, a line at a time, to file descriptor 3 (`$NVVIZ_PROGRESS_FD`):
//! then its fps is its steady state after the warm-up frames; otherwise the
//! whole process is timed, start-up included, and every output says so.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::progress::Progress;
use super::run::{RunContext, RunError, RunOutcome};
use super::usage;
use crate::encode::SinkOutput;
use crate::frame::Frame;
use crate::process;
use crate::results::command::{CommandCase, CommandInput, CommandRun, CommandTiming, Finding};
use crate::results::{CaseResult, RssScope, RunResult, Stages};

/// The placeholders a command line may hold, each replaced by a shell-quoted value.
pub const PLACEHOLDERS: [&str; 8] = [
    "{input}",
    "{output}",
    "{detections}",
    "{frames}",
    "{width}",
    "{height}",
    "{fps}",
    "{progress_fd}",
];

/// `NAME=CMD` as given to `--command`.
#[derive(Debug, Clone, PartialEq)]
pub struct UserCommand {
    pub name: String,
    pub template: String,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CommandError {
    #[error("--command wants NAME=COMMAND, e.g. --command mine='python3 my_writer.py {{input}} {{output}}'")]
    NoName,
    #[error("--command name '{0}': use letters, digits, '.', '_' or '-' (it names the case)")]
    BadName(String),
    #[error("--command {0}: the command is empty")]
    Empty(String),
    #[error("--command {name}: unknown placeholder {placeholder} (known: {known})", known = PLACEHOLDERS.join(" "))]
    UnknownPlaceholder { name: String, placeholder: String },
    #[error("--command {0}: it names no {{output}}: where it writes is what is verified")]
    NoOutput(String),
}

impl FromStr for UserCommand {
    type Err = CommandError;

    fn from_str(s: &str) -> Result<Self, CommandError> {
        let (name, template) = s.split_once('=').ok_or(CommandError::NoName)?;
        let name = name.trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            return Err(CommandError::BadName(name.into()));
        }
        if template.trim().is_empty() {
            return Err(CommandError::Empty(name.into()));
        }
        for placeholder in placeholders_in(template) {
            if !PLACEHOLDERS.contains(&placeholder) {
                return Err(CommandError::UnknownPlaceholder {
                    name: name.into(),
                    placeholder: placeholder.into(),
                });
            }
        }
        if !template.contains("{output}") {
            return Err(CommandError::NoOutput(name.into()));
        }
        Ok(Self {
            name: name.into(),
            template: template.into(),
        })
    }
}

/// Every `{word}` in `template` (letters and `_` between braces).
fn placeholders_in(template: &str) -> impl Iterator<Item = &str> {
    template.match_indices('{').filter_map(move |(i, _)| {
        let rest = &template[i..];
        let end = rest.find('}')?;
        let word = &rest[1..end];
        (!word.is_empty() && word.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .then(|| &rest[..=end])
    })
}

/// One value as the shell reads it: single-quoted, quotes inside escaped.
fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

impl UserCommand {
    pub fn input(&self) -> CommandInput {
        if self.template.contains("{input}") {
            CommandInput::File
        } else {
            CommandInput::Stdin
        }
    }

    /// The command line with every placeholder replaced.
    pub fn expand(&self, v: &Values) -> String {
        let path =
            |p: Option<&Path>| quote(&p.map(|p| p.display().to_string()).unwrap_or_default());
        [
            ("{input}", path(v.input)),
            ("{output}", path(Some(v.output))),
            ("{detections}", path(v.detections)),
            ("{frames}", v.frames.to_string()),
            ("{width}", v.width.to_string()),
            ("{height}", v.height.to_string()),
            ("{fps}", format!("{}", v.fps)),
            ("{progress_fd}", "3".to_string()),
        ]
        .iter()
        .fold(self.template.clone(), |line, (k, val)| line.replace(k, val))
    }

    /// What its result records before it runs.
    pub fn case(&self) -> CommandCase {
        CommandCase {
            name: self.name.clone(),
            template: self.template.clone(),
            input: self.input(),
            timing: None,
            findings: Vec::new(),
        }
    }

    /// Named or written for NVENC (its name or its command line says so).
    fn wants_nvenc(&self) -> bool {
        let named = |s: &str| s.to_ascii_lowercase().contains("nvenc");
        named(&self.name) || named(&self.template)
    }
}

/// What the placeholders stand for in one run.
pub struct Values<'a> {
    pub input: Option<&'a Path>,
    pub output: &'a Path,
    pub detections: Option<&'a Path>,
    /// Every frame it is given (warm-up included).
    pub frames: u64,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
}

/// The files every run of a command case reads, written once when it starts.
pub struct Inputs {
    video: Option<tempfile::TempPath>,
    /// Only where the command names `{detections}`.
    detections: Option<tempfile::TempPath>,
}

impl Inputs {
    /// The workload's frames (warm-up included) as a video where the command
    /// reads `{input}`, and its detections as a schema-v2 file where it reads
    /// `{detections}`: nothing it does not name is written.
    pub fn write(ctx: &RunContext, command: &UserCommand) -> anyhow::Result<Self> {
        let detections = if command.template.contains("{detections}") {
            Some(write_detections(ctx)?)
        } else {
            None
        };
        let video = match command.input() {
            CommandInput::Stdin => None,
            CommandInput::File => Some(write_video(ctx)?),
        };
        Ok(Self { video, detections })
    }
}

/// The workload's detections as a schema-v2 file.
fn write_detections(ctx: &RunContext) -> anyhow::Result<tempfile::TempPath> {
    let info = &ctx.workload.info;
    let mut file = crate::scratch::file("detections", ".json")?;
    let doc = ctx
        .workload
        .detections
        .to_file(info.width, info.height, info.fps);
    serde_json::to_writer(&mut file, &doc)?;
    file.flush()?;
    Ok(file.into_temp_path())
}

/// The workload's frames (warm-up included) as an H.264 file any reader
/// opens (libx264, yuv420p): a command's `{input}`, the GPU path's video.
pub fn write_video(ctx: &RunContext) -> anyhow::Result<tempfile::TempPath> {
    let ffmpeg = ctx.ffmpeg.ok_or_else(|| {
        anyhow::anyhow!("a command reading {{input}} needs ffmpeg to write the video it reads")
    })?;
    let info = &ctx.workload.info;
    let path = crate::scratch::file("input", ".mp4")?.into_temp_path();
    let mut settings = crate::ffmpeg::args::EncodeSettings::guide("libx264").for_encoder("libx264");
    settings.browser_compat = true;
    let raw = crate::ffmpeg::args::RawInput::new(
        info.width,
        info.height,
        info.fps,
        crate::pixfmt::PixFmt::Bgr24,
    );
    let mut sink = crate::encode::ffmpeg_pipe::FfmpegPipeSink::spawn(
        ffmpeg,
        &raw,
        &settings,
        &path,
        ctx.write_timeout,
        ctx.engine.pipe,
    )?;
    let mut written = Ok(());
    for_each_frame(ctx, |frame| {
        written = crate::encode::FrameSink::write(&mut sink, frame, &frame.data);
        written.is_ok()
    })?;
    written?;
    crate::encode::FrameSink::finish(Box::new(sink))?;
    Ok(path)
}

/// Hands every frame of the run (warm-up included) to `f` until it says stop.
fn for_each_frame(ctx: &RunContext, mut f: impl FnMut(&Frame) -> bool) -> anyhow::Result<()> {
    let info = &ctx.workload.info;
    let mut reader = ctx.workload.reader()?;
    let mut frame = Frame::new(info.width, info.height);
    for _ in 0..ctx.warmup + info.frames {
        if !reader.read_into(&mut frame)? || !f(&frame) {
            break;
        }
    }
    Ok(())
}

/// The command line one run of it runs.
pub fn line(ctx: &RunContext, command: &UserCommand, inputs: &Inputs, output: &Path) -> String {
    let info = &ctx.workload.info;
    command.expand(&Values {
        input: inputs.video.as_deref(),
        output,
        detections: inputs.detections.as_deref(),
        frames: ctx.warmup + info.frames,
        width: info.width,
        height: info.height,
        fps: info.fps,
    })
}

/// A progress line: the time it came, the count it said.
type Mark = (Instant, u64);

/// One run of the command: spawned, fed, waited for (until `deadline`), its
/// process group emptied, timed from its progress lines where it wrote them.
pub fn run(
    ctx: &RunContext,
    command: &UserCommand,
    inputs: &Inputs,
    output: &Path,
    deadline: Duration,
    progress: &Progress,
) -> Result<RunOutcome, RunError> {
    let total = ctx.warmup + ctx.workload.info.frames;
    let line = line(ctx, command, inputs, output);
    let (read_end, write_end) = progress_pipe()?;
    let env = [
        ("NVVIZ_PROGRESS_FD", "3".to_string()),
        ("NVVIZ_FRAMES", total.to_string()),
    ];
    let cpu_before = usage::now();
    let started = Instant::now();
    let dir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let stdin_piped = command.input() == CommandInput::Stdin;
    let mut child = process::spawn_shell(&line, &dir, stdin_piped, Some(write_end), &env)
        .map_err(|e| RunError::Other(e.into()))?;
    let stdin = child.stdin.take();
    let stderr = child.stderr.take();
    // Set once it is reaped and its group emptied: a pipe still held then is
    // held by a process that left its group, and is read no further.
    let stop = AtomicBool::new(false);
    let (reaped, marks, tail) = std::thread::scope(|scope| {
        let stop = &stop;
        let marks = scope.spawn(move || read_marks(read_end, progress, stop));
        let tail = scope.spawn(move || stderr_tail(stderr, stop));
        if let Some(stdin) = stdin {
            scope.spawn(move || feed(ctx, stdin, stop));
        }
        let reaped = process::wait_reaped(&child, started + deadline);
        // What it left running still holds its pipes: gone before they are read to the end.
        let left = match reaped {
            Some(_) => process::kill_leftovers(child.id()),
            None => {
                process::kill_group_and_reap(&mut child);
                0
            }
        };
        stop.store(true, Ordering::Relaxed);
        (
            reaped.map(|r| (r, left)),
            marks.join().unwrap_or_default(),
            tail.join().unwrap_or_default(),
        )
    });
    let process_s = started.elapsed().as_secs_f64();
    let Some((reaped, left)) = reaped else {
        if crate::interrupt::requested() {
            return Err(RunError::Interrupted);
        }
        return Err(failed(format!(
            "did not finish within {:.0} s (killed with its children; --command-timeout sets the limit)",
            deadline.as_secs_f64()
        )));
    };
    if !reaped.status.success() {
        use std::os::unix::process::ExitStatusExt;
        let how = match (reaped.status.code(), reaped.status.signal()) {
            (Some(code), _) => format!("exited with status {code}"),
            (None, Some(signal)) => format!("was killed by signal {signal}"),
            _ => "failed".into(),
        };
        return Err(failed(format!(
            "{how}: {}",
            tail.last().map_or("(nothing on stderr)", String::as_str)
        )));
    }
    if left > 0 {
        return Err(failed(format!(
            "left {left} process(es) running after it exited (killed): a writer must wait for its encoder"
        )));
    }
    let (timing, frames, wall) = timed(&marks, ctx.warmup, total, process_s);
    let cpu = usage::now();
    let user_sys = reaped.user_s + reaped.sys_s;
    let result = RunResult {
        fps: frames as f64 / wall.max(1e-9),
        wall_s: wall,
        stages_ms_per_frame: Stages::default(),
        cpu_own_cores: (cpu.own_s - cpu_before.own_s) / process_s.max(1e-9),
        cpu_children_cores: Some(user_sys / process_s.max(1e-9)),
        max_rss_mib: reaped.max_rss_kib as f64 / 1024.0,
        rss_scope: RssScope::CommandTree,
        first_frame_ms: None,
        stream_fps: Vec::new(),
        split: None,
        pipe: None,
        others_cores: cpu.others_cores(&cpu_before, process_s),
        steal_cores: cpu.steal_cores(&cpu_before, process_s),
        realtime: None,
        command: Some(CommandRun {
            timing,
            user_s: reaped.user_s,
            sys_s: reaped.sys_s,
            peak_rss_mib: reaped.max_rss_kib as f64 / 1024.0,
            startup_s: marks
                .first()
                .map(|(t, _)| t.duration_since(started).as_secs_f64()),
            reported_frames: marks.last().map(|(_, n)| *n),
            process_s,
        }),
        fed_frames: None,
        decode: None,
    };
    Ok(RunOutcome {
        result,
        output: SinkOutput {
            path: Some(output.to_path_buf()),
            command: Some(line),
            stderr_tail: tail,
            ..SinkOutput::default()
        },
    })
}

fn failed(message: String) -> RunError {
    RunError::Command(message)
}

/// Steady state from the progress lines (the first that reaches the warm-up
/// to the last), else the whole process: (how, frames timed, seconds).
fn timed(marks: &[Mark], warmup: u64, total: u64, process_s: f64) -> (CommandTiming, u64, f64) {
    let from = marks.iter().find(|(_, n)| *n >= warmup.max(1));
    match (from, marks.last()) {
        (Some(&(t0, n0)), Some(&(t1, n1))) if n1 > n0 && t1 > t0 => (
            CommandTiming::Progress,
            n1 - n0,
            t1.duration_since(t0).as_secs_f64(),
        ),
        _ => (CommandTiming::WholeProcess, total, process_s),
    }
}

/// A pipe whose write end the command gets as fd 3 (both ends close-on-exec here).
fn progress_pipe() -> Result<(OwnedFd, OwnedFd), RunError> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two descriptors we then own.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(RunError::Other(std::io::Error::last_os_error().into()));
    }
    // SAFETY: both were just created by pipe2 and are owned by nothing else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Every progress line the command writes: a frame count, its first number.
fn read_marks(read_end: OwnedFd, progress: &Progress, stop: &AtomicBool) -> Vec<Mark> {
    let mut marks: Vec<Mark> = Vec::new();
    drain_lines(read_end, stop, |line| {
        let count = line
            .split(|c: char| !c.is_ascii_digit())
            .find(|t| !t.is_empty())
            .and_then(|t| t.parse::<u64>().ok());
        if let Some(n) = count {
            let before = marks.last().map_or(0, |(_, n)| *n);
            (before..n).for_each(|_| progress.frame());
            marks.push((Instant::now(), n));
        }
    });
    marks
}

/// The last lines the command wrote on stderr.
fn stderr_tail(stderr: Option<std::process::ChildStderr>, stop: &AtomicBool) -> Vec<String> {
    let mut tail = std::collections::VecDeque::new();
    if let Some(stderr) = stderr {
        drain_lines(OwnedFd::from(stderr), stop, |line| {
            if tail.len() == 20 {
                tail.pop_front();
            }
            if !line.trim().is_empty() {
                tail.push_back(line.to_string());
            }
        });
    }
    tail.into()
}

/// Reads `fd` line by line until its end, or until `stop` is set and it has
/// nothing more to read (a process outside the group still holds it).
fn drain_lines(fd: OwnedFd, stop: &AtomicBool, mut on_line: impl FnMut(&str)) {
    let mut file = std::fs::File::from(fd);
    let mut pending = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if !process::ready(&file, libc::POLLIN, 50) {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            continue;
        }
        match file.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => pending.extend_from_slice(&chunk[..n]),
        }
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            on_line(String::from_utf8_lossy(&line).trim_end());
        }
    }
    if !pending.is_empty() {
        on_line(String::from_utf8_lossy(&pending).trim_end());
    }
}

/// Raw bgr24 frames on the command's stdin until it has them all, stops
/// reading, or (after `stop`) cannot take more.
fn feed(ctx: &RunContext, stdin: std::process::ChildStdin, stop: &AtomicBool) {
    let fd = OwnedFd::from(stdin);
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    let mut pipe = std::fs::File::from(fd);
    let _ = for_each_frame(ctx, |frame| {
        let mut rest: &[u8] = &frame.data;
        while !rest.is_empty() {
            match pipe.write(rest) {
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if !process::ready(&pipe, libc::POLLOUT, 50) && stop.load(Ordering::Relaxed) {
                        return false;
                    }
                }
                Err(_) => return false,
            }
        }
        true
    });
}

/// What a finished command case shows, in the guide's terms.
pub fn judge(command: &UserCommand, result: &mut CaseResult, decoded: Option<u64>) {
    let mut findings = Vec::new();
    let last = result.runs.last().and_then(|r| r.command.as_ref());
    let written_by = result.verified.as_ref().and_then(|v| v.written_by.clone());
    let nvenc_ran = written_by.as_deref().is_some_and(|w| w.contains("nvenc"));
    if command.wants_nvenc() && !nvenc_ran {
        let encoder = written_by
            .clone()
            .or_else(|| result.verified.as_ref().map(|v| v.codec.clone()))
            .unwrap_or_else(|| "an encoder the file does not name".into());
        findings.push(Finding::NvencNotUsed { encoder });
    }
    let sampled = !result.gpu_samples.is_empty();
    if sampled
        && result
            .gpu_samples
            .iter()
            .all(|s| s.encoder_utilization_percent == Some(0))
    {
        findings.push(Finding::NvencIdle);
    }
    let t = command.template.replace(['\'', '"'], "");
    if t.contains("-pix_fmt bgr24") && t.contains("rawvideo") {
        findings.push(Finding::Bgr24Pipe);
    }
    if let Some(p) = result.verified.as_ref().and_then(|v| v.pix_fmt.clone()) {
        if p.starts_with("yuv444") || p.starts_with("gbr") || p.contains("444") {
            findings.push(Finding::FullChroma { pix_fmt: p });
        }
    }
    let cores = result
        .runs
        .iter()
        .filter_map(|r| r.cpu_children_cores)
        .fold(0.0_f64, f64::max);
    if nvenc_ran && cores > 1.0 {
        findings.push(Finding::CpuBound { cores });
    }
    if last.is_some_and(|c| c.timing == CommandTiming::WholeProcess) {
        findings.push(Finding::StartupIncluded);
    }
    // Claimed more than it wrote (a writer may report every N frames: fewer is fine).
    let holds = result.verified.as_ref().map(|v| v.frames).or(decoded);
    if let (Some(reported), Some(holds)) = (last.and_then(|c| c.reported_frames), holds) {
        if reported > holds {
            findings.push(Finding::ClaimedFrames {
                reported,
                decoded: Some(holds),
            });
        }
    }
    if let Some(case) = result.user_command.as_mut() {
        case.timing = last.map(|c| c.timing);
        case.findings = findings;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_name_and_command_and_refuses_what_cannot_run() {
        let c: UserCommand = "mine=python3 w.py {input} {output}".parse().unwrap();
        assert_eq!(c.name, "mine");
        assert_eq!(c.input(), CommandInput::File);
        let s: UserCommand = "pipe=ffmpeg -f rawvideo -i - {output}".parse().unwrap();
        assert_eq!(s.input(), CommandInput::Stdin);
        assert_eq!("x".parse::<UserCommand>(), Err(CommandError::NoName));
        assert_eq!(
            "a b=c {output}".parse::<UserCommand>(),
            Err(CommandError::BadName("a b".into()))
        );
        assert_eq!(
            "a=  ".parse::<UserCommand>(),
            Err(CommandError::Empty("a".into()))
        );
        assert!(matches!(
            "a=x {outptu} {output}".parse::<UserCommand>(),
            Err(CommandError::UnknownPlaceholder { placeholder, .. }) if placeholder == "{outptu}"
        ));
        assert_eq!(
            "a=cat {input}".parse::<UserCommand>(),
            Err(CommandError::NoOutput("a".into()))
        );
        // Braces that are not placeholders (a shell's ${VAR}, Python's dict) pass.
        assert!("a=echo ${HOME} '{\"k\": 1}' > {output}"
            .parse::<UserCommand>()
            .is_ok());
    }

    #[test]
    fn expands_placeholders_shell_quoted() {
        let c: UserCommand = "m=w {input} {output} {frames} {width}x{height}@{fps} {progress_fd}"
            .parse()
            .unwrap();
        let line = c.expand(&Values {
            input: Some(Path::new("/tmp/in put.mp4")),
            output: Path::new("/tmp/it's.mp4"),
            detections: None,
            frames: 305,
            width: 640,
            height: 360,
            fps: 29.97,
        });
        assert_eq!(
            line,
            r"w '/tmp/in put.mp4' '/tmp/it'\''s.mp4' 305 640x360@29.97 3"
        );
    }

    #[test]
    fn steady_state_from_progress_lines_else_the_whole_process() {
        let t0 = Instant::now();
        let at = |ms: u64, n: u64| (t0 + Duration::from_millis(ms), n);
        let marks = [at(1000, 1), at(1100, 5), at(2100, 105)];
        let (how, frames, secs) = timed(&marks, 5, 105, 2.5);
        assert_eq!(how, CommandTiming::Progress);
        assert_eq!(frames, 100);
        assert!((secs - 1.0).abs() < 1e-9);
        let (how, frames, secs) = timed(&[], 5, 105, 2.5);
        assert_eq!((how, frames, secs), (CommandTiming::WholeProcess, 105, 2.5));
        // One line only: no span to time.
        assert_eq!(
            timed(&[at(10, 105)], 5, 105, 2.5).0,
            CommandTiming::WholeProcess
        );
    }
}
