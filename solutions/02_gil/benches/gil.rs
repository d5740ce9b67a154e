//! `cargo course bench gil`: what a global interpreter lock does to threads
//! that compute and to threads that wait.

use std::hint::black_box;
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use gil::{Gil, allow_threads, run_steps};
use testkit::bench;

const THREADS: u64 = 4;
const STEPS: u64 = 1_000_000;
const WAITS: u64 = 10;
const WAIT: Duration = Duration::from_millis(20);

/// One "bytecode" step: about a microsecond of arithmetic. `black_box`
/// keeps the optimizer from folding the loop into a formula.
fn bytecode(i: u64) -> u64 {
    let mut total = 0u64;
    for k in 0..1_000 {
        let k = black_box(k ^ i);
        total = total.wrapping_add(k.wrapping_mul(k));
    }
    total
}

// ANCHOR: on_threads
fn on_threads(work: impl Fn() + Sync) {
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(&work);
        }
    });
}
// ANCHOR_END: on_threads

fn main() {
    let cpu = "CPU-bound: 1,000,000 steps, split over 4 threads";
    bench::time(
        cpu,
        "one thread, no lock (baseline)",
        bench::median(5, || {
            (0..STEPS).for_each(|i| {
                bytecode(i);
            });
        }),
    );
    bench::time(
        cpu,
        "4 threads, no lock",
        bench::median(5, || {
            on_threads(|| {
                (0..STEPS / THREADS).for_each(|i| {
                    bytecode(i);
                })
            });
        }),
    );
    let gil = Gil::new(Duration::from_millis(5));
    bench::time(
        cpu,
        "4 threads, toy GIL (5 ms switch interval)",
        bench::median(5, || {
            on_threads(|| {
                run_steps(&gil, STEPS / THREADS, |i| {
                    bytecode(i);
                })
            });
        }),
    );
    let global = Mutex::new(());
    bench::time(
        cpu,
        "4 threads, a plain Mutex locked for each step",
        bench::median(5, || {
            on_threads(|| {
                for i in 0..STEPS / THREADS {
                    let _held = global.lock().expect("no step panics");
                    bytecode(i);
                }
            });
        }),
    );
    bench::note(
        cpu,
        &format!(
            "handovers of the toy GIL in these runs: {}",
            gil.handovers()
        ),
    );

    let io = "I/O-bound: 40 waits of 20 ms, split over 4 threads";
    bench::time(
        io,
        "one thread (baseline)",
        bench::median(3, || {
            for _ in 0..THREADS * WAITS {
                thread::sleep(WAIT);
            }
        }),
    );
    let gil = Gil::new(Duration::from_millis(5));
    bench::time(
        io,
        "4 threads, GIL released around each wait",
        bench::median(3, || {
            on_threads(|| {
                let mut guard = gil.acquire();
                for _ in 0..WAITS {
                    (guard, ()) = allow_threads(guard, || thread::sleep(WAIT));
                }
            });
        }),
    );
    bench::time(
        io,
        "4 threads, GIL held across each wait",
        bench::median(3, || {
            on_threads(|| {
                let _guard = gil.acquire();
                for _ in 0..WAITS {
                    thread::sleep(WAIT);
                }
            });
        }),
    );
}
