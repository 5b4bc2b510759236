//! The GPU-resident modes through the one lifecycle: NVDEC decode, the
//! native overlay as a yuva420p layer composited by ffmpeg, the encoder.
//! Where there is no CUDA (this CI machine) the same path runs on the CPU
//! (ffmpeg's decoder and `overlay`) as the reported fallback; on a GPU
//! machine with NVDEC it runs there. Either way every output says which, the
//! video decodes back whole, and its frames look like the native mode's.
//! NVDEC driven in this process (`src/cuda/`) is tried first where it can
//! be: here it cannot, and each reason why (no library, no device, a driver
//! lacking a function) is said before the next way is tried.

use crate::common::*;

#[test]
fn every_gpu_mode_runs_and_says_where_it_ran() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let run = nvviz()
        .args([
            "bench",
            "--modes",
            "gpu-resident,composite-ceiling,nvdec-ceiling",
            "--sessions",
            "1,2",
            "--frames",
            "12",
            "--warmup",
            "3",
            "--runs",
            "1",
            "--interleave",
            "--resolution",
            "640x360",
            "--export-json",
        ])
        .arg(&json)
        .output()
        .unwrap();
    assert_exit(&run, 0);
    let results = read_json(&json);
    let cases = results["cases"].as_array().unwrap();
    // NVDEC's decode alone once and in two sessions at once (--sessions); the
    // composite modes are one stream each.
    assert_eq!(cases.len(), 4, "{cases:#?}");
    let x2 = &cases[3];
    assert_eq!(x2["sessions"], 2);
    assert_eq!(
        x2["runs"][0]["stream_fps"].as_array().unwrap().len(),
        2,
        "{x2:#}"
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    for case in cases {
        assert_eq!(case["status"], "ok", "{case:#}");
        let path = &case["gpu_path"];
        let on_gpu = path["on_gpu"].as_bool().unwrap();
        // Off the GPU only with the reason, and the summary names it.
        assert_eq!(on_gpu, path.get("fallback").is_none(), "{path}");
        if !on_gpu {
            let cause = path["fallback"]["cause"].as_str().unwrap();
            assert!(
                stdout.contains(&format!("ffmpeg's CPU decoder and overlay: {cause}")),
                "{stdout}"
            );
        }
        let command = case["command"].as_str().unwrap();
        assert_eq!(command.contains("-hwaccel cuda"), on_gpu, "{command}");
        assert!(case["runs"][0]["fps"].as_f64().unwrap() > 0.0);
    }
    // The mode that encodes wrote every frame (warm-up included), checked.
    assert_eq!(cases[0]["verified"]["frames"], 15, "{:#}", cases[0]);
    assert_eq!(cases[1]["pix_fmt"], "yuva420p");
    // Both composite modes are held against NVDEC's own rate (one session),
    // in the same rounds.
    for case in &cases[..2] {
        assert_eq!(case["relative"]["reference"], cases[2]["id"], "{case:#}");
    }
    assert_eq!(cases[2]["sessions"], 1);
    assert!(cases[2]["pix_fmt"].is_null());
}

/// The composite's frames are the native mode's: the same boxes and
/// captions where that mode draws them (the background went once more
/// through an encoder, so a pixel may differ a little, never a drawing).
#[test]
fn the_composite_looks_like_the_native_mode() {
    let dir = tempfile::tempdir().unwrap();
    let render = |mode: &str| {
        let out = dir.path().join(format!("{mode}.mp4"));
        let run = nvviz()
            .args(["render", "-q", "--mode", mode, "--frames", "15"])
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert_exit(&run, 0);
        out
    };
    let (gpu, native) = (render("gpu-resident"), render("native"));
    for n in [0u64, 7, 14] {
        let (a, b) = (frame_rgb(&gpu, n), frame_rgb(&native, n));
        assert_eq!(a.len(), 1920 * 1080 * 3);
        assert_eq!(a.len(), b.len());
        let far = a
            .chunks_exact(3)
            .zip(b.chunks_exact(3))
            .filter(|(p, q)| p.iter().zip(q.iter()).any(|(x, y)| x.abs_diff(*y) > 40))
            .count();
        // A box's side alone is over a thousand pixels, ten persons' boxes
        // and captions tens of thousands: a drawing missing or misplaced
        // would differ on far more than this.
        assert!(
            far < 1_000,
            "frame {n}: {far} pixels differ by more than 40"
        );
    }
}

