//! Benchmark figures in the form `cargo course bench` turns into tables.
//!
//! A benchmark is a `harness = false` bench target of a solution crate. It
//! measures each variant with [`median`] and prints one line per figure with
//! [`time`] or [`value`]. The runner groups the lines into one table per
//! group; the first timed row of each group and language is the baseline that
//! the others' speed-ups are computed against. Python companion scripts print
//! the same lines, so both languages share one table.
//!
//! The line format, tab-separated:
//!
//! ```text
//! BENCH  <group>  <label>  <seconds>
//! VALUE  <group>  <label>  <number>  <unit>
//! NOTE   <group>  <text>
//! ```

use std::time::{Duration, Instant};

/// Runs `work` `runs` times after one untimed warm-up and returns the median
/// wall time. One run lies (a page fault, a scheduler hiccup); the median of a
/// few does not, and it ignores outliers in both directions, unlike the mean.
pub fn median(runs: usize, mut work: impl FnMut()) -> Duration {
    assert!(runs > 0, "a median needs at least one run");
    work();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// Prints a timed row of the table `group`.
pub fn time(group: &str, label: &str, elapsed: Duration) {
    println!("BENCH\t{group}\t{label}\t{:.6}", elapsed.as_secs_f64());
}

/// Prints an untimed figure (a count, a size) as a row of the table `group`.
pub fn value(group: &str, label: &str, number: f64, unit: &str) {
    println!("VALUE\t{group}\t{label}\t{number}\t{unit}");
}

/// Prints a sentence shown under the table `group`.
pub fn note(group: &str, text: &str) {
    println!("NOTE\t{group}\t{text}");
}
