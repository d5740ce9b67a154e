//! `cargo course bench scoped`: the articles' CPU-bound `crunch`, forty
//! million squares in all, on one thread and on one scoped thread per core.

use std::hint::black_box;
use std::thread;

use scoped::{crunch, map_chunks};
use testkit::bench;

/// The articles run `crunch(10_000_000)` four times: forty million squares.
const SQUARES: u64 = 40_000_000;

/// One chunk's work: crunch each job in it and add up the results.
fn crunch_all(jobs: &[u64]) -> u64 {
    jobs.iter().map(|&n| crunch(n)).fold(0, u64::wrapping_add)
}

fn main() {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    // Four equal jobs per core, so that every thread gets the same share.
    let jobs = vec![SQUARES / (4 * cores as u64); 4 * cores];

    let group = "crunch: 40,000,000 squares, Rust";
    bench::time(
        group,
        "one thread",
        bench::median(9, || {
            black_box(crunch_all(&jobs));
        }),
    );
    bench::time(
        group,
        &format!("map_chunks, {cores} scoped threads"),
        bench::median(9, || {
            let partial = map_chunks(&jobs, cores, crunch_all);
            black_box(partial.into_iter().fold(0, u64::wrapping_add));
        }),
    );
    bench::time(
        group,
        &format!("{cores} scoped threads, each joined before the next"),
        bench::median(9, || {
            let chunk_len = jobs.len().div_ceil(cores);
            thread::scope(|s| {
                for chunk in jobs.chunks(chunk_len) {
                    let handle = s.spawn(move || crunch_all(chunk));
                    black_box(handle.join().expect("crunch does not panic"));
                }
            });
        }),
    );
    bench::note(
        group,
        &format!(
            "{cores} cores available: the target for map_chunks is at least {:.1}× \
             (0.9 × cores)",
            0.9 * cores as f64
        ),
    );
}
