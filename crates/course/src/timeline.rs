//! `cargo course timeline <topic>`: runs a chapter's demonstration with
//! recording on (`solutions/NN_topic/examples/timeline.rs`, built on the
//! `timeline` crate) and says where its SVG and Chrome trace landed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::proc;
use crate::repo;

/// Where timelines go unless `--out` says otherwise.
pub fn default_out(root: &Path) -> PathBuf {
    root.join("target/course/timelines")
}

pub fn run(root: &Path, topic: &str, out: Option<&Path>) -> Result<(), String> {
    let exercises = repo::exercises(root)?;
    let exercise = repo::find(&exercises, topic)?;
    let demo = exercise.solution_dir(root).join("examples/timeline.rs");
    if !demo.exists() {
        return Err(format!(
            "chapter {} ({}) has no timeline demonstration yet",
            exercise.number, exercise.package
        ));
    }
    let out = match out {
        Some(dir) if dir.is_absolute() => dir.to_path_buf(),
        Some(dir) => std::env::current_dir()
            .map_err(|e| format!("cannot read the current folder: {e}"))?
            .join(dir),
        None => default_out(root),
    };
    fs::create_dir_all(&out)
        .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    eprintln!(
        "building and running the {} timeline demonstration (release mode)...",
        exercise.package
    );
    let started = SystemTime::now();
    let mut command = Command::new("cargo");
    command.current_dir(root).args([
        "run",
        "--quiet",
        "--release",
        "--manifest-path",
        "solutions/Cargo.toml",
        "-p",
        &exercise.package,
        "--example",
        "timeline",
        "--",
    ]);
    command.arg(&out);
    let outcome = proc::run(&mut command, Duration::from_secs(600))?;
    if !outcome.success() {
        return Err(format!(
            "the {} timeline demonstration failed:\n{}",
            exercise.package, outcome.output
        ));
    }
    let mut written: Vec<PathBuf> = fs::read_dir(&out)
        .map_err(|e| format!("cannot read {}: {e}", out.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            let ours = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(exercise.package.as_str())
                    && (n.ends_with(".svg") || n.ends_with(".json"))
            });
            let fresh = fs::metadata(path)
                .and_then(|m| m.modified())
                .is_ok_and(|modified| modified >= started);
            ours && fresh
        })
        .collect();
    // Each figure's SVG first, then its trace.
    written.sort_by_key(|p| {
        (
            p.file_stem().map(|s| s.to_owned()),
            p.extension().is_some_and(|e| e != "svg"),
        )
    });
    if written.is_empty() {
        return Err(format!(
            "the {} demonstration ran but wrote no timeline into {}",
            exercise.package,
            out.display()
        ));
    }
    println!(
        "Timelines of chapter {} ({}):",
        exercise.number, exercise.package
    );
    for path in &written {
        let what = if path.extension().is_some_and(|e| e == "svg") {
            "SVG, open it in a browser"
        } else {
            "trace, open it in https://ui.perfetto.dev or chrome://tracing"
        };
        println!("  {}  ({what})", path.display());
    }
    Ok(())
}
