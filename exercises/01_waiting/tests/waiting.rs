//! The spec for chapter 1. Run with `cargo test -p waiting`.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::thread;
use std::time::Duration;

use cpu_time::ThreadTime;
use testkit::{DEADLINE, spin_for, watchdog};
use waiting::{Bound, Measured, classify, measure, slow_io};

const MS: Duration = Duration::from_millis(1);

#[test]
fn measure_returns_the_value_and_runs_the_work_once() {
    let calls = AtomicUsize::new(0);
    let measured = measure(|| {
        calls.fetch_add(1, Relaxed);
        "forty-two"
    });
    assert_eq!(
        calls.load(Relaxed),
        1,
        "measure ran the work {} times; run it exactly once (a warm-up run would \
         repeat its side effects)",
        calls.load(Relaxed)
    );
    assert_eq!(
        measured.value, "forty-two",
        "measure must hand back the value the work returned"
    );
}

#[test]
fn wall_time_covers_the_whole_wait() {
    let measured = measure(|| slow_io(120 * MS));
    assert!(
        measured.wall >= 120 * MS,
        "a 120 ms wait measured only {:?} of wall time: read the clock once before \
         running the work and once after it",
        measured.wall
    );
    assert!(
        measured.wall < 2_000 * MS,
        "a 120 ms wait measured {:?} of wall time: start the clock right before the \
         work, not earlier",
        measured.wall
    );
}

#[test]
fn waiting_uses_almost_no_cpu_time() {
    let measured = measure(|| slow_io(150 * MS));
    assert!(
        measured.cpu < 30 * MS,
        "a thread that sleeps for 150 ms should spend almost no time on a CPU, but \
         measure reported {:?}: CPU time is not wall time, read it from \
         cpu_time::ThreadTime",
        measured.cpu
    );
}

/// Busy-works until this thread's own CPU clock shows `cpu`, however long
/// that takes on the wall: the amount of work no longer depends on how busy
/// the machine is.
fn compute_for(cpu: Duration) {
    let start = ThreadTime::now();
    while start.elapsed() < cpu {
        spin_for(MS);
    }
}

#[test]
fn working_uses_cpu_time() {
    let measured = measure(|| compute_for(60 * MS));
    assert!(
        measured.cpu >= 60 * MS,
        "the work kept this thread on a CPU for 60 ms, but measure reported only \
         {:?} of CPU time: take ThreadTime::now() before the work and .elapsed() \
         after it",
        measured.cpu
    );
    assert!(
        measured.cpu <= measured.wall + 10 * MS,
        "one thread cannot spend more time on a CPU ({:?}) than passed on the wall \
         ({:?}): the CPU clock must count only the calling thread",
        measured.cpu,
        measured.wall
    );
}

/// Two helper threads burn 80 ms of CPU each while the measured work waits
/// for them. The waiting thread itself uses almost none, so a CPU clock that
/// counts the whole process (`ProcessTime`) reports the helpers' work too.
/// The helpers measure their own CPU time, so the load on the machine does
/// not change the verdict: they stop after 80 ms on a CPU, however long that
/// takes on the wall.
#[test]
fn cpu_time_counts_only_the_calling_thread() {
    let cpu = watchdog(
        DEADLINE,
        "the busy helper threads never finished their 80 ms of CPU work",
        || {
            let finished = Arc::new(AtomicUsize::new(0));
            let helpers: Vec<_> = (0..2)
                .map(|_| {
                    let finished = Arc::clone(&finished);
                    thread::spawn(move || {
                        compute_for(80 * MS);
                        finished.fetch_add(1, SeqCst);
                    })
                })
                .collect();
            let measured = measure(|| {
                while finished.load(SeqCst) < 2 {
                    thread::sleep(MS);
                }
            });
            for helper in helpers {
                helper.join().expect("a busy helper thread panicked");
            }
            measured.cpu
        },
    );
    assert!(
        cpu < 40 * MS,
        "the measured thread only waited, yet measure reported {cpu:?} of CPU time, \
         about what two other busy threads used meanwhile: use ThreadTime (this \
         thread), not ProcessTime (every thread of the process)"
    );
}

#[test]
fn a_wait_is_io_bound() {
    let verdict = classify(&measure(|| slow_io(100 * MS)));
    assert_eq!(
        verdict,
        Bound::Io,
        "sleeping 100 ms is the model of waiting on I/O; classify said {verdict:?}"
    );
}

fn measured(cpu_ms: u64, wall_ms: u64) -> Measured<()> {
    Measured {
        value: (),
        wall: Duration::from_millis(wall_ms),
        cpu: Duration::from_millis(cpu_ms),
    }
}

#[test]
fn classify_compares_the_cpu_share_with_the_threshold() {
    // (cpu ms, wall ms, expected): shares around CPU_BOUND_SHARE = 0.2.
    let cases = [
        (900, 1_000, Bound::Cpu),
        (250, 1_000, Bound::Cpu),
        (200, 1_000, Bound::Cpu),
        (150, 1_000, Bound::Io),
        (10, 1_000, Bound::Io),
        // Several threads of one process can use more CPU than wall time.
        (2_000, 1_000, Bound::Cpu),
    ];
    for (cpu, wall, expected) in cases {
        let verdict = classify(&measured(cpu, wall));
        assert_eq!(
            verdict,
            expected,
            "{cpu} ms of CPU in {wall} ms of wall time is a share of {share}, so it \
             is {expected:?}-bound, but classify said {verdict:?}: compare cpu / wall \
             with CPU_BOUND_SHARE (at or above it means CPU-bound)",
            share = cpu as f64 / wall as f64
        );
    }
}

/// Real measurements of short work are fractions of a millisecond, so the
/// share must be computed from the exact durations.
#[test]
fn classify_works_below_a_millisecond() {
    // (cpu µs, wall µs, expected)
    let cases = [(450, 500, Bound::Cpu), (20, 900, Bound::Io)];
    for (cpu, wall, expected) in cases {
        let verdict = classify(&Measured {
            value: (),
            wall: Duration::from_micros(wall),
            cpu: Duration::from_micros(cpu),
        });
        assert_eq!(
            verdict, expected,
            "{cpu} µs of CPU in {wall} µs of wall time is {expected:?}-bound, but \
             classify said {verdict:?}: whole milliseconds round both to 0, so take \
             the share from as_secs_f64(), not as_millis()"
        );
    }
}

#[test]
fn no_time_at_all_is_not_cpu_bound() {
    let verdict = classify(&measured(0, 0));
    assert_eq!(
        verdict,
        Bound::Io,
        "0 ms of CPU in 0 ms of wall time divides zero by zero; the spec calls that \
         I/O-bound, but classify said {verdict:?}: check for a zero wall time first"
    );
    // Two clocks read one after the other can disagree by a tick: some CPU
    // time in no wall time at all. Dividing by that zero gives infinity.
    let verdict = classify(&measured(1, 0));
    assert_eq!(
        verdict,
        Bound::Io,
        "1 ms of CPU in 0 ms of wall time: the spec calls any measurement without \
         wall time I/O-bound, but classify said {verdict:?} (dividing by zero gave \
         infinity): check for a zero wall time first, before dividing"
    );
}
