//! `cargo course timeline scoped`: the same CPU-bound job (`crunch` over 40
//! numbers) through the solution's `map_chunks`, first on one thread, then
//! with one chunk per core, drawn from real runs on one time axis. Each lane
//! is a chunk's scoped thread; the `main` lane waits in the scope.

use std::thread;

use timeline::Figure;
use tracing::info_span;

use scoped::{crunch, map_chunks};

/// Forty numbers of equal weight, so that equal chunks take equal time.
const DATA: [u64; 40] = [9_000_000; 40];

/// One chunk's work, on a lane named after the chunk's place in the data.
fn work(chunk: &[u64], chunk_len: usize) -> u64 {
    let k = chunk.as_ptr().addr().saturating_sub(DATA.as_ptr().addr())
        / size_of::<u64>()
        / chunk_len;
    let _running =
        info_span!("thread: crunching its chunk", lane = %format!("chunk {k}"))
            .entered();
    chunk.iter().map(|&n| crunch(n)).fold(0, u64::wrapping_add)
}

fn run(threads: usize) -> u64 {
    let chunk_len = DATA.len().div_ceil(threads);
    let _waiting = info_span!("main: waiting for the scope to end").entered();
    map_chunks(&DATA, threads, |chunk| work(chunk, chunk_len))
        .into_iter()
        .fold(0, u64::wrapping_add)
}

fn main() -> std::io::Result<()> {
    let command = "cargo course timeline scoped";
    let cores = thread::available_parallelism().map_or(1, |n| n.get());

    let (one, alone) = timeline::record(|| run(1));
    alone.write(&Figure {
        name: "scoped-one_thread",
        title: "map_chunks with 1 thread: all 40 numbers in one chunk",
        command,
        axis: None,
    })?;

    let (many, per_core) = timeline::record(|| run(cores));
    assert_eq!(one, many, "the chunks add up to the same result");
    let title = format!("map_chunks with {cores} threads: one chunk per core");
    per_core.write(&Figure {
        name: "scoped-per_core",
        title: &title,
        command,
        // The same axis as the first figure, so the two compare at a glance.
        axis: Some(alone.span()),
    })?;
    Ok(())
}
