//! `nvviz-bench doctor` run for real: with this machine's ffmpeg, without any,
//! and with fake ffmpegs that replay real failure output, print garbage or hang.

use crate::common::*;
use std::time::{Duration, Instant};

/// `doctor --json [extra] --ffmpeg BINARY`, parsed.
fn doctor_json(binary: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    json(
        &nvviz()
            .args(["doctor", "--json"])
            .args(extra)
            .arg("--ffmpeg")
            .arg(binary)
            .output()
            .unwrap(),
    )
}

fn trial<'a>(report: &'a serde_json::Value, encoder: &str) -> &'a serde_json::Value {
    report["trials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["encoder"] == encoder)
        .unwrap_or_else(|| panic!("no {encoder} trial in {report:#}"))
}

#[test]
fn version_names_the_commit() {
    let out = nvviz().arg("--version").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(&format!(
            "nvviz-bench {} (commit ",
            env!("CARGO_PKG_VERSION")
        )),
        "{text}"
    );
}

#[test]
fn real_ffmpeg_here_encodes_with_libx264_and_classifies_nvenc() {
    let Some(ffmpeg) = real_ffmpeg() else {
        panic!("these tests need ffmpeg on PATH: run scripts/install-deps.sh");
    };
    let out = nvviz()
        .args(["doctor", "--json", "--ffmpeg"])
        .arg(&ffmpeg)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let report = json(&out);
    assert_eq!(report["schema"], "nvviz-bench.doctor");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["ffmpeg"]["status"], "found");
    let x264 = trial(&report, "libx264");
    assert_eq!(x264["result"], "ok", "{x264:#}");
    assert_eq!(x264["frames"], 8);
    assert_eq!(report["verdict"]["cpu_fallback"], "libx264");
    // This machine type has no GPU: NVENC must be classified, never reported usable.
    if report["gpu"]["status"] != "found" {
        assert_eq!(report["verdict"]["nvenc_usable"], false);
        let nvenc = trial(&report, "h264_nvenc");
        assert_eq!(nvenc["result"], "failed");
        assert_eq!(nvenc["failure"]["cause"], "driver_library_missing");
        assert_eq!(nvenc["failure"]["library"], "libcuda.so.1");
        assert!(nvenc["command"].as_str().unwrap().contains(
            "-f rawvideo -pix_fmt bgr24 -s 320x240 -r 30 -i - -c:v h264_nvenc -preset p1 -tune ll -rc vbr -b:v 8M -maxrate 12M -bufsize 16M -bf 0 -g 60 -movflags +faststart"
        ));
    }
}

#[test]
fn require_nvenc_fails_without_nvenc() {
    let dir = tempfile::tempdir().unwrap();
    let fake = scripted_ffmpeg(
        dir.path(),
        "cat '{}' >&2; exit 1"
            .replace(
                "{}",
                &fixture("ffmpeg/debian-5.1_h264_nvenc_no-gpu.stderr.txt")
                    .display()
                    .to_string(),
            )
            .as_str(),
    );
    nvviz()
        .args(["doctor", "--require", "nvenc", "--ffmpeg"])
        .arg(&fake)
        .assert()
        .code(1);
}

#[test]
fn table_output_names_cause_and_fix() {
    let Some(ffmpeg) = real_ffmpeg() else { return };
    let out = nvviz()
        .args(["doctor", "--ffmpeg"])
        .arg(&ffmpeg)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "ffmpeg",
        "Trial encodes",
        "libx264",
        "Verdict",
        "original",
        "fast",
        "nvenc",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert!(
        !text.contains("\u{1b}["),
        "no colour codes when stdout is not a terminal"
    );
}

