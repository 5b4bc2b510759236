//! The GPU-resident modes through the one lifecycle: NVDEC decode, the
//! native overlay as a yuva420p layer composited by ffmpeg, the encoder.
//! Where there is no CUDA (this CI machine) the same path runs on the CPU
//! (ffmpeg's decoder and `overlay`) as the reported fallback; on a GPU
//! machine with NVDEC it runs there. Either way every output says which, the
//! video decodes back whole, and its frames look like the native mode's.

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
