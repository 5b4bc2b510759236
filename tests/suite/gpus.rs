//! Nodes of several GPUs (`--gpu N|all`), on a recorded NVML probe replayed
//! through `NVVIZ_GPU_PROBE`: `tests/fixtures/nvml/node-2xh100-probe.json` is
//! the lent H100's own doctor record (`reports/bench/h100/h100-doctor.json`)
//! with a second GPU beside it (index 1, its own UUID) — no machine of several
//! GPUs was at hand to record one. ffmpeg is a fake that logs its command
//! lines and encodes NVENC's with libx264 (the NVENC success path cannot run
//! on the hardware at hand), so what each GPU was given is read from the log.

use std::path::{Path, PathBuf};

use crate::common::*;

fn node() -> PathBuf {
    fixture("nvml/node-2xh100-probe.json")
}

/// A fake ffmpeg: every command line logged to `log`, NVENC's run by libx264.
fn logging_ffmpeg(dir: &Path, log: &Path) -> PathBuf {
    scripted_ffmpeg(
        dir,
        &format!(
            "{NVENC_AS_X264}echo \"$*\" >> '{}'\nto_x264 \"$@\"\nexec /usr/bin/env ffmpeg \"${{args[@]}}\"",
            log.display()
        ),
    )
}

fn bench(dir: &Path, gpu: &str, visible: Option<&str>) -> (std::process::Output, PathBuf) {
    let log = dir.join(format!("ffmpeg-{gpu}.log"));
    let json = dir.join(format!("r-{gpu}.json"));
    let mut cmd = nvviz();
    cmd.env("NVVIZ_GPU_PROBE", node())
        .env_remove("CUDA_VISIBLE_DEVICES")
        .args(["bench", "--gpu", gpu, "--modes", "native,overlay-only"])
        .args([
            "--resolution",
            "160x120",
            "--frames",
            "4",
            "--runs",
            "1",
            "--warmup",
            "0",
        ])
        .args(["--persons", "2", "-q", "--ffmpeg"])
        .arg(logging_ffmpeg(dir, &log))
        .arg("--export-json")
        .arg(&json);
    if let Some(visible) = visible {
        cmd.env("CUDA_VISIBLE_DEVICES", visible);
    }
    let out = cmd.output().unwrap();
    (out, json)
}

fn logged(dir: &Path, gpu: &str) -> String {
    std::fs::read_to_string(dir.join(format!("ffmpeg-{gpu}.log"))).unwrap_or_default()
}

