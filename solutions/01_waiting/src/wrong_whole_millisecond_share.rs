//! Chapter 1, [Waiting or working](../../../src/01_waiting.md): measure a piece
//! of work by wall time and by CPU time, and tell from the two whether it was
//! waiting or working.
//!
//! Mistake: the share computed from whole milliseconds as f64, so work shorter than a millisecond has no share at all.
//! Expect: whole milliseconds

use std::time::{Duration, Instant};

use cpu_time::ThreadTime;

/// The share of wall time a thread must spend on a CPU for its work to count
/// as CPU-bound. A thread that waits uses almost none; a thread that computes
/// uses nearly all of it alone, and still over a fifth while it shares a core
/// with three other busy threads.
pub const CPU_BOUND_SHARE: f64 = 0.2;

/// What [`measure`] found out about a piece of work.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured<T> {
    /// What the work returned.
    pub value: T,
    /// Time on the wall clock from start to end, waiting included.
    pub wall: Duration,
    /// Time the calling thread spent running on a CPU.
    pub cpu: Duration,
}

/// Whether a piece of work spent its time waiting or working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// It kept a CPU busy: more threads only help if more cores run them.
    Cpu,
    /// It mostly waited (a sleep, a socket, a disk): overlapping waits helps.
    Io,
}

/// Runs `work` once and returns its value with the wall time and the calling
/// thread's CPU time it took: Python's `time.perf_counter()` and
/// `time.thread_time()` around a call, as a function instead of a decorator.
pub fn measure<T>(work: impl FnOnce() -> T) -> Measured<T> {
    // ANCHOR: measure
    let wall = Instant::now();
    let cpu = ThreadTime::now();
    let value = work();
    Measured {
        value,
        cpu: cpu.elapsed(),
        wall: wall.elapsed(),
    }
    // ANCHOR_END: measure
}

/// Classifies a measurement: CPU-bound when the CPU time is at least
/// [`CPU_BOUND_SHARE`] of the wall time, I/O-bound otherwise (and I/O-bound
/// when no wall time passed at all).
pub fn classify<T>(measured: &Measured<T>) -> Bound {
    // ANCHOR: classify
    let wall = measured.wall.as_millis() as f64;
    if wall == 0.0 {
        return Bound::Io;
    }
    if measured.cpu.as_millis() as f64 / wall >= CPU_BOUND_SHARE {
        Bound::Cpu
    } else {
        Bound::Io
    }
    // ANCHOR_END: classify
}

/// CPU-bound work: the sum of the squares below `n` (the articles' `crunch`).
///
/// `black_box` stops the compiler from replacing the loop with the closed
/// formula `(n-1)n(2n-1)/6`, which would turn a benchmark into a no-op.
pub fn crunch(n: u64) -> u64 {
    let mut total: u64 = 0;
    for i in 0..n {
        let i = std::hint::black_box(i);
        total = total.wrapping_add(i.wrapping_mul(i));
    }
    total
}

/// I/O-bound work: waiting, as a network call or a disk read would.
pub fn slow_io(duration: Duration) {
    std::thread::sleep(duration);
}
