//! Helpers shared by the integration tests: the real binary, fake ffmpeg scripts.
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// `nvviz-bench` with a clean environment for ffmpeg discovery.
pub fn nvviz() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("nvviz-bench").unwrap();
    cmd.env_remove("NVVIZ_FFMPEG").env("NO_COLOR", "1");
    cmd
}

/// What `render_on_nvdec` wrote into a directory: its stdout and stderr,
/// its results, and the output's path.
pub struct NvdecRender {
    pub stdout: String,
    pub stderr: String,
    pub results: serde_json::Value,
    pub out: PathBuf,
}

/// `render_on_nvdec` into `dir`'s `o.mp4`, its results exported to
/// `r.json`; it must exit 0.
pub fn render_on_nvdec_in(video: &Path, frames: u32, dir: &Path) -> NvdecRender {
    let (out, json) = (dir.join("o.mp4"), dir.join("r.json"));
    let run = render_on_nvdec(video, frames, &out)
        .arg("--export-json")
        .arg(&json)
        .output()
        .unwrap();
    assert_exit(&run, 0);
    NvdecRender {
        stdout: String::from_utf8_lossy(&run.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&run.stderr).into_owned(),
        results: read_json(&json),
        out,
    }
}

/// `render --mode native --decoder nvdec` of `frames` frames of `video` into
/// `out` (the command, for a test to add to).
pub fn render_on_nvdec(video: &Path, frames: u32, out: &Path) -> assert_cmd::Command {
    let mut cmd = nvviz();
    cmd.args([
        "render",
        "--mode",
        "native",
        "--decoder",
        "nvdec",
        "--frames",
    ])
    .arg(frames.to_string())
    .arg("--video")
    .arg(video)
    .arg("-o")
    .arg(out);
    cmd
}

/// Writes an executable shell script named `ffmpeg` into `dir`.
pub fn fake_ffmpeg(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("ffmpeg");
    std::fs::write(&path, format!("#!/usr/bin/env bash\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A fake ffmpeg that answers `-version`/`-encoders`/`-h` with the real Debian 5.1
/// outputs (`-encoders` with the version banner on stderr, as ffmpeg prints
/// it) and runs `encode_body` for anything else (an encode).
pub fn scripted_ffmpeg(dir: &Path, encode_body: &str) -> PathBuf {
    let version = fixture("ffmpeg/debian-5.1_version.txt");
    let encoders = fixture("ffmpeg/debian-5.1_encoders.txt");
    let help = fixture("ffmpeg/debian-5.1_h264_nvenc_help.txt");
    fake_ffmpeg(
        dir,
        &format!(
            r#"case " $* " in
  *" -version "*) cat '{}'; exit 0 ;;
  *" -hide_banner "*" -encoders "*) cat '{}'; exit 0 ;;
  *" -encoders "*) cat '{}' >&2; cat '{}'; exit 0 ;;
  *" -h encoder=h264_nvenc "*) cat '{}'; exit 0 ;;
esac
{encode_body}"#,
            version.display(),
            encoders.display(),
            version.display(),
            encoders.display(),
            help.display()
        ),
    )
}

/// Bash: `to_x264 "$@"` leaves in `args` the command with the guide's NVENC
/// options swapped for libx264's — a stand-in for a working h264_nvenc, since the
/// NVENC success path cannot run on the hardware at hand.
pub const NVENC_AS_X264: &str = r#"to_x264() {
  args=()
  for a in "$@"; do
    case "$a" in
      h264_nvenc) args+=(libx264) ;; p1) args+=(ultrafast) ;; ll) args+=(zerolatency) ;;
      -rc|-gpu) skip=1; continue ;;
      *) if [ -n "${skip:-}" ]; then skip=; continue; fi; args+=("$a") ;;
    esac
  done
}
"#;

pub fn real_ffmpeg() -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("ffmpeg"))
            .find(|p| p.is_file())
    })
}

