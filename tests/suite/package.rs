//! The portable release artifact, as a user gets it: `scripts/package.sh`
//! builds it (no OpenCV), and the binary runs from the unpacked tarball with no
//! build tree, Rust or OpenCV on PATH — on this machine, and in a clean Debian
//! chroot set up by the container image's own runtime steps
//! (`scripts/container-runtime.sh`, which the Dockerfile runs).
//!
//! Both tests run the guide's three modes from the portable build and check that
//! every output names what stood in for OpenCV.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::*;
use serde_json::Value;

struct Package {
    _dir: tempfile::TempDir,
    tarball: PathBuf,
}

/// `scripts/package.sh`, once for every test here.
fn package() -> &'static Package {
    static PACKAGE: OnceLock<Package> = OnceLock::new();
    PACKAGE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = run_ok(
            Command::new("bash")
                .arg(repo().join("scripts/package.sh"))
                .args(["--out".as_ref(), dir.path().as_os_str()])
                .current_dir(repo()),
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let tarball = PathBuf::from(stdout.lines().next().unwrap());
        assert!(tarball.exists(), "{stdout}");
        Package { _dir: dir, tarball }
    })
}

/// The three guide modes' cases from the portable build, each checked.
fn check_guide_modes(results: &Value) {
    let cases = results["cases"].as_array().unwrap();
    let case = |mode: &str| {
        cases
            .iter()
            .find(|c| c["mode"] == mode)
            .unwrap_or_else(|| panic!("no {mode} case in {results}"))
    };
    for mode in ["original", "fast"] {
        let c = case(mode);
        assert_eq!(c["status"], "ok", "{c}");
        assert_eq!(c["sink"], "ffmpeg-pipe");
        assert_eq!(c["encoder"]["used"], "mpeg4");
        assert_eq!(c["stand_in"]["missing"], "opencv");
        assert_eq!(c["stand_in"]["writer_for"], "mp4v");
        assert_eq!(c["verified"]["codec"], "mpeg4", "{c}");
        assert!(c["id"].as_str().unwrap().contains("mpeg4-for-opencv-mp4v"));
        // OpenCV's VideoWriter settings, reproduced on ffmpeg's command line.
        let command = c["command"].as_str().unwrap();
        assert!(
            command.contains("-c:v mpeg4") && command.contains("-g 12 -qmin 3"),
            "{command}"
        );
    }
    assert_eq!(case("original")["overlay"], "pillow");
    assert_eq!(case("original")["stand_in"]["overlay_for"], Value::Null);
    assert_eq!(case("fast")["overlay"], "native");
    assert_eq!(case("fast")["stand_in"]["overlay_for"], "opencv");
    let nvenc = case("nvenc");
    assert_eq!(nvenc["stand_in"]["overlay_for"], "opencv");
    assert_eq!(nvenc["stand_in"]["writer_for"], Value::Null);
}