#[test]
fn gpu_all_runs_every_gpu_then_all_at_once_each_pinned() {
    if real_ffmpeg().is_none() {
        eprintln!("skipped: needs ffmpeg");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (out, json) = bench(dir.path(), "all", None);
    assert_exit(&out, 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("replayed (NVVIZ_GPU_PROBE)"), "{stderr}");
    let results = read_json(&json);
    let cases = results["cases"].as_array().unwrap();
    let ids: Vec<&str> = cases.iter().map(|c| c["id"].as_str().unwrap()).collect();
    // The pipe case on each GPU, then a stream on both at once; the
    // drawing-only cases, which no GPU serves, once.
    for id in [
        "native/native/h264_nvenc/p1/gpu0",
        "native/native/h264_nvenc/p1/gpu1",
        "native/native/h264_nvenc/p1/x2/gpu0+1",
        "overlay-only/native/null",
    ] {
        assert!(ids.contains(&id), "{id} not in {ids:?}");
    }
    assert!(!ids
        .iter()
        .any(|i| i.starts_with("overlay-only") && i.contains("gpu")));
    let case = |id: &str| cases.iter().find(|c| c["id"] == id).unwrap();
    let together = case("native/native/h264_nvenc/p1/x2/gpu0+1");
    assert_eq!(together["sessions"], 2);
    assert_eq!(
        together["runs"][0]["stream_fps"].as_array().unwrap().len(),
        2
    );
    let pinned: Vec<(u64, u64)> = together["gpus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["index"].as_u64().unwrap(), g["cuda"].as_u64().unwrap()))
        .collect();
    assert_eq!(pinned, [(0, 0), (1, 1)]);
    let one = case("native/native/h264_nvenc/p1/gpu1");
    assert_eq!(
        one["gpus"][0]["uuid"],
        "GPU-5b1f0c2e-91d4-4c3a-8e7f-0a2b3c4d5e6f"
    );
    assert_eq!(one["encoder"]["used"], "h264_nvenc");
    assert_eq!(one["status"], "ok");
    // NVENC was told its GPU: a trial on each, the cases' encodes on each.
    let log = logged(dir.path(), "all");
    let nvenc_on = |n: u32| {
        log.lines()
            .filter(|l| l.contains("-c:v h264_nvenc") && l.contains(&format!("-gpu {n} ")))
            .count()
    };
    // Its trial, its own case, its stream of the case on both.
    assert_eq!((nvenc_on(0), nvenc_on(1)), (3, 3), "{log}");
    // The report groups them by node and GPU.
    let report = nvviz()
        .args(["report", "--format", "md"])
        .arg(&json)
        .output()
        .unwrap();
    assert_exit(&report, 0);
    let md = String::from_utf8_lossy(&report.stdout);
    let gpus = md
        .split("GPUs (cases pinned with --gpu)")
        .nth(1)
        .expect("a GPU table");
    for row in [
        "| 0 NVIDIA H100 80GB HBM3 (GPU-ea7c128b…) | native/native/h264_nvenc/p1/gpu0 |",
        "| 1 NVIDIA H100 80GB HBM3 (GPU-5b1f0c2e…) | native/native/h264_nvenc/p1/gpu1 |",
        "| 0+1 at once | native/native/h264_nvenc/p1/x2/gpu0+1 |",
    ] {
        assert!(gpus.contains(row), "{row} in {gpus}");
    }
    assert!(gpus.contains("(each: "), "{gpus}");
    let unpinned = log
        .lines()
        .filter(|l| l.contains("-c:v h264_nvenc") && !l.contains("-gpu "));
    assert_eq!(unpinned.count(), 0, "{log}");
}

#[test]
fn cuda_visible_devices_renumbers_what_ffmpeg_is_given() {
    if real_ffmpeg().is_none() {
        eprintln!("skipped: needs ffmpeg");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // NVML's GPU 1 is CUDA's device 0 when it alone is visible.
    let (out, json) = bench(dir.path(), "1", Some("1"));
    assert_exit(&out, 0);
    let case = &read_json(&json)["cases"][0];
    assert_eq!(case["id"], "native/native/h264_nvenc/p1/gpu1");
    assert_eq!(
        (
            case["gpus"][0]["index"].as_u64(),
            case["gpus"][0]["cuda"].as_u64()
        ),
        (Some(1), Some(0))
    );
    let log = logged(dir.path(), "1");
    assert!(
        log.lines()
            .any(|l| l.contains("-c:v h264_nvenc") && l.contains("-gpu 0 ")),
        "{log}"
    );
    assert!(!log.contains("-gpu 1 "), "{log}");
}

#[test]
fn a_gpu_that_is_not_there_is_one_line_and_nothing_runs() {
    let dir = tempfile::tempdir().unwrap();
    for (gpu, visible, says) in [
        ("2", None, "--gpu 2: this machine has 2 GPU(s) (0: NVIDIA H100 80GB HBM3, 1: NVIDIA H100 80GB HBM3); pick 0-1 or all"),
        ("0", Some("1"), "CUDA_VISIBLE_DEVICES=1 hides GPU 0 (NVIDIA H100 80GB HBM3)"),
        ("all", Some(""), "--gpu: no NVIDIA GPU is visible here"),
        ("all", Some("MIG-4b1e"), "names a MIG instance"),
    ] {
        let (out, json) = bench(dir.path(), gpu, visible);
        one_line_error(&out, says);
        assert!(!json.exists(), "{gpu}: nothing measured, nothing written");
        assert!(logged(dir.path(), gpu).is_empty(), "{gpu}: no ffmpeg ran");
    }
    // A recorded probe that cannot be read is said as NVML's failure would be.
    let out = nvviz()
        .env("NVVIZ_GPU_PROBE", dir.path().join("missing.json"))
        .args(["bench", "--gpu", "0", "--modes", "native"])
        .output()
        .unwrap();
    one_line_error(&out, "NVVIZ_GPU_PROBE=");
    let out = nvviz()
        .env("NVVIZ_GPU_PROBE", node())
        .args(["render", "--gpu", "all", "-o"])
        .arg(dir.path().join("o.mp4"))
        .output()
        .unwrap();
    one_line_error(&out, "render writes one video on one GPU");
}

/// doctor on a node of two models: each NVENC trial once per model, pinned
/// there and naming its GPU; one model: once, on CUDA's default device, named.
#[test]
fn doctor_tries_nvenc_on_each_model_and_names_the_gpu() {
    let dir = tempfile::tempdir().unwrap();
    let mut two_models: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(node()).unwrap()).unwrap();
    two_models["gpus"][1]["name"] = "Tesla T4".into();
    let mixed = dir.path().join("mixed.json");
    std::fs::write(&mixed, two_models.to_string()).unwrap();
    for (probe, expected) in [
        (node(), vec![(0, None)]),
        (mixed, vec![(0, Some(0)), (1, Some(1))]),
    ] {
        let out = nvviz()
            .env("NVVIZ_GPU_PROBE", &probe)
            .env_remove("CUDA_VISIBLE_DEVICES")
            .args(["doctor", "--json", "--trial-frames", "2"])
            .output()
            .unwrap();
        let report = json(&out);
        let h264: Vec<(u64, Option<u64>)> = report["trials"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["encoder"] == "h264_nvenc")
            .map(|t| {
                let command = t["command"].as_str().unwrap();
                let pinned = command
                    .split_once(" -gpu ")
                    .map(|(_, rest)| rest.split(' ').next().unwrap().parse().unwrap());
                (t["gpu"]["index"].as_u64().unwrap(), pinned)
            })
            .collect();
        if report["ffmpeg"]["status"] == "found" {
            assert_eq!(h264, expected, "{}", probe.display());
        }
    }
}

/// A GPU lost mid-run (its NVENC gone after the trial passed): the cases on
/// it fail with ffmpeg's own words, every other GPU's case is measured and
/// kept, and the run says so in its exit status.
#[test]
fn a_gpu_lost_mid_run_fails_its_cases_alone() {
    if real_ffmpeg().is_none() {
        eprintln!("skipped: needs ffmpeg");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fake = scripted_ffmpeg(
        dir.path(),
        &format!(
            r#"{NVENC_AS_X264}case " $* " in
  *" 320x240 "*) ;;
  *" -gpu 1 "*)
    head -c 100000 >/dev/null
    echo '[h264_nvenc @ 0x5] nvEncEncodePicture failed: generic error (20): GPU has fallen off the bus' >&2; exit 1 ;;
esac
to_x264 "$@"
exec /usr/bin/env ffmpeg "${{args[@]}}""#
        ),
    );
    let json = dir.path().join("r.json");
    let out = nvviz()
        .env("NVVIZ_GPU_PROBE", node())
        .env_remove("CUDA_VISIBLE_DEVICES")
        .args(["bench", "--gpu", "all", "--modes", "native"])
        .args([
            "--resolution",
            "160x120",
            "--frames",
            "30",
            "--runs",
            "1",
            "--warmup",
            "0",
            "-q",
        ])
        .arg("--ffmpeg")
        .arg(&fake)
        .arg("--export-json")
        .arg(&json)
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let results = read_json(&json);
    assert_eq!(results["incomplete"], false);
    let status = |id: &str| {
        let case = results["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing"));
        (
            case["status"].as_str().unwrap().to_string(),
            case["reason"].to_string(),
        )
    };
    assert_eq!(status("native/native/h264_nvenc/p1/gpu0").0, "ok");
    for lost in [
        "native/native/h264_nvenc/p1/gpu1",
        "native/native/h264_nvenc/p1/x2/gpu0+1",
    ] {
        let (s, reason) = status(lost);
        assert_eq!(s, "failed", "{lost}");
        assert!(reason.contains("fallen off the bus"), "{lost}: {reason}");
    }
}