pub fn json(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Exit status check that shows stderr when it fails.
pub fn assert_exit(output: &std::process::Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// A short testsrc2 clip made with this machine's ffmpeg.
pub fn lavfi_video(dir: &Path, name: &str, size: &str, frames: u32) -> PathBuf {
    let path = dir.join(name);
    let status = std::process::Command::new(real_ffmpeg().expect("ffmpeg on PATH"))
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={size}:rate=25"))
        .arg("-frames:v")
        .arg(frames.to_string())
        .args(["-pix_fmt", "yuv420p"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    path
}

/// A tmpfs mounted for one test (read-only or tiny), unmounted on drop. Needs
/// root; `None` (and a note) elsewhere — CI runs these as root.
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    pub fn mount(options: &str) -> Option<Self> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: mounting a tmpfs needs root (CI runs this as root)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: cannot mount a tmpfs here");
            return None;
        }
        Some(Self { dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Names of what is in the mount (hidden temporary files included).
    pub fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

/// The command lines of the processes running now (arguments joined by NULs).
pub fn command_lines() -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|cmd| String::from_utf8_lossy(&cmd).into_owned())
        .collect()
}

/// Every results file committed under reports/ and lab/ (any schema version).
pub fn committed_results() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "json")
                && std::fs::read_to_string(&p)
                    .is_ok_and(|t| t.contains("\"schema\": \"nvviz-bench.results\""))
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for dir in ["reports", "lab"] {
        walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join(dir), &mut out);
    }
    out.sort();
    out
}

/// (frames, width, height, r_frame_rate) of a file's first video stream, the
/// frames counted by decoding (ffprobe, from Debian's ffmpeg package).
pub fn ffprobe_stream(path: &Path) -> (u64, u32, u32, String) {
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args([
            "-show_entries",
            "stream=nb_read_frames,width,height,r_frame_rate",
        ])
        .args(["-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("ffprobe (Debian's ffmpeg package has it)");
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Vec<&str> = text.trim().split(',').collect();
    assert_eq!(v.len(), 4, "ffprobe {}: {text}", path.display());
    (
        v[3].parse().unwrap(),
        v[0].parse().unwrap(),
        v[1].parse().unwrap(),
        v[2].to_string(),
    )
}

/// The smallest real bench: the overlay styles on a 64x64 clip, 2 frames, `runs` runs.
pub fn tiny_bench(runs: &str) -> assert_cmd::Command {
    let mut cmd = nvviz();
    cmd.args(["bench", "--modes", "overlay-only", "--resolution", "64x64"])
        .args(["--frames", "2", "--runs", runs, "-q"]);
    cmd
}

/// The repository's root (scripts, deploy files).
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `cmd`, failing the test with its output unless it succeeded.
pub fn run_ok(cmd: &mut std::process::Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Whether `tool` is on PATH.
pub fn have(tool: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether this process runs as root (chroots, a local Slurm cluster).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Exit 2 with one line on stderr that contains `needle`, and no panic.
pub fn one_line_error(out: &std::process::Output, needle: &str) {
    assert_exit(out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(needle), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"));
}

/// Waits until process `pid` catches `signal` (its handler installed, read
/// from /proc/PID/status's SigCgt mask): an observable state instead of a
/// guess at how long start-up takes on a loaded machine. False if the process
/// ended first or 120 s passed (a liveness bound, not a timing claim).
#[allow(dead_code)]
pub fn wait_until_catching(pid: u32, signal: i32) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(120) {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            return false;
        };
        if status
            .lines()
            .any(|l| l.starts_with("State:") && l.contains("zombie"))
        {
            return false;
        }
        let caught = status
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:"))
            .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
            .unwrap_or(0);
        if caught & (1u64 << (signal - 1)) != 0 {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    false
}

/// Frame `n` of `video` as raw RGB, decoded by ffmpeg.
pub fn frame_rgb(video: &Path, n: u64) -> Vec<u8> {
    run_ok(
        std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(video)
            .args(["-vf", &format!("select=eq(n\\,{n})"), "-frames:v", "1"])
            .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"]),
    )
    .stdout
}