#[test]
fn the_packaged_binary_runs_from_its_tarball_with_no_build_tree() {
    let pkg = package();
    let dir = pkg.tarball.parent().unwrap();
    let name = pkg.tarball.file_name().unwrap().to_str().unwrap();
    run_ok(
        Command::new("sha256sum")
            .args(["-c", &format!("{name}.sha256")])
            .current_dir(dir),
    );
    let unpacked = tempfile::tempdir().unwrap();
    run_ok(
        Command::new("tar")
            .arg("-xzf")
            .arg(&pkg.tarball)
            .arg("-C")
            .arg(unpacked.path())
            .arg("--strip-components=1"),
    );
    for file in [
        "nvviz-bench",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "MANIFEST.txt",
        "completions/nvviz-bench.bash",
        "completions/_nvviz-bench",
        "completions/nvviz-bench.fish",
        "man/nvviz-bench.1",
        "licenses/DejaVu-LICENSE.txt",
        "licenses/Roboto-LICENSE.txt",
    ] {
        assert!(unpacked.path().join(file).is_file(), "{file} missing");
    }
    let manifest = std::fs::read_to_string(unpacked.path().join("MANIFEST.txt")).unwrap();
    let needs = manifest
        .lines()
        .find_map(|l| l.strip_prefix("needs: "))
        .unwrap();
    for lib in needs.split_whitespace() {
        assert!(
            [
                "libc.so",
                "libm.so",
                "libgcc_s.so",
                "ld-linux",
                "libdl.so",
                "libpthread.so"
            ]
            .iter()
            .any(|ok| lib.starts_with(ok)),
            "the portable binary needs {lib}: {manifest}"
        );
    }
    assert!(manifest.contains("min glibc: 2."), "{manifest}");

    // Nothing of the build on PATH: the system's binaries only (for ffmpeg).
    let work = tempfile::tempdir().unwrap();
    let bin = unpacked.path().join("nvviz-bench");
    let clean = |args: &[&str]| {
        let mut cmd = Command::new(&bin);
        cmd.args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", work.path())
            .current_dir(work.path());
        cmd
    };
    let doctor = run_ok(&mut clean(&["doctor", "--json"]));
    let doctor: Value = serde_json::from_slice(&doctor.stdout).unwrap();
    assert_eq!(doctor["schema"], "nvviz-bench.doctor");
    assert_eq!(
        doctor["opencv"]["status"], "not_built",
        "{}",
        doctor["opencv"]
    );
    assert_eq!(
        doctor["verdict"]["modes"][0]["path"],
        "mpeg4 via ffmpeg (for OpenCV's mp4v writer: OpenCV not built)"
    );

    let bench = run_ok(&mut clean(&[
        "bench",
        "--modes",
        "original,fast,nvenc",
        "--resolution",
        "320x240",
        "--frames",
        "6",
        "--runs",
        "1",
        "--export-json",
        "-",
        "--export-csv",
        "r.csv",
    ]));
    let results: Value = serde_json::from_slice(&bench.stdout).unwrap();
    check_guide_modes(&results);
    let table = String::from_utf8_lossy(&bench.stderr);
    assert!(
        table.contains("mpeg4 via ffmpeg (for OpenCV's mp4v writer: OpenCV not built)"),
        "{table}"
    );
    assert!(table.contains("native (for opencv)"), "{table}");
    let csv = std::fs::read_to_string(work.path().join("r.csv")).unwrap();
    assert!(csv.lines().next().unwrap().contains(",stand_in,"));
    assert!(csv.contains("fast/native (for opencv)/mpeg4 (for opencv-mp4v) 320x240"));

    // The report's chart marks the stand-ins and names them.
    std::fs::write(work.path().join("r.json"), &bench.stdout).unwrap();
    run_ok(&mut clean(&["report", "r.json", "-o", "report"]));
    let svg = std::fs::read_dir(work.path().join("report"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "svg"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .expect("report wrote its fps chart");
    assert!(svg.contains("grey: stand-in, OpenCV not built"), "{svg}");
    assert!(svg.contains("(stand-in)"));
    let md = std::fs::read_to_string(work.path().join("report/report.md")).unwrap();
    assert!(
        md.contains("mpeg4 via ffmpeg (for OpenCV's mp4v writer"),
        "{md}"
    );
}

/// The GitHub Action's steps (`scripts/action.sh`, which `action.yml` runs),
/// outside GitHub: install from a release URL (checked against its .sha256),
/// doctor, bench, report, compare, the job summary and the step outputs.
#[test]
fn the_actions_script_installs_benches_compares_and_summarises() {
    let pkg = package();
    let url = format!("file://{}", pkg.tarball.display());
    let work = tempfile::tempdir().unwrap();
    let action = |name: &str, bench_args: &str, baseline: Option<&str>, compare_args: &str| {
        let (out, outputs, summary) = run_action(
            work.path(),
            name,
            &[
                ("INPUT_RELEASE_URL", url.as_str()),
                ("INPUT_BENCH_ARGS", bench_args),
                ("INPUT_BASELINE", baseline.unwrap_or("")),
                ("INPUT_COMPARE_ARGS", compare_args),
                ("INPUT_RESULTS", &format!("{name}.json")),
                ("INPUT_REPORT_DIR", &format!("{name}-report")),
            ],
        );
        (out, outputs, summary)
    };
    let tiny = "--modes original,nvenc --resolution 160x120 --frames 4 --runs 2";

    let (out, outputs, summary) = action("first", tiny, None, "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "nvenc=false",
        "verdict=skipped",
        "results=first.json",
        "report=first-report",
    ] {
        assert!(
            outputs.lines().any(|l| l == line),
            "{line} not in {outputs}"
        );
    }
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(work.path().join("first.json")).unwrap())
            .unwrap();
    assert_eq!(results["schema"], "nvviz-bench.results");
    assert!(work.path().join("first-report/report.md").is_file());
    assert!(
        summary.contains("NVENC usable on this runner: **false**"),
        "{summary}"
    );
    assert!(summary.contains("| original | mpeg4 via ffmpeg (for OpenCV's mp4v writer"));
    assert!(
        summary.contains("`original/pillow/mpeg4-for-opencv-mp4v`"),
        "{summary}"
    );

    // The same cases against that baseline: the gate passes (a generous
    // threshold: this is about the plumbing, not this machine's noise).
    let (out, outputs, summary) = action("second", tiny, Some("first.json"), "--threshold 99%");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(outputs.lines().any(|l| l == "verdict=pass"), "{outputs}");
    assert!(
        summary.contains("`nvenc/native/h264_nvenc/p1`"),
        "{summary}"
    );

    // A baseline case that is missing now fails the gate, and says so.
    let (out, outputs, _) = action(
        "third",
        "--modes nvenc --resolution 160x120 --frames 4 --runs 2",
        Some("first.json"),
        "--threshold 99%",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        outputs.lines().any(|l| l == "verdict=regression"),
        "{outputs}"
    );

    // A release URL that does not match its checksum installs nothing: the
    // tarball itself is hashed, whatever the .sha256 beside it names. Each
    // failure exits 3 (never 1, which means a regression) and says what failed.
    let name = pkg.tarball.file_name().unwrap().to_str().unwrap();
    let good_hash = std::fs::read_to_string(pkg.tarball.with_file_name(format!("{name}.sha256")))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let empty_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let install = |label: &str, tarball: &[u8], sha256_file: Option<String>, pinned: &str| {
        let dir = work.path().join(label);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), tarball).unwrap();
        if let Some(line) = sha256_file {
            std::fs::write(dir.join(format!("{name}.sha256")), line).unwrap();
        }
        let url = format!("file://{}/{name}", dir.display());
        let (out, outputs, _) = run_action(
            work.path(),
            label,
            &[
                ("INPUT_RELEASE_URL", url.as_str()),
                ("INPUT_SHA256", pinned),
                (
                    "INPUT_BENCH_ARGS",
                    "--modes native --resolution 64x48 --frames 2 --runs 1",
                ),
            ],
        );
        (out, outputs)
    };
    let real = std::fs::read(&pkg.tarball).unwrap();
    let rejected = |(out, outputs): (std::process::Output, String), why: &str| {
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(3), "{why}: {stderr}");
        assert!(
            !stderr.contains("nvviz-bench 0."),
            "{why}: a binary ran: {stderr}"
        );
        assert!(
            outputs.lines().any(|l| l == "verdict=install-failed"),
            "{why}: {outputs}"
        );
        assert!(
            outputs.lines().any(|l| l.starts_with("error=install: ")),
            "{why}: {outputs}"
        );
        assert!(
            !outputs.lines().any(|l| l.starts_with("bin=")),
            "{why}: {outputs}"
        );
        stderr
    };
    // A tarball that is not the one its .sha256 was made for.
    let stderr = rejected(
        install(
            "bad",
            b"not the tarball",
            Some(format!("{good_hash}  {name}\n")),
            "",
        ),
        "changed tarball",
    );
    assert!(stderr.contains("checksum FAILED"), "{stderr}");
    // A lying .sha256 that names another file (sha256sum -c would check
    // /dev/null and print OK): the tarball's own hash decides.
    rejected(
        install(
            "lying",
            &real,
            Some(format!("{empty_hash}  /dev/null\n")),
            "",
        ),
        "lying .sha256",
    );
    // No hash in it at all.
    rejected(
        install("garbage", &real, Some("OK\n".to_string()), ""),
        "no hash",
    );
    // A pinned hash wins over the .sha256 served beside the tarball.
    rejected(
        install(
            "pinned-wrong",
            &real,
            Some(format!("{good_hash}  {name}\n")),
            empty_hash,
        ),
        "pinned hash differs",
    );
    rejected(
        install("pinned-malformed", &real, None, "abc"),
        "malformed pinned hash",
    );
    // The pinned right hash installs with no .sha256 served at all.
    let (out, outputs) = install("pinned-right", &real, None, &good_hash);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(outputs.lines().any(|l| l.starts_with("bin=")), "{outputs}");
}

