//! Three shared counters, one of them wrong: run with
//! `cargo run --release --example counters` in `solutions/`.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Barrier, Mutex};
use std::thread;

const THREADS: u64 = 8;
const PER_THREAD: u64 = 1_000_000;

// ANCHOR: racy
/// Compiles, never crashes, and loses updates: another thread's increment
/// can land between this load and this store, and the store erases it.
fn increment_racy(count: &AtomicU64) {
    let now = count.load(Relaxed);
    count.store(now + 1, Relaxed);
}
// ANCHOR_END: racy

// ANCHOR: locked
/// Correct: the lock makes the read, the add and the write one step.
fn increment_locked(count: &Mutex<u64>) {
    *count.lock().expect("no thread panics while holding it") += 1;
}
// ANCHOR_END: locked

/// Runs `increment` `PER_THREAD` times on each of `THREADS` threads, which
/// wait for each other at a barrier first so that their loops overlap.
fn hammer(increment: impl Fn() + Sync) {
    let start = Barrier::new(THREADS as usize);
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                start.wait();
                for _ in 0..PER_THREAD {
                    increment();
                }
            });
        }
    });
}

fn main() {
    let expected = THREADS * PER_THREAD;

    let racy = AtomicU64::new(0);
    hammer(|| increment_racy(&racy));
    let counted = racy.into_inner();
    println!(
        "load, then store: {counted} of {expected} ({} lost)",
        expected - counted
    );

    let locked = Mutex::new(0);
    hammer(|| increment_locked(&locked));
    let counted = locked.into_inner().expect("no thread panicked");
    println!("Mutex<u64>:       {counted} of {expected}");
}
