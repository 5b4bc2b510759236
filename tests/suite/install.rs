//! The README's set-up commands on a machine whose shell has no Rust on PATH
//! (issue: `scripts/install-deps.sh && cargo test` failed with "cargo: command
//! not found" right after rustup installed Rust), and the distribution's too-old
//! Rust refused at once. Runs the real scripts with HOME in a temp dir and PATH
//! without ~/.cargo/bin; curl, apt-get and cargo are stand-ins where reaching
//! the network or installing Debian's Rust 1.63 would change this machine.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A shell as a new user's: HOME empty but for what the test puts there, PATH
/// without any cargo.
fn clean_shell(home: &Path, extra_path: Option<&Path>) -> Command {
    let mut cmd = Command::new("bash");
    let path = match extra_path {
        Some(p) => format!("{}:/usr/sbin:/usr/bin:/sbin:/bin", p.display()),
        None => "/usr/sbin:/usr/bin:/sbin:/bin".into(),
    };
    cmd.current_dir(repo())
        .env_clear()
        .env("HOME", home)
        .env("PATH", path);
    cmd
}

#[test]
fn the_readme_test_command_finds_the_cargo_rustup_just_installed() {
    let home = tempfile::tempdir().unwrap();
    // What rustup leaves: ~/.cargo/bin and an env file that puts it on PATH.
    let bin = home.path().join(".cargo/bin");
    std::fs::create_dir_all(&bin).unwrap();
    script(
        &bin.join("cargo"),
        r#"case "$1" in --version) echo "cargo 1.95.0";; *) echo "cargo ran: $*";; esac"#,
    );
    std::fs::write(
        home.path().join(".cargo/env"),
        "export PATH=\"$HOME/.cargo/bin:$PATH\"\n",
    )
    .unwrap();
    let out = clean_shell(home.path(), None)
        .args(["-c", "command -v cargo || echo 'no cargo on PATH'; scripts/install-deps.sh && scripts/cargo test --quiet"])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("no cargo on PATH"), "{text}");
    assert!(
        text.contains("Rust already installed: cargo 1.95.0"),
        "{text}"
    );
    assert!(text.contains("cargo ran: test --quiet"), "{text}");
}

#[test]
fn without_rustup_the_distributions_old_rust_is_refused_at_once() {
    let home = tempfile::tempdir().unwrap();
    let fake = home.path().join("fake-bin");
    std::fs::create_dir(&fake).unwrap();
    // rustup's site unreachable; apt-get "installs" Debian 12's cargo 1.63.
    script(
        &fake.join("curl"),
        "echo 'curl: (6) Could not resolve host' >&2; exit 6",
    );
    script(
        &fake.join("apt-get"),
        &format!(
            r#"case "$*" in *cargo*) printf '#!/bin/sh\necho "cargo 1.63.0"\n' > {0}/cargo; chmod +x {0}/cargo;; esac; exit 0"#,
            fake.display()
        ),
    );
    let out = clean_shell(home.path(), Some(&fake))
        .args(["-c", "scripts/install-deps.sh && scripts/cargo test"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cargo 1.63.0 is older than Rust 1.80, which nvviz-bench needs"),
        "{err}"
    );
    assert!(err.contains("rustup"), "{err}");
}
