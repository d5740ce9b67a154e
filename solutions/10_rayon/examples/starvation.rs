//! Blocking calls inside rayon's pool, and the fix: run with
//! `cargo run --release --example starvation` in `solutions/`.

use std::thread;
use std::time::{Duration, Instant};

use rayon::ThreadPoolBuilder;
use rayon::prelude::*;

/// Stands in for a download: a blocking wait.
fn download(_page: usize) -> usize {
    thread::sleep(Duration::from_millis(50));
    1_000
}

fn main() {
    let pages: Vec<usize> = (0..16).collect();

    // ANCHOR: starved
    let pool = ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool");
    let start = Instant::now();
    let bytes: usize = pool.install(|| pages.par_iter().map(|&p| download(p)).sum());
    println!("2 rayon threads:   {bytes} bytes in {:?}", start.elapsed());
    // ANCHOR_END: starved

    // ANCHOR: sized_for_waiting
    let start = Instant::now();
    let bytes: usize = thread::scope(|scope| {
        let downloads: Vec<_> = pages
            .iter()
            .map(|&p| scope.spawn(move || download(p)))
            .collect();
        downloads
            .into_iter()
            .map(|d| d.join().expect("download"))
            .sum()
    });
    println!("a thread per wait: {bytes} bytes in {:?}", start.elapsed());
    // ANCHOR_END: sized_for_waiting
}
