//! The demo's caption rules through the real binary, on the AlphAction-shaped
//! fixture (boxes every frame, action scores every 30 frames): each flag
//! changes what is drawn, a score vector of the other vocabulary is refused
//! with the flag to pass, and the same flags draw the same bytes.

use crate::common::{fixture, nvviz};

/// Frame `n` as the native style draws it with `flags`, via `bench --snapshot`.
fn drawn(n: u64, flags: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    nvviz()
        .args([
            "bench",
            "--modes",
            "overlay-only",
            "--resolution",
            "320x240",
        ])
        .args(["--frames", "80", "--warmup", "0", "--runs", "1", "-q"])
        .arg("--detections")
        .arg(fixture("detections/alphaction-v2.json"))
        .args(["--snapshot", &n.to_string(), "--snapshot-dir"])
        .arg(dir.path())
        .args(flags)
        .assert()
        .success();
    std::fs::read(dir.path().join(format!("snapshot-frame{n}-native.png"))).unwrap()
}

#[test]
fn every_caption_flag_changes_the_drawing() {
    let demo = drawn(45, &[]);
    assert_eq!(drawn(45, &[]), demo, "the same flags draw the same bytes");
    // Track 1's excluded "crawl 0.95" and its "stand 0.45" below the threshold appear.
    let everything = drawn(
        45,
        &["--exclude-class", "none", "--confidence-threshold", "0.4"],
    );
    assert_ne!(everything, demo);
    assert_ne!(
        drawn(45, &["--confidence-threshold", "0.4"]),
        everything,
        "the exclusion list is its own filter"
    );
    assert_ne!(drawn(45, &["--no-show-time"]), demo);
}

#[test]
fn scores_of_the_other_vocabulary_name_the_flag() {
    let out = nvviz()
        .args([
            "bench",
            "--modes",
            "overlay-only",
            "--resolution",
            "320x240",
            "-q",
        ])
        .arg("--detections")
        .arg(fixture("detections/alphaction-v2.json"))
        .arg("--common-categories")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("keyframe at frame 0, track 1: 80 scores")
            && err.contains("drop --common-categories"),
        "{err}"
    );
}