/// `--decoder nvdec` on H.264, the codec this process hands NVDEC itself:
/// where it can (a GPU, the driver's libcuda and libnvcuvid) the results say
/// NVDEC ran in this process; elsewhere the note names the library or
/// device that was missing before ffmpeg's own NVDEC is tried, and the
/// frames are all there either way.
#[test]
fn nvdec_in_process_runs_or_names_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let video = lavfi_video(dir.path(), "in.mp4", "320x240", 20);
    let NvdecRender {
        stderr,
        results,
        out,
        ..
    } = render_on_nvdec_in(&video, 12, dir.path());
    let decode = &results["workload"]["decode"];
    if decode["route"] != "in_process" {
        assert!(
            stderr.contains("NVDEC cannot be driven in this process")
                && (stderr.contains("libcuda.so.1")
                    || stderr.contains("libnvcuvid.so.1")
                    || stderr.contains("CUDA")),
            "{stderr}"
        );
    }
    assert_eq!(ffprobe_stream(&out).0, 12);
}

/// The driver API's functions this process loads (`src/cuda/driver.rs`).
const CUDA_SYMBOLS: [&str; 23] = [
    "cuInit",
    "cuDeviceGetCount",
    "cuDeviceGet",
    "cuDevicePrimaryCtxSetFlags_v2",
    "cuDevicePrimaryCtxRetain",
    "cuDevicePrimaryCtxRelease_v2",
    "cuCtxPushCurrent_v2",
    "cuCtxPopCurrent_v2",
    "cuMemAlloc_v2",
    "cuMemFree_v2",
    "cuMemHostAlloc",
    "cuMemFreeHost",
    "cuMemHostRegister_v2",
    "cuMemHostUnregister",
    "cuMemcpy2DAsync_v2",
    "cuMemcpyHtoDAsync_v2",
    "cuModuleLoadData",
    "cuModuleGetFunction",
    "cuLaunchKernel",
    "cuStreamCreate",
    "cuStreamDestroy_v2",
    "cuStreamSynchronize",
    "cuGetErrorName",
];

/// A `libcuda.so.1` built here with `symbols`, every call answering
/// CUDA_ERROR_NO_DEVICE (100) — a driver with no GPU, as in a container
/// given the driver's libraries and no device; None without a C compiler.
fn stub_driver(dir: &std::path::Path, symbols: &[&str]) -> Option<std::path::PathBuf> {
    let lib = dir.join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    let mut c = String::from("typedef int CUresult;\n");
    for s in symbols {
        if *s == "cuGetErrorName" {
            c += "CUresult cuGetErrorName(int e, const char **s) { *s = \"CUDA_ERROR_NO_DEVICE\"; return 0; }\n";
        } else {
            c += &format!("CUresult {s}() {{ return 100; }}\n");
        }
    }
    let source = dir.join("stub.c");
    std::fs::write(&source, c).unwrap();
    let built = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(lib.join("libcuda.so.1"))
        .arg(&source)
        .status()
        .ok()?;
    built.success().then_some(lib)
}

/// The in-process NVDEC's own failures with a real driver library that
/// cannot run it: no device (cuInit's answer, named), and a driver lacking
/// a function this process needs (named, "too old"). Each is a note before
/// ffmpeg's NVDEC is tried, the CPU decodes, the output is whole.
#[test]
fn a_driver_without_a_gpu_or_a_function_is_named_and_the_cpu_decodes() {
    let dir = tempfile::tempdir().unwrap();
    let video = lavfi_video(dir.path(), "in.mp4", "320x240", 20);
    let without_memcpy: Vec<&str> = CUDA_SYMBOLS
        .iter()
        .copied()
        .filter(|s| *s != "cuMemcpy2DAsync_v2")
        .collect();
    for (name, symbols, said) in [
        (
            "no-gpu",
            &CUDA_SYMBOLS[..],
            "cuInit failed: CUDA_ERROR_NO_DEVICE (100)",
        ),
        (
            "old",
            &without_memcpy[..],
            "libcuda.so.1 has no cuMemcpy2DAsync_v2",
        ),
    ] {
        let case = dir.path().join(name);
        let Some(lib) = stub_driver(&case, symbols) else {
            eprintln!("no C compiler: the stub driver is not built");
            return;
        };
        let out = case.join("o.mp4");
        let run = render_on_nvdec(&video, 12, &out)
            .env("LD_LIBRARY_PATH", &lib)
            .output()
            .unwrap();
        assert_exit(&run, 0);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(
            stderr.contains("NVDEC cannot be driven in this process") && stderr.contains(said),
            "{name}: {stderr}"
        );
        assert_eq!(ffprobe_stream(&out).0, 12, "{name}");
    }
}