#[test]
fn no_ffmpeg_anywhere_is_reported_not_crashed() {
    let empty = tempfile::tempdir().unwrap();
    let out = nvviz()
        .args(["doctor", "--json"])
        .env("PATH", empty.path())
        .output()
        .unwrap();
    let report = json(&out);
    assert_eq!(report["ffmpeg"]["status"], "missing");
    assert_eq!(report["ffmpeg"]["failure"]["cause"], "ffmpeg_not_found");
    assert_eq!(report["verdict"]["nvenc_usable"], false);
    assert!(report["verdict"]["next_steps"][0]
        .as_str()
        .unwrap()
        .contains("install ffmpeg"));
    // With OpenCV's writer the guide's original/fast modes still write video.
    let expected = if report["verdict"]["opencv_writer"].is_null() {
        1
    } else {
        0
    };
    assert_eq!(out.status.code(), Some(expected));
    nvviz()
        .args(["doctor", "--require", "ffmpeg"])
        .env("PATH", empty.path())
        .assert()
        .code(1);
}

#[test]
fn env_var_points_at_ffmpeg() {
    let dir = tempfile::tempdir().unwrap();
    let out = nvviz()
        .args(["doctor", "--json", "--no-trial"])
        .env("NVVIZ_FFMPEG", dir.path().join("nope"))
        .output()
        .unwrap();
    let report = json(&out);
    assert_eq!(report["ffmpeg"]["failure"]["cause"], "ffmpeg_not_found");
    assert!(report["ffmpeg"]["failure"]["searched"]
        .as_str()
        .unwrap()
        .contains("NVVIZ_FFMPEG"));
}

#[test]
fn garbage_printing_ffmpeg_is_unusable() {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake_ffmpeg(dir.path(), "echo 'hello, I am not ffmpeg'; exit 0");
    let report = doctor_json(&fake, &[]);
    assert_eq!(report["ffmpeg"]["failure"]["cause"], "ffmpeg_unusable");
    assert!(report["ffmpeg"]["failure"]["detail"]
        .as_str()
        .unwrap()
        .contains("hello, I am not ffmpeg"));
}

#[test]
fn ffmpeg_that_exits_at_once_is_unusable() {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake_ffmpeg(dir.path(), "exit 3");
    let report = doctor_json(&fake, &[]);
    assert_eq!(report["ffmpeg"]["failure"]["cause"], "ffmpeg_unusable");
}

#[test]
fn hanging_ffmpeg_is_killed_at_the_deadline_and_reaped() {
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("nvviz-hang-{}", std::process::id());
    // The child forks a grandchild: both must be gone when doctor returns.
    let fake = fake_ffmpeg(
        dir.path(),
        &format!("bash -c 'exec -a {marker} sleep 60' & wait"),
    );
    let started = Instant::now();
    let out = nvviz()
        .args(["doctor", "--json", "--probe-timeout", "1", "--ffmpeg"])
        .arg(&fake)
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    let report = json(&out);
    assert_eq!(report["ffmpeg"]["failure"]["cause"], "timeout");
    let leftover = command_lines().iter().any(|cmd| cmd.contains(&marker));
    assert!(!leftover, "a child of the hanging ffmpeg survived");
}

#[test]
fn encode_that_hangs_is_a_timeout_trial() {
    let dir = tempfile::tempdir().unwrap();
    let fake = scripted_ffmpeg(dir.path(), "sleep 60");
    let report = doctor_json(&fake, &["--trial-timeout", "1"]);
    assert_eq!(trial(&report, "h264_nvenc")["failure"]["cause"], "timeout");
}

/// Replays a real stderr capture for NVENC encodes, as the failing machine printed it.
fn replaying(dir: &std::path::Path, capture: &str, exit: i32) -> std::path::PathBuf {
    let path = fixture(&format!("ffmpeg/{capture}"));
    scripted_ffmpeg(
        dir,
        &format!(
            "case \" $* \" in *_nvenc*) grep -v '^exit=' '{}' >&2; exit {exit} ;; esac\nexec /usr/bin/env ffmpeg \"$@\"",
            path.display()
        ),
    )
}

#[test]
fn h100_unsupported_device_is_no_nvenc_engine() {
    let dir = tempfile::tempdir().unwrap();
    let fake = replaying(dir.path(), "h100_pyav-19_nvenc.stderr.txt", 1);
    let report = doctor_json(&fake, &[]);
    assert_eq!(
        trial(&report, "h264_nvenc")["failure"]["cause"],
        "no_nvenc_engine"
    );
    assert_eq!(
        report["verdict"]["nvenc_failure"]["cause"],
        "no_nvenc_engine"
    );
}