/// `scripts/action.sh` outside GitHub with `inputs`, in `work` with its own
/// runner temp dir: its output, step outputs and job summary.
fn run_action(
    work: &Path,
    label: &str,
    inputs: &[(&str, &str)],
) -> (std::process::Output, String, String) {
    let temp = work.join(format!("runner-temp-{label}"));
    std::fs::create_dir_all(&temp).unwrap();
    let out = Command::new("bash")
        .arg(repo().join("scripts/action.sh"))
        .current_dir(work)
        .env("RUNNER_TEMP", &temp)
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_OUTPUT")
        .envs(inputs.iter().copied())
        .output()
        .unwrap();
    let outputs = std::fs::read_to_string(temp.join("outputs.txt")).unwrap_or_default();
    let summary = std::fs::read_to_string(temp.join("step-summary.md")).unwrap_or_default();
    (out, outputs, summary)
}

/// Unmounts the chroot's /proc however the test ends.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn the_container_runtime_steps_install_and_run_it_in_a_clean_debian() {
    let root = is_root();
    if !root || !have("debootstrap") || !have("chroot") {
        eprintln!(
            "skipped: needs root, debootstrap and chroot (CI has them: scripts/install-deps.sh)"
        );
        return;
    }
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    assert!(
        dockerfile.contains("container-runtime.sh /dist/nvviz-bench-*-linux.tar.gz"),
        "the Dockerfile's runtime stage must run the steps tested here"
    );
    let rootfs = tempfile::Builder::new()
        .prefix("nvviz-chroot-")
        .tempdir_in(repo().join("target"))
        .unwrap();
    let fs = rootfs.path();
    let codename = "bookworm";
    // The bare Debian first: it needs no package, so it is fetched while
    // another test's thread builds the tarball.
    run_ok(
        Command::new("debootstrap")
            .args(["--variant=minbase", codename])
            .arg(fs)
            .arg("http://deb.debian.org/debian"),
    );
    let pkg = package();
    std::fs::copy("/etc/resolv.conf", fs.join("etc/resolv.conf")).unwrap();
    std::fs::create_dir_all(fs.join("dist")).unwrap();
    let name = pkg.tarball.file_name().unwrap().to_str().unwrap();
    std::fs::copy(&pkg.tarball, fs.join("dist").join(name)).unwrap();
    let sum = pkg.tarball.with_file_name(format!("{name}.sha256"));
    std::fs::copy(&sum, fs.join("dist").join(format!("{name}.sha256"))).unwrap();
    std::fs::copy(
        repo().join("scripts/container-runtime.sh"),
        fs.join("dist/container-runtime.sh"),
    )
    .unwrap();
    run_ok(
        Command::new("mount")
            .args(["-t", "proc", "proc"])
            .arg(fs.join("proc")),
    );
    let _proc = Mounted(fs.join("proc"));
    let in_chroot = |script: &str| {
        let mut cmd = Command::new("chroot");
        cmd.arg(fs)
            .args(["/bin/sh", "-c", script])
            .env_clear()
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            )
            .env("HOME", "/root");
        cmd
    };
    // The image's runtime stage, as the Dockerfile runs it.
    run_ok(&mut in_chroot(
        "sh /dist/container-runtime.sh /dist/nvviz-bench-*-linux.tar.gz",
    ));
    // No Rust, no OpenCV, no build tree in this image.
    let bare = run_ok(&mut in_chroot(
        "command -v cargo rustc || true; ls /usr/lib/x86_64-linux-gnu | grep -c opencv || true",
    ));
    assert_eq!(String::from_utf8_lossy(&bare.stdout).trim(), "0");

    let doctor = run_ok(&mut in_chroot("cd /tmp && nvviz-bench doctor --json"));
    let doctor: Value = serde_json::from_slice(&doctor.stdout).unwrap();
    assert_eq!(doctor["host"]["os"], "Debian GNU/Linux 12 (bookworm)");
    assert!(doctor["verdict"]["can_write_video"].as_bool().unwrap());
    let bench = run_ok(&mut in_chroot(
        "cd /tmp && nvviz-bench bench --modes original,fast,nvenc --resolution 320x240 \
         --frames 6 --runs 1 -q --export-json -",
    ));
    let results: Value = serde_json::from_slice(&bench.stdout).unwrap();
    check_guide_modes(&results);
    // The man page and completions are where the runtime steps put them.
    run_ok(&mut in_chroot(
        "test -s /usr/local/share/man/man1/nvviz-bench.1 && \
         test -s /usr/share/bash-completion/completions/nvviz-bench",
    ));
}

