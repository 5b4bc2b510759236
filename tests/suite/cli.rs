//! The CLI conventions users expect: shell completions and a man page,
//! generated from the same definition the parser uses.

use crate::common::*;

#[test]
fn completions_generate_for_every_common_shell_and_bash_parses_them() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = nvviz().args(["completions", shell]).output().unwrap();
        assert_exit(&out, 0);
        let text = String::from_utf8_lossy(&out.stdout);
        for sub in ["doctor", "bench", "render", "report", "compare"] {
            assert!(text.contains(sub), "{shell}: {sub} missing");
        }
        assert!(text.contains("export-json"), "{shell}");
        if shell == "bash" {
            let path = dir.path().join("nvviz-bench.bash");
            std::fs::write(&path, text.as_bytes()).unwrap();
            let syntax = std::process::Command::new("bash")
                .arg("-n")
                .arg(&path)
                .status()
                .unwrap();
            assert!(syntax.success(), "bash -n on the bash completion");
        }
    }
    assert_exit(&nvviz().args(["completions", "tcsh"]).output().unwrap(), 2);
}

#[test]
fn the_man_page_is_roff_naming_every_subcommand() {
    let out = nvviz().arg("man").output().unwrap();
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(".TH nvviz-bench 1"), "{text}");
    for sub in [
        "doctor",
        "bench",
        "render",
        "report",
        "compare",
        "completions",
        "man",
    ] {
        assert!(text.contains(sub), "{sub} missing from the man page");
        // The page each SEE ALSO names exists, with the subcommand's options.
        let page = nvviz().args(["man", sub]).output().unwrap();
        assert_exit(&page, 0);
        let page = String::from_utf8_lossy(&page.stdout);
        assert!(page.contains(&format!(".TH nvviz-bench-{sub} 1")), "{page}");
        assert!(
            text.contains(&format!("nvviz\\-bench\\-{sub}(1)")),
            "{text}"
        );
    }
    // Every page SEE ALSO names is one of those.
    let named = text.matches("(1)").count();
    assert_eq!(named, 7, "{text}");
    let bench = nvviz().args(["man", "bench"]).output().unwrap();
    let bench = String::from_utf8_lossy(&bench.stdout);
    for option in ["\\-\\-modes", "\\-\\-export\\-json", "\\-\\-interleave"] {
        assert!(bench.contains(option), "{option} not in the bench page");
    }
}

/// Off a terminal, tables take their width from COLUMNS and wrap their cells.
#[test]
fn tables_wrap_to_columns() {
    let out = tiny_bench("1").env("COLUMNS", "60").output().unwrap();
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    let table: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with(['┌', '│', '├', '└', '╞']))
        .collect();
    assert!(!table.is_empty(), "{text}");
    for line in table {
        assert!(
            line.chars().count() <= 60,
            "{} wide: {line}",
            line.chars().count()
        );
    }
}

