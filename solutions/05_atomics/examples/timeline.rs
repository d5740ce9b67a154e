//! `cargo course timeline atomics`: what sharing a counter costs, drawn from
//! a real run. One thread per core (two to four) makes the same number of
//! increments four ways in turn: `fetch_add` on the solution's `Counter`, the
//! racy load-then-store, a `Mutex<u64>`, and counting alone with one
//! `fetch_add` at the end. A barrier between the ways lines them up, so the
//! widths of the bars compare their costs.

use std::hint::black_box;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Barrier, Mutex};
use std::thread;

use atomics::Counter;
use timeline::Figure;
use tracing::info_span;

const PER_THREAD: u64 = 3_000_000;

/// One thread's part of the run: the four ways in turn, each after a wait at
/// the barrier, so that all threads start each way together.
fn count_four_ways(
    barrier: &Barrier,
    counter: &Counter,
    racy: &AtomicU64,
    locked: &Mutex<u64>,
    total: &AtomicU64,
) {
    let between = || {
        let _waiting = info_span!("waiting for the others (Barrier)").entered();
        barrier.wait();
    };
    between();
    {
        let _phase = info_span!("fetch_add on a shared Counter").entered();
        for _ in 0..PER_THREAD {
            counter.increment();
        }
    }
    between();
    {
        let _phase = info_span!("load, then store (racy)").entered();
        for _ in 0..PER_THREAD {
            // The mistake from the chapter: another thread's increment can
            // land between this load and this store, and the store erases it.
            let now = racy.load(Relaxed);
            racy.store(now + 1, Relaxed);
        }
    }
    between();
    {
        let _phase = info_span!("Mutex<u64>: lock, add, unlock").entered();
        for _ in 0..PER_THREAD {
            *locked.lock().expect("no thread panics holding it") += 1;
        }
    }
    between();
    {
        let _phase =
            info_span!("counting alone, one fetch_add at the end").entered();
        let mut mine = 0_u64;
        for _ in 0..PER_THREAD {
            // black_box keeps the loop a loop instead of `mine = PER_THREAD`.
            mine = black_box(mine + 1);
        }
        // Relaxed: a lone total; the scope's end orders it before the read.
        total.fetch_add(mine, Relaxed);
    }
}

fn main() -> std::io::Result<()> {
    // One thread per core, so that they truly run at once; at least two, so
    // that there is something to share, and at most four, to keep it short.
    let threads = thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));

    let counter = Counter::new();
    let racy = AtomicU64::new(0);
    let locked = Mutex::new(0_u64);
    let total = AtomicU64::new(0);
    let ((), recording) = timeline::record(|| {
        let barrier = Barrier::new(threads);
        thread::scope(|s| {
            for t in 1..=threads {
                let (barrier, counter, racy, locked, total) =
                    (&barrier, &counter, &racy, &locked, &total);
                thread::Builder::new()
                    .name(format!("thread {t}"))
                    .spawn_scoped(s, move || {
                        count_four_ways(barrier, counter, racy, locked, total);
                    })
                    .expect("a thread can be started");
            }
        });
    });

    let expected = threads as u64 * PER_THREAD;
    assert_eq!(counter.get(), expected, "fetch_add loses no update");
    let locked = locked.into_inner().expect("no thread panicked");
    assert_eq!(locked, expected, "the Mutex loses no update");
    assert_eq!(total.into_inner(), expected, "counting alone loses nothing");
    let lost = expected - racy.into_inner();
    println!(
        "{threads} threads × {} increments, four ways",
        thousands(PER_THREAD)
    );
    for name in recording.kinds() {
        let longest = recording
            .slices
            .iter()
            .filter(|slice| slice.name == name)
            .map(|slice| slice.end - slice.start)
            .max()
            .unwrap_or_default();
        println!("  {name}: {:.2} ms", longest.as_secs_f64() * 1e3);
    }
    println!("  the racy way lost {lost} of {expected} updates");

    let title = format!(
        "{threads} threads × {} increments each, four ways; the racy way lost {} \
         of {}",
        thousands(PER_THREAD),
        thousands(lost),
        thousands(expected),
    );
    recording.write(&Figure {
        name: "atomics",
        title: &title,
        command: "cargo course timeline atomics",
        axis: None,
    })?;
    Ok(())
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