/// `pip install` for the guide's Python audience: maturin builds a wheel that
/// carries the portable binary (pyproject.toml), a fresh venv installs it from
/// the file alone, and `nvviz-bench doctor` runs from that venv.
#[test]
fn the_wheel_installs_into_a_fresh_venv_and_runs() {
    let work = tempfile::tempdir().unwrap();
    let python = |venv: &Path| venv.join("bin/python");
    // maturin from PyPI in a venv of its own (not part of the installed result).
    let tools = repo().join("target/maturin-venv");
    if !python(&tools).exists() {
        run_ok(Command::new("python3").args(["-m", "venv"]).arg(&tools));
    }
    run_ok(Command::new(python(&tools)).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "maturin>=1.5,<2",
    ]));
    let wheels = work.path().join("wheels");
    run_ok(
        Command::new(tools.join("bin/maturin"))
            .args(["build", "--quiet", "--out"])
            .arg(&wheels)
            // The same profile, features and target directory as
            // scripts/package.sh (pyproject.toml): one build.
            .current_dir(repo()),
    );
    let wheel = std::fs::read_dir(&wheels)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .expect("maturin wrote a wheel");
    let name = wheel.file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("nvviz_bench-"), "{name}");
    assert!(name.contains("manylinux"), "{name}");
    // One wheel for every CPython from 3.9 (the limited API).
    assert!(name.contains("-cp39-abi3-"), "{name}");
    // The module links the C library only, as the portable binary.
    let listing = run_ok(
        Command::new("python3")
            .args(["-m", "zipfile", "-l"])
            .arg(&wheel),
    );
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.contains("nvviz_bench/_native.abi3.so"), "{listing}");
    assert!(listing.contains("nvviz_bench/visualizer.py"), "{listing}");
    let unpacked = work.path().join("unpacked");
    run_ok(
        Command::new("python3")
            .args(["-m", "zipfile", "-e"])
            .arg(&wheel)
            .arg(&unpacked),
    );
    let so = unpacked.join("nvviz_bench/_native.abi3.so");
    let dynamic = run_ok(Command::new("objdump").arg("-p").arg(&so));
    for line in String::from_utf8_lossy(&dynamic.stdout).lines() {
        if let Some(lib) = line.trim().strip_prefix("NEEDED") {
            let lib = lib.trim();
            assert!(
                ["libc.so", "libm.so", "libgcc_s.so", "ld-linux"]
                    .iter()
                    .any(|ok| lib.starts_with(ok)),
                "the module needs {lib}: the wheel must need the C library only"
            );
        }
    }

    let venv = work.path().join("venv");
    run_ok(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    run_ok(
        Command::new(python(&venv))
            .args(["-m", "pip", "install", "--quiet", "--no-index"])
            .arg(&wheel),
    );
    let installed = venv.join("bin/nvviz-bench");
    assert!(installed.is_file());
    let doctor = run_ok(
        Command::new(&installed)
            .args(["doctor", "--json"])
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", venv.join("bin").display()),
            )
            .env("HOME", work.path())
            .current_dir(work.path()),
    );
    let doctor: Value = serde_json::from_slice(&doctor.stdout).unwrap();
    assert_eq!(doctor["schema"], "nvviz-bench.doctor");
    assert_eq!(doctor["opencv"]["status"], "not_built");
    let version = run_ok(Command::new(&installed).arg("--version"));
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("nvviz-bench 0."));

    // The module, from Python, as a user meets it (python/tests): numpy from
    // PyPI beside the wheel, the venv's nvviz-bench and the machine's ffmpeg.
    run_ok(Command::new(python(&venv)).args(["-m", "pip", "install", "--quiet", "numpy"]));
    let tests = run_ok(
        Command::new(python(&venv))
            .args(["-m", "unittest", "discover", "-v", "-s"])
            .arg(repo().join("python/tests"))
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    venv.join("bin").display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .current_dir(work.path()),
    );
    let report = String::from_utf8_lossy(&tests.stderr);
    assert!(report.contains("\nOK"), "{report}");
    assert!(!report.contains("skipped"), "{report}");
}