fn help(args: &[&str]) -> String {
    let out = nvviz().args(args).arg("--help").output().unwrap();
    assert_exit(&out, 0);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn help_text_matches_what_each_command_accepts() {
    // render takes the four visualizers, the GPU-resident path and
    // encode-only (the Python writer's case), and lists exactly those.
    let render = help(&["render"]);
    let values = render
        .lines()
        .skip_while(|l| !l.contains("--mode"))
        .take_while(|l| !l.trim_start().starts_with("--codec"))
        .collect::<Vec<_>>()
        .join("\n");
    for mode in [
        "nvenc",
        "fast",
        "original",
        "native",
        "gpu-resident",
        "encode-only",
    ] {
        assert!(
            values.contains(mode),
            "{mode} not in render --mode:\n{values}"
        );
    }
    for other in [
        "overlay-only",
        "encode-to-null",
        "encoder-ceiling",
        "pipe-ceiling",
    ] {
        assert!(!values.contains(other), "render lists {other}:\n{values}");
    }
    let refused = nvviz()
        .args(["render", "--mode", "overlay-only", "-o", "x.mp4"])
        .output()
        .unwrap();
    assert_exit(&refused, 2);
    // --frames says what it defaults to for a video and for the embedded clip.
    assert!(render.contains("the whole --video"), "{render}");
    // doctor --require lists its values.
    assert!(help(&["doctor"]).contains("[possible values: nvenc, ffmpeg, opencv]"));
    // -v only where it does something.
    for with in [&["doctor"][..], &["bench"], &["render"]] {
        assert!(help(with).contains("--verbose"), "{with:?}");
    }
    for without in [&["report"][..], &["compare"], &["completions"], &["man"]] {
        assert!(!help(without).contains("--verbose"), "{without:?}");
    }
}

/// A codec that is neither a codec nor an encoder is refused by the parser,
/// by `render` as by `bench` (render took any name and failed at its trial),
/// before anything runs or is written.
#[test]
fn an_unknown_codec_is_refused_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.mp4");
    for args in [
        vec![
            "bench",
            "--codecs",
            "h264,vp9",
            "--frames",
            "5",
            "--export-json",
        ],
        vec!["render", "--codec", "vp9", "--frames", "5", "-o"],
    ] {
        let output = nvviz().args(&args).arg(&out).output().unwrap();
        assert_exit(&output, 2);
        let err = String::from_utf8_lossy(&output.stderr);
        assert!(
            err.contains("'vp9' is not h264, hevc, av1 or an encoder name"),
            "{err}"
        );
        assert!(!out.exists());
    }
}

/// Every place a shell script runs the tool names a subcommand first: the CLI
/// has no options before it (`"$bin" -v doctor` failed on a lent machine, its
/// doctor table lost). Read from the scripts themselves, so a new call is
/// checked the day it is written.
#[test]
fn every_script_calls_the_tool_with_a_subcommand_first() {
    use clap::CommandFactory;
    let cli = nvviz_bench::cli::Cli::command();
    let known: Vec<&str> = cli.get_subcommands().map(|s| s.get_name()).collect();
    let callers = [
        "\"$bin\" ",
        "$bin ",
        "\"$NVVIZ_BIN\" ",
        "nvviz-bench ",
        "$b ",
    ];
    let mut calls = 0;
    for dir in ["scripts", "lab/scripts", ".ci"] {
        for entry in std::fs::read_dir(repo().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if !text.starts_with("#!/usr/bin/env bash") && !text.starts_with("#!/bin/sh") {
                continue;
            }
            for (n, line) in text.lines().enumerate() {
                let code = line.split(" #").next().unwrap_or("").trim_start();
                if code.starts_with('#') {
                    continue;
                }
                for caller in callers {
                    let Some(at) = code.find(caller) else {
                        continue;
                    };
                    // A call starts a command: `nvviz-bench` in a path, a word or
                    // a sentence (nvviz-bench.tar.gz, "which nvviz-bench needs") is not one.
                    let before = code[..at].trim_end();
                    let starts_command = before.is_empty()
                        || before.ends_with(['(', '|', ';', '&', '{', '!'])
                        || ["if", "then", "do", "exec", "time", "timeout"]
                            .iter()
                            .any(|k| before.split_whitespace().last() == Some(k));
                    if !starts_command {
                        continue;
                    }
                    let word = code[at + caller.len()..]
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .trim_end_matches([';', ')', '|', '&']);
                    // An array or variable of arguments: made elsewhere in the script.
                    if word.starts_with(['$', '"']) {
                        continue;
                    }
                    calls += 1;
                    assert!(
                        known.contains(&word) || ["--version", "--help"].contains(&word),
                        "{}:{}: `{}` calls the tool with `{word}` first (a subcommand must come first)",
                        path.display(),
                        n + 1,
                        code.trim()
                    );
                }
            }
        }
    }
    assert!(calls > 10, "only {calls} calls found: the scan lost them");
}
