//! `cargo course bench [topic]`: the solutions' benchmarks, in release mode,
//! with the chapter's Python companion beside them where `python3` exists.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::proc;
use crate::repo::{self, Exercise};

/// One figure a benchmark printed.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Time {
        group: String,
        label: String,
        seconds: f64,
    },
    Value {
        group: String,
        label: String,
        number: f64,
        unit: String,
    },
    Note {
        group: String,
        text: String,
    },
}

impl Line {
    fn group(&self) -> &str {
        match self {
            Line::Time { group, .. }
            | Line::Value { group, .. }
            | Line::Note { group, .. } => group,
        }
    }
}

/// Reads the lines of the format `testkit::bench` prints; ignores the rest.
pub fn parse(output: &str) -> Vec<Line> {
    output
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            match fields.as_slice() {
                ["BENCH", group, label, seconds] => Some(Line::Time {
                    group: (*group).into(),
                    label: (*label).into(),
                    seconds: seconds.parse().ok()?,
                }),
                ["VALUE", group, label, number, unit] => Some(Line::Value {
                    group: (*group).into(),
                    label: (*label).into(),
                    number: number.parse().ok()?,
                    unit: (*unit).into(),
                }),
                ["NOTE", group, text] => Some(Line::Note {
                    group: (*group).into(),
                    text: (*text).into(),
                }),
                _ => None,
            }
        })
        .collect()
}

fn format_seconds(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{seconds:.2} s")
    } else if seconds >= 0.001 {
        format!("{:.1} ms", seconds * 1e3)
    } else {
        format!("{:.1} µs", seconds * 1e6)
    }
}

/// Renders one table per group, in the order groups first appear. The first
/// timed row of a group is its baseline; every timed row shows how many times
/// faster than the baseline it ran.
pub fn render(lines: &[Line]) -> String {
    let mut groups: Vec<&str> = Vec::new();
    for line in lines {
        if !groups.contains(&line.group()) {
            groups.push(line.group());
        }
    }
    let mut out = String::new();
    for group in groups {
        let rows: Vec<&Line> = lines.iter().filter(|l| l.group() == group).collect();
        let width = rows
            .iter()
            .map(|l| match l {
                Line::Time { label, .. } | Line::Value { label, .. } => {
                    label.chars().count()
                }
                Line::Note { .. } => 0,
            })
            .max()
            .unwrap_or(0)
            .max(7);
        out.push_str(&format!("\n{group}\n"));
        let baseline = rows.iter().find_map(|l| match l {
            Line::Time { seconds, .. } => Some(*seconds),
            _ => None,
        });
        if baseline.is_some() {
            out.push_str(&format!(
                "  {:<width$}  {:>10}  {:>10}\n",
                "variant", "time", "vs first"
            ));
        }
        for row in &rows {
            match row {
                Line::Time { label, seconds, .. } => {
                    let ratio = baseline.map(|b| b / seconds).unwrap_or(1.0);
                    out.push_str(&format!(
                        "  {label:<width$}  {:>10}  {:>9.2}×\n",
                        format_seconds(*seconds),
                        ratio
                    ));
                }
                Line::Value {
                    label,
                    number,
                    unit,
                    ..
                } => {
                    out.push_str(&format!(
                        "  {label:<width$}  {number:>10.3}  {unit}\n"
                    ));
                }
                Line::Note { .. } => {}
            }
        }
        for row in &rows {
            if let Line::Note { text, .. } = row {
                out.push_str(&format!("  {text}\n"));
            }
        }
    }
    out
}

/// A line naming the machine, so a reader who shares a table says where it
/// came from.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let model = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    format!("{cores} cores available, {model}")
}

fn bench_names(exercise: &Exercise, root: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(exercise.solution_dir(root).join("benches"))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| {
                        e.file_name()
                            .to_str()
                            .and_then(|n| n.strip_suffix(".rs"))
                            .map(str::to_owned)
                    })
                    .collect()
            })
            .unwrap_or_default();
    names.sort();
    names
}

fn run_one(root: &Path, exercise: &Exercise) -> Result<Vec<Line>, String> {
    let mut lines = Vec::new();
    let names = bench_names(exercise, root);
    if names.is_empty() {
        return Err(format!("{} has no benchmark yet", exercise.package));
    }
    for name in &names {
        eprintln!(
            "building and running the {} benchmark (release mode)...",
            exercise.package
        );
        let mut command = Command::new("cargo");
        command.current_dir(root.join("solutions")).args([
            "bench",
            "--quiet",
            "-p",
            &exercise.package,
            "--bench",
            name,
        ]);
        let run = proc::run(&mut command, Duration::from_secs(1200))?;
        if !run.success() {
            return Err(format!(
                "the {} benchmark failed:\n{}",
                exercise.package, run.output
            ));
        }
        lines.extend(parse(&run.output));
    }
    let script = exercise.solution_dir(root).join("bench.py");
    if script.exists() {
        if proc::exists("python3") {
            eprintln!(
                "running the Python companion, {}...",
                relative(root, &script)
            );
            let mut command = Command::new("python3");
            command.arg(&script);
            let run = proc::run(&mut command, Duration::from_secs(600))?;
            if run.success() {
                lines.extend(parse(&run.output));
            } else {
                eprintln!(
                    "the Python companion failed; Rust figures only:\n{}",
                    run.output
                );
            }
        } else {
            eprintln!("python3 is not installed: showing the Rust figures only");
        }
    }
    Ok(lines)
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

pub fn run(root: &Path, topic: Option<&str>) -> Result<(), String> {
    let all = repo::exercises(root)?;
    let chosen: Vec<&Exercise> = match topic {
        Some(name) => vec![repo::find(&all, name)?],
        None => all
            .iter()
            .filter(|e| !bench_names(e, root).is_empty())
            .collect(),
    };
    println!("Measured on this machine: {}", machine());
    for exercise in chosen {
        let lines = run_one(root, exercise)?;
        println!("\n== Chapter {}: {} ==", exercise.number, exercise.package);
        print!("{}", render(&lines));
    }
    println!(
        "\nEach time is the median of several runs; ratios compare rows measured in this one run."
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_renders_a_table_with_speed_ups() {
        let lines = parse(
            "noise\nBENCH\tcrunch\tsequential\t2.0\nBENCH\tcrunch\tthreads\t0.5\n\
             VALUE\tcrunch\tlost updates\t12\tof 100\nNOTE\tcrunch\t4 threads\n",
        );
        assert_eq!(lines.len(), 4, "the noise line is ignored");
        let table = render(&lines);
        assert!(table.contains("1.00×"), "the baseline is 1.00×:\n{table}");
        assert!(
            table.contains("4.00×"),
            "0.5 s against 2 s is 4.00×:\n{table}"
        );
        assert!(table.contains("of 100"), "values keep their unit:\n{table}");
        assert!(table.contains("4 threads"), "notes are shown:\n{table}");
    }
}
