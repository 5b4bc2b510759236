//! `bench` and `render` run for real on a small workload with this machine's
//! ffmpeg (and OpenCV where built): every mode, outputs decoded back.

use crate::common::*;
use serde_json::Value;

fn case<'a>(results: &'a Value, id: &str) -> &'a Value {
    results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no case {id} in {:#}", results["cases"]))
}

fn small_bench(extra: &[&str]) -> (std::process::Output, Value, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("results.json");
    let out = nvviz()
        .args([
            "bench",
            "--resolution",
            "320x240",
            "--frames",
            "20",
            "--warmup",
            "2",
            "--export-json",
        ])
        .arg(&json_path)
        .args(extra)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&json_path).unwrap_or_else(|e| {
        panic!(
            "no results ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, serde_json::from_str(&text).unwrap(), dir)
}

#[test]
fn every_mode_runs_and_every_output_decodes() {
    let (out, results, _dir) = small_bench(&["--runs", "2"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(results["schema"], "nvviz-bench.results");
    assert_eq!(results["schema_version"], 4);
    assert_eq!(results["incomplete"], false);
    assert!(
        results["environment"]["host"]["logical_cores"]
            .as_u64()
            .unwrap()
            >= 1
    );
    assert!(results["environment"]["ffmpeg_version"].is_string());

    let native = case(&results, "native/native/h264_nvenc/p1");
    assert_eq!(native["status"], "ok", "{native:#}");
    assert_eq!(native["runs"].as_array().unwrap().len(), 2);
    assert_eq!(native["fps"]["n"], 2);
    // Decoded back: warm-up + timed frames, at the right size.
    assert_eq!(native["verified"]["frames"], 22);
    assert_eq!(native["verified"]["width"], 320);
    assert_eq!(native["verified"]["codec"], "h264");
    assert!(native["command"]
        .as_str()
        .unwrap()
        .contains("-f rawvideo -pix_fmt bgr24 -s 320x240 -r 30 -i -"));
    assert!(native["command"]
        .as_str()
        .unwrap()
        .contains("format=yuv420p -colorspace bt709"));
    let stages = &native["stages_ms_per_frame"];
    for stage in ["input", "overlay", "conversion", "write", "finalize"] {
        assert!(stages[stage].as_f64().unwrap() >= 0.0, "{stage}");
    }
    assert!(stages["overlay"].as_f64().unwrap() > 0.0);
    // Typed fields, not an id taken apart: the preset asked for, the pipe
    // format, the engine, and each run's own memory peak.
    assert_eq!(native["preset"]["requested"], "p1");
    assert_eq!(native["pix_fmt"], "bgr24");
    assert_eq!(native["sessions"], 1);
    assert_eq!(native["engine"], "pipelined");
    assert_eq!(native["mode"], "native");
    assert_eq!(native["sink"], "ffmpeg-pipe");
    for run in native["runs"].as_array().unwrap() {
        assert_eq!(run["rss_scope"], "run", "{run:#}");
        assert!(run["max_rss_mib"].as_f64().unwrap() > 1.0);
    }
    assert!(case(&results, "encoder-ceiling/none/h264_nvenc/p1")["engine"].is_null());

    // No GPU here: NVENC must fall back, and say why.
    if results["environment"]["gpus"]
        .as_array()
        .unwrap()
        .is_empty()
    {
        assert_eq!(native["encoder"]["requested"], "h264_nvenc");
        assert_eq!(native["encoder"]["used"], "libx264");
        assert_eq!(native["preset"]["used"], "ultrafast");
        assert_eq!(
            native["encoder"]["fallback"]["cause"]["cause"],
            "driver_library_missing"
        );
        assert!(String::from_utf8_lossy(&out.stdout)
            .contains("fallback: h264_nvenc -> libx264: driver_library_missing"));
    }
    for id in [
        "encode-only/none/h264_nvenc/p1",
        "encoder-ceiling/none/h264_nvenc/p1",
        "overlay-only/native/null",
        "overlay-only/pillow/null",
    ] {
        assert_eq!(case(&results, id)["status"], "ok", "{id}");
    }
    assert_eq!(
        case(&results, "encoder-ceiling/none/h264_nvenc/p1")["verified"]["frames"],
        20
    );
    let pillow = case(&results, "overlay-only/pillow/null");
    assert!(
        pillow["stages_ms_per_frame"]["conversion"]
            .as_f64()
            .unwrap()
            > 0.0,
        "Pillow's BGR<->RGBA is its own stage"
    );
    if cfg!(feature = "opencv") {
        for id in [
            "original/pillow/opencv-mp4v",
            "fast/opencv/opencv-mp4v",
            "nvenc/opencv/h264_nvenc/p1",
        ] {
            let c = case(&results, id);
            assert_eq!(c["status"], "ok", "{c:#}");
        }
        assert_eq!(
            case(&results, "fast/opencv/opencv-mp4v")["verified"]["frames"],
            22
        );
    }
}

#[test]
fn no_fallback_turns_missing_nvenc_into_failed_cases() {
    let (out, results, _dir) = small_bench(&["--modes", "native", "--no-fallback", "--runs", "1"]);
    let c = case(&results, "native/native/h264_nvenc/p1");
    // On any machine: never a fallback. Either NVENC itself ran (a GPU with an
    // engine), or the case failed with the NVIDIA stack's own cause.
    assert!(c["encoder"]["fallback"].is_null(), "{c:#}");
    if c["status"] == "ok" {
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(c["encoder"]["used"], "h264_nvenc", "{c:#}");
    } else {
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(c["status"], "failed");
        let cause = c["reason"]["cause"].as_str().unwrap();
        assert!(
            [
                "driver_library_missing",
                "driver_too_old",
                "no_nvenc_engine",
                "encoder_not_compiled"
            ]
            .contains(&cause),
            "{c:#}"
        );
        if results["environment"]["gpus"]
            .as_array()
            .unwrap()
            .is_empty()
        {
            assert_eq!(cause, "driver_library_missing");
        }
    }
}

#[test]
fn presets_and_codecs_expand_and_map_to_cpu_presets() {
    let (_, results, _dir) = small_bench(&[
        "--modes",
        "encode-only",
        "--codecs",
        "h264,hevc",
        "--presets",
        "p1,p7",
        "--runs",
        "1",
    ]);
    let cases = results["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    if results["environment"]["gpus"]
        .as_array()
        .unwrap()
        .is_empty()
    {
        assert_eq!(
            case(&results, "encode-only/none/hevc_nvenc/p7")["encoder"]["used"],
            "libx265"
        );
        assert_eq!(
            case(&results, "encode-only/none/hevc_nvenc/p7")["preset"]["used"],
            "slow"
        );
    }
    for c in cases {
        assert_eq!(c["status"], "ok", "{c:#}");
    }
}

fn make_video(dir: &std::path::Path, frames: u32) -> std::path::PathBuf {
    lavfi_video(dir, "in.mp4", "160x120", frames)
}

#[test]
fn user_video_with_json_and_mot_detections() {
    let dir = tempfile::tempdir().unwrap();
    let video = make_video(dir.path(), 12);
    let json_dets = dir.path().join("d.json");
    std::fs::write(
        &json_dets,
        r#"{"schema":"nvviz-bench.detections","version":1,"frames":[
            {"frame":0,"persons":[{"track_id":1,"box":[10,20,60,100],"actions":[{"label":"stand","score":0.9,"category":"pose"}]}]},
            {"frame":5,"persons":[{"track_id":1,"box":[12,20,62,100],"actions":[{"label":"walk","score":0.8}]}]}]}"#,
    )
    .unwrap();
    let mot = dir.path().join("d.csv");
    std::fs::write(
        &mot,
        "1,1,10,20,50,80,0.9,-1,-1,-1\n2,1,11,20,50,80,0.9,-1,-1,-1\n",
    )
    .unwrap();
    for dets in [&json_dets, &mot] {
        let results_path = dir.path().join("r.json");
        let out = nvviz()
            .args([
                "bench", "--modes", "native", "--runs", "1", "--warmup", "2", "--video",
            ])
            .arg(&video)
            .arg("--detections")
            .arg(dets)
            .arg("--export-json")
            .arg(&results_path)
            .output()
            .unwrap();
        assert_exit(&out, 0);
        let results: Value = read_json(&results_path);
        assert_eq!(results["workload"]["width"], 160);
        assert_eq!(
            results["workload"]["frames"], 10,
            "12 frames minus 2 warm-up"
        );
        assert_eq!(
            case(&results, "native/native/h264_nvenc/p1")["verified"]["frames"],
            12
        );
    }
}

#[test]
fn render_writes_a_verified_video_and_names_the_encoder() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.mp4");
    let out = nvviz()
        .args([
            "render",
            "--resolution",
            "320x240",
            "--frames",
            "15",
            "-q",
            "-o",
        ])
        .arg(&output)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_exit(&out, 0);
    assert!(
        stdout.contains("Successfully encoded 15 frames with "),
        "{stdout}"
    );
    assert!(output.metadata().unwrap().len() > 0);
    // Only the output is left: the temporary file was renamed into place.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn render_refuses_bad_outputs_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = nvviz()
        .args(["render", "--frames", "2", "-o"])
        .arg(dir.path().join("missing/out.mp4"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not exist"), "{err}");
    assert_eq!(err.trim().lines().count(), 1);

    let video = make_video(dir.path(), 3);
    let out = nvviz()
        .args(["render", "--video"])
        .arg(&video)
        .arg("-o")
        .arg(&video)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is the input video"));
}

#[test]
fn unwritable_results_path_fails_before_measuring() {
    let started = std::time::Instant::now();
    let out = nvviz()
        .args([
            "bench",
            "--frames",
            "1000",
            "--export-json",
            "/nonexistent-dir/r.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write in /nonexistent-dir"));
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[test]
fn ffmpeg_dying_mid_run_is_a_broken_pipe_and_earlier_cases_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    // Behaves for doctor-style trials (320x240) and dies after a few frames of the real run.
    let fake = scripted_ffmpeg(
        dir.path(),
        r#"case " $* " in *" 320x240 "*|*" -i /"*|*" -i "/*) exec /usr/bin/env ffmpeg "$@" ;; esac
head -c 20000 > /dev/null; echo "[libx264 @ 0x1] simulated crash" >&2; exit 1"#,
    );
    let json_path = dir.path().join("r.json");
    let out = nvviz()
        .args([
            "bench",
            "--modes",
            "overlay-only,encode-only",
            "--codecs",
            "libx264",
            "--resolution",
            "160x120",
            "--frames",
            "30",
            "--runs",
            "1",
            "--ffmpeg",
        ])
        .arg(&fake)
        .arg("--export-json")
        .arg(&json_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let results: Value = read_json(&json_path);
    assert_eq!(case(&results, "overlay-only/native/null")["status"], "ok");
    let broken = case(&results, "encode-only/none/libx264/p1");
    assert_eq!(broken["status"], "failed");
    assert_eq!(broken["reason"]["cause"], "broken_pipe", "{broken:#}");
    assert!(broken["reason"]["last_lines"]
        .to_string()
        .contains("simulated crash"));
}

#[cfg(feature = "opencv")]
#[test]
fn opencv_decoder_reads_the_same_video() {
    let dir = tempfile::tempdir().unwrap();
    let video = make_video(dir.path(), 8);
    let results_path = dir.path().join("r.json");
    let out = nvviz()
        .args([
            "bench",
            "--modes",
            "overlay-only",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--decoder",
            "opencv",
            "--resolution",
            "320x240",
            "--video",
        ])
        .arg(&video)
        .arg("--export-json")
        .arg(&results_path)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let results: Value = read_json(&results_path);
    assert_eq!(results["workload"]["frames"], 8);
    assert_eq!(results["workload"]["width"], 320, "resized to --resolution");
    assert_eq!(case(&results, "overlay-only/native/null")["status"], "ok");
}

/// The trial (320x240) passes through a libx264 shim, then the real run meets the
/// session limit, as when other processes hold every NVENC session.
fn session_limited_ffmpeg(dir: &std::path::Path) -> std::path::PathBuf {
    scripted_ffmpeg(
        dir,
        &(NVENC_AS_X264.to_string()
            + r#"case " $* " in
  *" h264_nvenc "*" 320x240 "*|*" 320x240 "*" h264_nvenc "*)
    to_x264 "$@"
    exec /usr/bin/env ffmpeg "${args[@]}" ;;
  *" h264_nvenc "*)
    echo '[h264_nvenc @ 0x5] OpenEncodeSessionEx failed: out of memory (10): (no details)' >&2; exit 1 ;;
esac
exec /usr/bin/env ffmpeg "$@""#),
    )
}

/// `bench ARGS --ffmpeg FFMPEG --export-json JSON`.
fn bench_with(
    ffmpeg: &std::path::Path,
    json: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    nvviz()
        .arg("bench")
        .args(args)
        .arg("--ffmpeg")
        .arg(ffmpeg)
        .arg("--export-json")
        .arg(json)
        .output()
        .unwrap()
}

#[test]
fn a_session_limit_mid_bench_falls_back_or_fails_as_configured() {
    let dir = tempfile::tempdir().unwrap();
    let fake = session_limited_ffmpeg(dir.path());
    for (flags, exit, status) in [(&[][..], 0, "ok"), (&["--no-fallback"][..], 1, "failed")] {
        let json = dir.path().join("r.json");
        let mut args = vec!["--modes", "native", "--resolution", "160x120"];
        args.extend(["--frames", "10", "--runs", "1", "--warmup", "0", "-q"]);
        args.extend(flags);
        let out = bench_with(&fake, &json, &args);
        assert_exit(&out, exit);
        let c = read_json(&json)["cases"][0].clone();
        assert_eq!(c["status"], status, "{c:#}");
        if status == "ok" {
            assert_eq!(c["encoder"]["used"], "libx264");
            assert_eq!(
                c["encoder"]["fallback"]["cause"]["cause"], "session_limit",
                "{c:#}"
            );
        } else {
            assert_eq!(c["reason"]["cause"], "session_limit", "{c:#}");
        }
    }
}

/// Round-robin: both cases resolved NVENC before the first met the limit; each
/// starts over on the fallback and still gets all its runs, in case order.
#[test]
fn interleaved_cases_meeting_a_session_limit_start_over_with_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let fake = session_limited_ffmpeg(dir.path());
    let json = dir.path().join("r.json");
    let out = bench_with(
        &fake,
        &json,
        &[
            "--modes",
            "native,encode-only,encoder-ceiling",
            "--resolution",
            "160x120",
        ]
        .iter()
        .chain(&[
            "--frames",
            "10",
            "--warmup",
            "0",
            "--runs",
            "2",
            "--interleave",
            "-q",
        ])
        .copied()
        .collect::<Vec<_>>(),
    );
    assert_exit(&out, 0);
    let results = read_json(&json);
    assert_eq!(results["config"]["interleave"], true);
    let cases = results["cases"].as_array().unwrap();
    let modes: Vec<_> = cases.iter().map(|c| c["mode"].as_str().unwrap()).collect();
    assert_eq!(modes, ["native", "encode-only", "encoder-ceiling"]);
    for c in cases {
        assert_eq!(c["status"], "ok", "{c:#}");
        assert_eq!(c["encoder"]["used"], "libx264", "{c:#}");
        assert_eq!(c["runs"].as_array().unwrap().len(), 2, "{c:#}");
        assert!(c["verified"].is_object(), "{c:#}");
    }
    assert_eq!(
        cases[0]["encoder"]["fallback"]["cause"]["cause"],
        "session_limit"
    );
}

/// A GeForce-like NVENC with one session: a slow shim (it starts late, then maps
/// h264_nvenc to libx264) while it holds the only session; a second encode at the
/// same time meets the session limit.
fn one_session_ffmpeg(dir: &std::path::Path) -> std::path::PathBuf {
    let lock = dir.join("session.lock");
    scripted_ffmpeg(
        dir,
        &(NVENC_AS_X264.to_string()
            + &format!(
                r#"case " $* " in
  *" 320x240 "*) ;;
  *" h264_nvenc "*)
    if ! mkdir '{lock}' 2>/dev/null; then
      echo '[h264_nvenc @ 0x5] OpenEncodeSessionEx failed: incompatible client key (21): (no details)' >&2; exit 1
    fi
    trap "rmdir '{lock}'" EXIT
    sleep 0.5 ;;
esac
to_x264 "$@"
/usr/bin/env ffmpeg "${{args[@]}}""#,
                lock = lock.display()
            )),
    )
}

#[test]
fn sessions_report_each_stream_and_a_session_limit_as_the_finding() {
    let dir = tempfile::tempdir().unwrap();
    let fake = one_session_ffmpeg(dir.path());
    let json = dir.path().join("r.json");
    let out = bench_with(
        &fake,
        &json,
        &[
            "--modes",
            "encode-only",
            "--resolution",
            "160x120",
            "--frames",
            "12",
        ]
        .iter()
        .chain(&["--runs", "1", "--warmup", "0", "-q", "--sessions", "1,2"])
        .copied()
        .collect::<Vec<_>>(),
    );
    assert_exit(&out, 1);
    let results = read_json(&json);
    let one = case(&results, "encode-only/none/h264_nvenc/p1");
    assert_eq!(one["status"], "ok", "{one:#}");
    assert_eq!(one["encoder"]["used"], "h264_nvenc");
    let two = case(&results, "encode-only/none/h264_nvenc/p1/x2");
    assert_eq!(two["status"], "failed", "{two:#}");
    assert_eq!(two["reason"]["cause"], "session_limit");
    assert!(
        two["encoder"]["fallback"].is_null(),
        "a limit found is not a fallback"
    );

    // Without the limit (libx264 has none), both streams run and are reported.
    let out = nvviz()
        .args(["bench", "--modes", "encode-only", "--resolution", "160x120"])
        .args(["--frames", "12", "--runs", "1", "--warmup", "0", "-q"])
        .args([
            "--sessions",
            "2",
            "--codecs",
            "libx264",
            "--pix-fmts",
            "yuv420p",
        ])
        .arg("--export-json")
        .arg(&json)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let results = read_json(&json);
    let two = case(&results, "encode-only/none/libx264/p1/yuv420p/x2");
    let run = &two["runs"][0];
    let streams: Vec<f64> = run["stream_fps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(streams.len(), 2);
    // Aggregate = all frames over the slowest stream's wall time, so each stream's
    // own fps is at least its share of it (a stream that finished sooner is faster
    // than the aggregate itself), and the aggregate at most their sum.
    let aggregate = run["fps"].as_f64().unwrap();
    assert!(aggregate > 0.0);
    let share = aggregate / streams.len() as f64;
    assert!(
        streams.iter().all(|s| *s >= share * 0.999),
        "{streams:?} against {aggregate}"
    );
    assert!(aggregate <= streams.iter().sum::<f64>() * 1.001);
    assert_eq!(two["verified"]["frames"], 12);
}

#[test]
fn every_pipe_format_and_both_engines_produce_verified_outputs() {
    for engine in ["pipelined", "sequential"] {
        let (out, results, _dir) = small_bench(&[
            "--modes",
            "native,encoder-ceiling",
            "--pix-fmts",
            "bgr24,bgr0,yuv420p",
            "--engine",
            engine,
            "--runs",
            "1",
        ]);
        assert_exit(&out, 0);
        let cases = results["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 6, "{engine}");
        for c in cases {
            assert_eq!(c["status"], "ok", "{engine}: {c:#}");
            assert!(c["verified"]["frames"].as_u64().unwrap() > 0);
        }
        assert_eq!(results["config"]["engine"]["kind"], engine);
    }
    // yuv420p cannot carry odd sizes: refused before anything runs (the one
    // rule of every mode), never a crop.
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let out = nvviz()
        .args(["bench", "--modes", "native", "--resolution", "161x120"])
        .args(["--frames", "4", "--runs", "1", "--warmup", "0", "-q"])
        .args(["--pix-fmts", "yuv420p", "--export-json"])
        .arg(&json)
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("even width"));
    assert!(!json.exists());
}

#[test]
fn an_encoder_that_stops_reading_is_killed_by_the_watchdog() {
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("nvviz-stall-{}", std::process::id());
    // Trials (320x240) and decode checks (-i /path) work; the real run never reads its stdin.
    let fake = scripted_ffmpeg(
        dir.path(),
        &format!(
            r#"case " $* " in *" 320x240 "*|*" -i /"*) exec /usr/bin/env ffmpeg "$@" ;; esac
exec -a {marker} sleep 60"#
        ),
    );
    let json = dir.path().join("r.json");
    let out = bench_with(
        &fake,
        &json,
        &[
            "--modes=encode-only",
            "--codecs=libx264",
            "--resolution=160x120",
            "--frames=200",
            "--runs=1",
            "--warmup=0",
            "--write-timeout=1",
            "-q",
        ],
    );
    assert_exit(&out, 1);
    let c = &read_json(&json)["cases"][0];
    assert_eq!(c["status"], "failed");
    assert_eq!(c["reason"]["cause"], "timeout", "{c:#}");
    let leftover = command_lines().iter().any(|cmd| cmd.contains(&marker));
    assert!(!leftover, "the stalled ffmpeg survived");
}

/// `bench` at 1080p with `args`, quiet, exit 0: its results.
fn bench_1080p(args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let out = nvviz()
        .args(["bench", "--resolution", "1920x1080", "-q", "--export-json"])
        .arg(&json)
        .args(args)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    read_json(&json)
}

/// Each run's peak memory is its own: the Pillow style's full-frame layer runs
/// first and raise the process's high-water mark; the native style after it
/// must not inherit that figure (as getrusage's maxrss would make it).
#[test]
fn peak_memory_is_measured_per_run_not_per_process() {
    let results = bench_1080p(&[
        "--modes",
        "overlay-only",
        "--frames",
        "3",
        "--warmup",
        "0",
        "--runs",
        "1",
    ]);
    let peak = |id: &str| {
        let run = &case(&results, id)["runs"][0];
        assert_eq!(run["rss_scope"], "run", "{run:#}");
        run["max_rss_mib"].as_f64().unwrap()
    };
    let (pillow, native) = (
        peak("overlay-only/pillow/null"),
        peak("overlay-only/native/null"),
    );
    // Pillow's per-person layer alone is 7.9 MiB at 1080p.
    assert!(
        native < pillow - 5.0,
        "native {native:.1} MiB after pillow {pillow:.1} MiB: the process's peak, not the run's"
    );
}

/// Every round of an interleaved bench peaks where the first did: what a
/// case's run freed (frames, Pillow's layers) is gone before the next run's
/// peak is counted. Before the allocator's threshold was pinned, frame-sized
/// buffers stayed in per-thread heaps and the last round carried every case
/// before it (overlay-only/native 350 MiB against 206). A memory check, not a timing assert.
#[test]
fn no_round_carries_the_memory_of_the_runs_before_it() {
    let results = bench_1080p(&[
        "--modes",
        "encode-only,overlay-only",
        "--overlay-threads",
        "4",
        "--frames",
        "8",
        "--warmup",
        "2",
        "--runs",
        "3",
        "--interleave",
    ]);
    let ran: Vec<&serde_json::Value> = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "ok")
        .collect();
    assert!(ran.len() >= 3, "{results:#}");
    for c in ran {
        let peaks: Vec<f64> = c["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["max_rss_mib"].as_f64().unwrap())
            .collect();
        assert_eq!(peaks.len(), 3, "{c:#}");
        let (lo, hi) = peaks
            .iter()
            .fold((f64::MAX, 0.0f64), |(l, h), p| (l.min(*p), h.max(*p)));
        assert!(
            hi - lo < 24.0,
            "{}: peaks {peaks:?} MiB over the rounds",
            c["id"]
        );
    }
}

/// Memory does not grow with `--frames`: nothing is computed or stored per
/// frame ahead of the run. A two-million-frame run, sampled a few seconds in,
/// holds about what a 300-frame run peaked at (a growth check on memory, not
/// a timing assert).
#[test]
fn memory_does_not_grow_with_the_number_of_frames() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("small.json");
    let args = [
        "bench",
        "--modes",
        "overlay-only",
        "--resolution",
        "320x240",
        "--runs",
        "1",
        "-q",
    ];
    let small = nvviz()
        .args(args)
        .args(["--frames", "300", "--export-json"])
        .arg(&json)
        .output()
        .unwrap();
    assert_exit(&small, 0);
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let small_peak = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["runs"].as_array().unwrap())
        .map(|r| r["max_rss_mib"].as_f64().unwrap())
        .fold(0.0, f64::max);
    let mut big = std::process::Command::new(env!("CARGO_BIN_EXE_nvviz-bench"))
        .args(args)
        .args(["--frames", "2000000"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(4));
    let status = std::fs::read_to_string(format!("/proc/{}/status", big.id())).unwrap();
    let rss_mib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap()
        / 1024.0;
    // SAFETY: plain signal to our own child.
    unsafe { libc::kill(big.id() as i32, libc::SIGTERM) };
    big.wait().unwrap();
    assert!(
        rss_mib < small_peak + 64.0,
        "2,000,000 frames: {rss_mib:.0} MiB after 4 s; 300 frames peaked at {small_peak:.0} MiB"
    );
}

/// `--export-json -` (and every other export) writes the document to stdout,
/// alone: the table goes to stderr. The CSV export is one tidy table.
#[test]
fn exports_go_to_stdout_with_a_dash() {
    let run = |flag: &str| tiny_bench("2").args([flag, "-"]).output().unwrap();
    let out = run("--export-json");
    assert_exit(&out, 0);
    let doc: Value =
        serde_json::from_slice(&out.stdout).expect("stdout is the JSON document alone");
    assert_eq!(doc["schema"], "nvviz-bench.results");
    assert!(String::from_utf8_lossy(&out.stderr).contains("overlay-only"));
    let out = run("--export-csv");
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 4, "header + 3 styles:\n{text}");
    let header: Vec<&str> = rows[0].split(',').collect();
    let mean = header.iter().position(|h| *h == "fps_mean").unwrap();
    for row in &rows[1..] {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells.len(), header.len(), "{row}");
        assert!(cells[mean].parse::<f64>().unwrap() > 0.0, "{row}");
    }
}

/// Off a terminal (CI logs), a long run prints a progress line every few
/// seconds (here every 100 ms through NVVIZ_PROGRESS_MS) instead of nothing.
#[test]
fn progress_lines_off_a_terminal() {
    let out = nvviz()
        .args([
            "bench",
            "--modes",
            "native",
            "--resolution",
            "640x360",
            "--frames",
            "300",
            "--runs",
            "1",
        ])
        .env("NVVIZ_PROGRESS_MS", "100")
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains(" frames, ") && l.contains(" fps, "))
        .collect();
    assert!(!lines.is_empty(), "{err}");
    assert!(lines[0].contains("/310 frames"), "{}", lines[0]);
}
