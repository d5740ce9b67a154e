//! `cargo course timeline gil`: what four threads do under the toy GIL,
//! drawn from a real run. Computing threads take turns, one switch interval
//! at a time; waiting threads release the GIL and their waits overlap.

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use gil::{Gil, allow_threads};
use timeline::Figure;
use tracing::info_span;

const THREADS: usize = 4;
const SWITCH: Duration = Duration::from_millis(5);

/// About a microsecond of arithmetic, a stand-in for one bytecode.
fn bytecode(i: u64) -> u64 {
    let mut total = 0u64;
    for k in 0..1_000 {
        let k = black_box(k ^ i);
        total = total.wrapping_add(k.wrapping_mul(k));
    }
    total
}

/// Computes for `cpu` of processor time, the way `gil::run_steps` does, with
/// a span for each stretch of running and each wait for the GIL.
fn compute(gil: &Gil, cpu: Duration) {
    let waiting = info_span!("waiting for the GIL").entered();
    let mut guard = gil.acquire();
    drop(waiting);
    let mut running = info_span!("running bytecode").entered();
    let mut ran = Duration::ZERO;
    let mut i = 0;
    while ran < cpu {
        if guard.should_switch() {
            drop(running);
            let waiting = info_span!("waiting for the GIL").entered();
            guard.switch();
            drop(waiting);
            running = info_span!("running bytecode").entered();
        }
        let start = Instant::now();
        for _ in 0..100 {
            black_box(bytecode(i));
            i += 1;
        }
        ran += start.elapsed();
    }
}

/// Three rounds of a little computing and a 25 ms wait with the GIL released,
/// through the solution's `allow_threads`.
fn fetch(gil: &Gil) {
    let waiting = info_span!("waiting for the GIL").entered();
    let mut guard = gil.acquire();
    drop(waiting);
    for _ in 0..3 {
        {
            let _running = info_span!("running bytecode").entered();
            let start = Instant::now();
            let mut i = 0;
            while start.elapsed() < Duration::from_millis(2) {
                black_box(bytecode(i));
                i += 1;
            }
        }
        let (back, ()) = allow_threads(guard, || {
            let _io = info_span!("blocked on I/O, GIL released").entered();
            thread::sleep(Duration::from_millis(25));
        });
        guard = back;
    }
}

fn on_threads(work: impl Fn() + Sync) {
    thread::scope(|s| {
        for t in 1..=THREADS {
            thread::Builder::new()
                .name(format!("thread {t}"))
                .spawn_scoped(s, &work)
                .expect("a thread can be started");
        }
    });
}

fn main() -> std::io::Result<()> {
    let command = "cargo course timeline gil";

    let gil = Gil::new(SWITCH);
    let ((), cpu) =
        timeline::record(|| on_threads(|| compute(&gil, Duration::from_millis(30))));
    cpu.write(&Figure {
        name: "gil-cpu",
        title: "Four computing threads under the toy GIL (5 ms switch interval)",
        command,
        axis: None,
    })?;

    let gil = Gil::new(SWITCH);
    let ((), io) = timeline::record(|| on_threads(|| fetch(&gil)));
    io.write(&Figure {
        name: "gil-io",
        title: "Four waiting threads under the toy GIL, released around each wait",
        command,
        axis: None,
    })?;
    Ok(())
}