#[test]
fn driver_too_old_is_parsed_with_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let fake = replaying(
        dir.path(),
        "h100_static-ffmpeg-9.0.2_h264_nvenc_driver-too-old.stderr.txt",
        218,
    );
    let report = doctor_json(&fake, &[]);
    let failure = &trial(&report, "h264_nvenc")["failure"];
    assert_eq!(failure["cause"], "driver_too_old");
    assert_eq!(failure["required_api"], "13.1");
    assert_eq!(failure["found_api"], "13.0");
    assert_eq!(failure["min_driver"], "610");
    assert_eq!(report["nvenc_api"]["basis"], "trial encode");
    assert_eq!(report["nvenc_api"]["compatible"], false);
}

#[test]
fn session_limit_is_classified() {
    let dir = tempfile::tempdir().unwrap();
    let fake = scripted_ffmpeg(
        dir.path(),
        "echo '[h264_nvenc @ 0x5] OpenEncodeSessionEx failed: incompatible client key (21): (no details)' >&2; exit 1",
    );
    let report = doctor_json(&fake, &[]);
    assert_eq!(
        trial(&report, "h264_nvenc")["failure"]["cause"],
        "session_limit"
    );
}

/// NVENC's success path cannot run on the hardware at hand, so this shim stands in
/// for a working h264_nvenc: it runs the real ffmpeg with the guide's NVENC options
/// swapped for libx264's. What it proves is our side: the command we build, the
/// output check, and a verdict of "usable" with exit 0 under --require nvenc.
#[test]
fn working_nvenc_gives_usable_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let fake = scripted_ffmpeg(
        dir.path(),
        &(NVENC_AS_X264.to_string()
            + r#"to_x264 "$@"
case " $* " in *hevc_nvenc*) echo "[hevc_nvenc @ 0x1] Cannot load libcuda.so.1" >&2; exit 1 ;; esac
exec /usr/bin/env ffmpeg "${args[@]}""#),
    );
    let out = nvviz()
        .args(["doctor", "--json", "--require", "nvenc", "--ffmpeg"])
        .arg(&fake)
        .output()
        .unwrap();
    let report = json(&out);
    assert_eq!(trial(&report, "h264_nvenc")["result"], "ok", "{report:#}");
    assert_eq!(report["verdict"]["nvenc_usable"], true);
    assert_eq!(report["verdict"]["nvenc_encoder"], "h264_nvenc");
    assert_eq!(
        report["verdict"]["summary"][0],
        "NVENC: usable, h264_nvenc p1"
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn bad_flag_values_exit_2_with_one_line() {
    let out = nvviz()
        .args(["doctor", "--trial-timeout", "-5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = nvviz()
        .args(["doctor", "--trial-timeout", "nan"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

/// Not tried is not failed: with `--no-trial` the encoders ffmpeg lists are
/// not reported as missing from the build, the `nvenc` mode goes to the CPU
/// encoder ffmpeg lists (not the OpenCV writer), and nothing says "no CPU
/// encoder worked".
#[test]
fn no_trial_says_not_tried_never_not_compiled() {
    let out = nvviz()
        .args(["doctor", "--json", "--no-trial"])
        .output()
        .unwrap();
    let report = json(&out);
    let verdict = &report["verdict"];
    assert_eq!(
        verdict["nvenc_failure"]["cause"], "not_tried",
        "{verdict:#}"
    );
    assert_eq!(verdict["cpu_fallback"], "libx264", "{verdict:#}");
    let nvenc = verdict["modes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mode"] == "nvenc")
        .unwrap();
    assert!(
        nvenc["path"].as_str().unwrap().starts_with("libx264"),
        "{nvenc:#}"
    );
    let text = verdict.to_string();
    assert!(!text.contains("encoder_not_compiled"), "{text}");
    assert!(!text.contains("no CPU encoder worked"), "{text}");
}

/// NVDEC's trial decodes with a stand-in for a working NVDEC (no GPU here):
/// an ffmpeg that lists the static build's `cuda` hwaccel and decodes the
/// trials' commands on the CPU — except AV1, for which it answers what
/// ffmpeg says when a CPU decoder's frames reach the trial's hwdownload (the
/// real capture). Doctor counts each clip's frames, classifies the failure
/// with its fix, and says which it made each clip with.
#[test]
fn decode_trials_count_frames_and_classify_what_nvdec_cannot_do() {
    let dir = tempfile::tempdir().unwrap();
    let Some(real) = real_ffmpeg() else {
        return;
    };
    let hwaccels = fixture("ffmpeg/static-9.0.2_hwaccels.txt");
    let no_nvdec = fixture("ffmpeg/static-9.0.2_hwdownload_software-frames.stderr.txt");
    let body = format!(
        r#"case " $* " in
  *" -hwaccels "*) cat '{hwaccels}'; exit 0 ;;
  *" -init_hw_device cuda=gpu "*) exit 0 ;;
  *" -hwaccel cuda "*decode-av1*) grep -v '^exit=' '{no_nvdec}' >&2; exit 218 ;;
  *" -hwaccel cuda "*)
    args=()
    for a in "$@"; do
      case "$a" in
        -hwaccel|-hwaccel_output_format) skip=1; continue ;;
        hwdownload,*) args+=(null); continue ;;
        *) if [ -n "${{skip:-}}" ]; then skip=; continue; fi; args+=("$a") ;;
      esac
    done
    exec '{real}' "${{args[@]}}" ;;
