//! `cargo course bench atomics`: what one shared counter costs when eight
//! threads hammer it, and how many updates the racy one loses.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Barrier, Mutex};
use std::thread;

use atomics::Counter;
use testkit::bench;

const THREADS: u64 = 8;
const PER_THREAD: u64 = 1_000_000;
const RUNS: usize = 3;

/// Runs `work` once on each of `THREADS` scoped threads, started together
/// at a barrier so that they overlap (as they would in a longer program).
fn on_threads(work: impl Fn() + Sync) {
    let start = Barrier::new(THREADS as usize);
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                start.wait();
                work();
            });
        }
    });
}

fn main() {
    let group = "8 threads × 1,000,000 increments of one counter";
    let expected = THREADS * PER_THREAD;

    bench::time(
        group,
        "fetch_add (the exercise's Counter)",
        bench::median(RUNS, || {
            let counter = Counter::new();
            on_threads(|| {
                for _ in 0..PER_THREAD {
                    counter.increment();
                }
            });
            assert_eq!(counter.get(), expected);
        }),
    );

    let mut lost = Vec::new();
    bench::time(
        group,
        "load, then store (racy)",
        bench::median(RUNS, || {
            let count = AtomicU64::new(0);
            on_threads(|| {
                for _ in 0..PER_THREAD {
                    let now = count.load(Relaxed);
                    count.store(now + 1, Relaxed);
                }
            });
            lost.push(expected - count.into_inner());
        }),
    );

    bench::time(
        group,
        "Mutex<u64>",
        bench::median(RUNS, || {
            let count = Mutex::new(0_u64);
            on_threads(|| {
                for _ in 0..PER_THREAD {
                    *count.lock().expect("no thread panics holding it") += 1;
                }
            });
            assert_eq!(count.into_inner().expect("not poisoned"), expected);
        }),
    );

    bench::time(
        group,
        "each thread counts alone, sum at the end",
        bench::median(RUNS, || {
            let total = AtomicU64::new(0);
            on_threads(|| {
                let mut mine = 0_u64;
                for _ in 0..PER_THREAD {
                    mine = std::hint::black_box(mine + 1);
                }
                total.fetch_add(mine, Relaxed);
            });
            assert_eq!(total.into_inner(), expected);
        }),
    );

    lost.sort_unstable();
    bench::value(
        group,
        "racy: updates lost (median run)",
        lost[lost.len() / 2] as f64,
        "of 8,000,000",
    );
    bench::value(
        group,
        "racy: updates lost (fewest in one run)",
        lost[0] as f64,
        "of 8,000,000",
    );
    bench::note(
        group,
        "every other row counted all 8,000,000; the racy row is quicker than \
         fetch_add only because it skips the locked read-modify-write that \
         makes fetch_add correct",
    );
}
