//! The fleet run through the schedulers teams already have: the Slurm array
//! (`deploy/slurm/`) on a one-node cluster this test starts, and the Kubernetes
//! manifests (`deploy/kubernetes/`), validated offline against the Kubernetes
//! schema (no cluster runs here) with their container command run for real.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;
use serde_json::Value;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_nvviz-bench"))
}

fn results(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["schema"], "nvviz-bench.results", "{}", path.display());
    v
}

/// Stops the cluster however the test ends.
struct Cluster(PathBuf);

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo().join("deploy/slurm/local-cluster.sh"))
            .arg("stop")
            .arg(&self.0)
            .status();
    }
}

#[test]
fn a_slurm_array_writes_every_nodes_results_and_the_report_after_it() {
    let root = is_root();
    let tools = ["munged", "slurmctld", "slurmd", "sbatch", "squeue"];
    if !root || !tools.iter().all(|t| have(t)) {
        eprintln!(
            "skipped: a one-node Slurm cluster needs root and {tools:?} \
             (apt-get install slurm-wlm munge; scripts/install-deps.sh installs them)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("cluster");
    let started = run_ok(
        Command::new("bash")
            .arg(repo().join("deploy/slurm/local-cluster.sh"))
            .arg("start")
            .arg(&state),
    );
    let _cluster = Cluster(state.clone());
    let conf = state.join("slurm.conf");
    assert!(String::from_utf8_lossy(&started.stdout).contains("SLURM_CONF="));

    let out = dir.path().join("fleet");
    let submitted = run_ok(
        Command::new("bash")
            .arg(repo().join("deploy/slurm/submit.sh"))
            .arg("3")
            .arg(&out)
            .env("SLURM_CONF", &conf)
            .env("NVVIZ_BIN", bin())
            .env(
                "NVVIZ_BENCH_ARGS",
                "--modes original,nvenc,native --resolution 160x120 --frames 4 --runs 1",
            ),
    );
    let ids = String::from_utf8(submitted.stdout).unwrap();
    let report_job = ids.split_whitespace().nth(1).unwrap().to_string();

    // Wait until the queue is empty (the report job runs after the array).
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let q = run_ok(
            Command::new("squeue")
                .args(["-h", "-o", "%i %T"])
                .env("SLURM_CONF", &conf),
        );
        if q.stdout.iter().all(u8::is_ascii_whitespace) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "jobs still queued after 240 s: {}\nslurmctld.log:\n{}",
            String::from_utf8_lossy(&q.stdout),
            std::fs::read_to_string(state.join("slurmctld.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    // One results file per task, named by node, GPU and task, each naming its node.
    let node = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .split('.')
        .next()
        .unwrap()
        .to_string();
    for task in 0..3 {
        let name = format!("{node}_no-gpu_task{task}");
        let log = std::fs::read_to_string(out.join(format!("nvviz-fleet-{}_{task}.out", {
            ids.split_whitespace().next().unwrap()
        })))
        .unwrap_or_default();
        let r = results(&out.join(format!("{name}.json")));
        assert_eq!(r["environment"]["host"]["node"], node.as_str(), "{log}");
        assert_eq!(r["incomplete"], false);
        let cases = r["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 3, "{log}");
        assert!(cases.iter().all(|c| c["status"] == "ok"), "{r}");
        let doctor: Value = serde_json::from_str(
            &std::fs::read_to_string(out.join(format!("doctor/{name}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(doctor["schema"], "nvviz-bench.doctor");
    }
    // The report job ran after every task, over all of them.
    let report_log =
        std::fs::read_to_string(out.join(format!("nvviz-fleet-report-{report_job}.out"))).unwrap();
    assert!(report_log.contains("3 nodes"), "{report_log}");
    let md = std::fs::read_to_string(out.join("report/report.md")).unwrap();
    assert!(md.contains("## Fleet"), "{md}");
    assert!(
        md.contains("3 results files from 1 machine(s) in 1 group(s)"),
        "{md}"
    );
    assert!(md.contains("fell back (driver_library_missing)"), "{md}");
}

/// A Job manifest's container command as one shell line, its `/results`
/// volume at `volume`.
fn container_command(job: &str, volume: &Path) -> String {
    job.split("            - >-\n")
        .nth(1)
        .and_then(|rest| rest.split("          env:").next())
        .unwrap()
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
        .replace("/results", &volume.to_string_lossy())
}

#[test]
fn kubernetes_manifests_validate_offline_and_their_command_runs() {
    let venv = repo().join("target/k8s-validate-venv");
    if !venv.join("bin/kubernetes-validate").exists() {
        run_ok(Command::new("python3").args(["-m", "venv"]).arg(&venv));
        run_ok(Command::new(venv.join("bin/python")).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "kubernetes-validate",
        ]));
    }
    let validate = |files: &[PathBuf]| {
        Command::new(venv.join("bin/kubernetes-validate"))
            .arg("--strict")
            .args(files)
            .output()
            .unwrap()
    };
    let manifests: Vec<PathBuf> = ["job.yaml", "daemonset.yaml", "job-per-gpu.yaml"]
        .iter()
        .map(|f| repo().join("deploy/kubernetes").join(f))
        .collect();
    let ok = validate(&manifests);
    assert!(
        ok.status.success(),
        "{}{}",
        String::from_utf8_lossy(&ok.stdout),
        String::from_utf8_lossy(&ok.stderr)
    );
    // The validator rejects what it should: a misspelt field.
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yaml");
    let job = std::fs::read_to_string(&manifests[0]).unwrap();
    std::fs::write(&broken, job.replace("backoffLimit", "backofLimit")).unwrap();
    assert!(!validate(&[broken]).status.success());

    // What the manifests require of the pods.
    for m in &manifests {
        let text = std::fs::read_to_string(m).unwrap();
        assert!(
            text.contains("value: compute,video,utility"),
            "{}",
            m.display()
        );
        assert!(text.contains("fieldPath: spec.nodeName"), "{}", m.display());
        assert!(text.contains("nvidia.com/gpu: 1"), "{}", m.display());
    }
    assert!(job.contains("completionMode: Indexed"));

    // The Job's container command, run here with /results in a temporary
    // directory: stdout is exactly the results JSON (what `kubectl logs` keeps),
    // the files land in the volume, and the pod's status is bench's.
    let volume = dir.path().join("results");
    std::fs::create_dir_all(&volume).unwrap();
    let script = container_command(&job, &volume);
    let path = format!(
        "{}:{}",
        bin().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let pod = |bench_args: &str| {
        Command::new("sh")
            .args(["-c", &script])
            .env("PATH", &path)
            .env("NVVIZ_NODE_NAME", "gpu-node-7")
            .env("NVVIZ_BENCH_ARGS", bench_args)
            .output()
            .unwrap()
    };
    let out = pod("--modes nvenc --resolution 160x120 --frames 4 --runs 1");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let logs: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(logs["environment"]["host"]["node"], "gpu-node-7");
    assert_eq!(
        results(&volume.join("gpu-node-7.json"))["cases"],
        logs["cases"]
    );
    assert!(volume.join("gpu-node-7.doctor.json").is_file());
    assert!(volume.join("gpu-node-7.log").is_file());
    // A bench that fails fails the pod.
    let failed = pod("--modes no-such-mode");
    assert!(!failed.status.success());
}

/// Per GPU (issue 33): the Kubernetes Job of a pod per GPU and the Slurm
/// array's process per GPU each run `bench --gpu all` where the scheduler
/// shows one GPU. Here NVML is the two-H100 record replayed
/// (`NVVIZ_GPU_PROBE`) and the scheduler's narrowing is CUDA_VISIBLE_DEVICES=1:
/// each result names the node, the GPU it ran on (index, UUID) and its cases
/// end in /gpu1.
#[test]
fn per_gpu_routes_run_one_gpu_each_and_name_it() {
    let dir = tempfile::tempdir().unwrap();
    let node_probe = fixture("nvml/node-2xh100-probe.json");
    let path = format!(
        "{}:{}",
        bin().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let pinned = |results: &Value| {
        let cases = results["cases"].as_array().unwrap();
        assert!(!cases.is_empty());
        for c in cases {
            assert!(c["id"].as_str().unwrap().ends_with("/gpu1"), "{}", c["id"]);
            assert_eq!(c["gpus"][0]["index"], 1);
            assert_eq!(c["gpus"][0]["cuda"], 0);
            assert_eq!(
                c["gpus"][0]["uuid"],
                "GPU-5b1f0c2e-91d4-4c3a-8e7f-0a2b3c4d5e6f"
            );
        }
    };
    let args = "--modes native --resolution 160x120 --frames 4 --runs 1";
    // Kubernetes: the per-GPU Job's container command, as the pod runs it.
    let job = std::fs::read_to_string(repo().join("deploy/kubernetes/job-per-gpu.yaml")).unwrap();
    assert!(job.contains("nvidia.com/gpu: 1") && !job.contains("podAntiAffinity"));
    let volume = dir.path().join("results");
    std::fs::create_dir_all(&volume).unwrap();
    let out = Command::new("sh")
        .args(["-c", &container_command(&job, &volume)])
        .env("PATH", &path)
        .env("NVVIZ_NODE_NAME", "gpu-node-7")
        .env("JOB_COMPLETION_INDEX", "5")
        .env("NVVIZ_BENCH_ARGS", args)
        .env("NVVIZ_GPU_PROBE", &node_probe)
        .env("CUDA_VISIBLE_DEVICES", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let logs: Value = serde_json::from_slice(&out.stdout).unwrap();
    pinned(&logs);
    assert!(volume.join("gpu-node-7.gpu5.doctor.json").is_file());
    assert_eq!(
        results(&volume.join("gpu-node-7.gpu5.json"))["cases"],
        logs["cases"]
    );
    // Slurm: one of srun's GPU tasks (`nvviz-fleet.sbatch --gpu-task`).
    let fleet = dir.path().join("fleet");
    let out = Command::new("bash")
        .arg(repo().join("deploy/slurm/nvviz-fleet.sbatch"))
        .arg("--gpu-task")
        .env("PATH", &path)
        .env("NVVIZ_FLEET_DIR", &fleet)
        .env("NVVIZ_NODE_NAME", "gpu-node-7")
        .env("NVVIZ_GPUS_PER_NODE", "2")
        .env("SLURM_PROCID", "1")
        .env("NVVIZ_BENCH_ARGS", args)
        .env("NVVIZ_GPU_PROBE", &node_probe)
        .env("CUDA_VISIBLE_DEVICES", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written: Vec<PathBuf> = std::fs::read_dir(&fleet)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    let name = written[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        name.starts_with("gpu-node-7_") && name.ends_with("_gpu-task1.json"),
        "{name}"
    );
    pinned(&results(&written[0]));
}