/// `render --gpu 1`: the one case pinned there, NVENC told its ordinal.
#[test]
fn render_pins_its_one_case() {
    if real_ffmpeg().is_none() {
        eprintln!("skipped: needs ffmpeg");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("ffmpeg.log");
    let json = dir.path().join("r.json");
    let out = nvviz()
        .env("NVVIZ_GPU_PROBE", node())
        .env_remove("CUDA_VISIBLE_DEVICES")
        .args([
            "render",
            "--gpu",
            "1",
            "--mode",
            "native",
            "--resolution",
            "160x120",
        ])
        .args(["--frames", "4", "-q", "--ffmpeg"])
        .arg(logging_ffmpeg(dir.path(), &log))
        .arg("-o")
        .arg(dir.path().join("out.mp4"))
        .arg("--export-json")
        .arg(&json)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let case = &read_json(&json)["cases"][0];
    assert_eq!(case["id"], "native/native/h264_nvenc/p1/gpu1");
    assert_eq!(case["gpus"][0]["index"], 1);
    let log = std::fs::read_to_string(&log).unwrap();
    let encodes: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("-c:v h264_nvenc"))
        .collect();
    assert!(
        !encodes.is_empty() && encodes.iter().all(|l| l.contains("-gpu 1 ")),
        "{log}"
    );
}