esac
exec '{real}' "$@""#,
        hwaccels = hwaccels.display(),
        no_nvdec = no_nvdec.display(),
        real = real.display()
    );
    let fake = scripted_ffmpeg(dir.path(), &body);
    let report = doctor_json(&fake, &[]);
    let trials = report["decode_trials"].as_array().unwrap();
    let by_codec = |codec: &str| {
        trials
            .iter()
            .find(|t| t["codec"] == codec)
            .unwrap_or_else(|| panic!("no {codec} in {trials:#?}"))
    };
    for (codec, made_with) in [("h264", "libx264"), ("hevc", "libx265")] {
        let t = by_codec(codec);
        assert_eq!(t["result"], "ok", "{t:#}");
        assert_eq!(t["frames"], 10, "{t:#}");
        assert_eq!(t["made_with"], made_with);
        assert!(t["command"].as_str().unwrap().contains("-hwaccel cuda"));
    }
    let av1 = by_codec("av1");
    assert_eq!(av1["result"], "failed", "{av1:#}");
    assert_eq!(av1["failure"]["cause"], "nvdec_unsupported");
    // The table says it too, with the fix.
    let text = nvviz()
        .args(["doctor", "--ffmpeg"])
        .arg(&fake)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("Trial decodes on NVDEC"), "{stdout}");
    assert!(
        stdout.contains("nvdec_unsupported") && stdout.contains("--decoder ffmpeg"),
        "{stdout}"
    );
}

/// Without a driver (this machine) every codec's trial says so once, with
/// the fix, and no clip is made.
#[test]
fn decode_trials_without_a_driver_name_it_for_every_codec() {
    let Some(real) = real_ffmpeg() else {
        return;
    };
    let report = doctor_json(&real, &[]);
    let trials = report["decode_trials"].as_array().unwrap();
    assert_eq!(trials.len(), 3, "{trials:#?}");
    if report["gpu"]["status"] == "found" {
        return; // a GPU machine: its own answers
    }
    for t in trials {
        assert_eq!(t["result"], "failed", "{t:#}");
        assert!(t["made_with"].is_null(), "{t:#}");
        let cause = t["failure"]["cause"].as_str().unwrap();
        assert!(
            [
                "driver_library_missing",
                "cuda_unavailable",
                "hwaccel_not_compiled"
            ]
            .contains(&cause),
            "{cause}"
        );
    }
}
