//! The spec for chapter 2. Run with `cargo test -p gil`.

use std::any::Any;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use gil::{Gil, allow_threads, run_steps};
use testkit::{DEADLINE, Rendezvous, spin_for, watchdog};

const MS: Duration = Duration::from_millis(1);

/// Joins every thread, then re-raises the first panic among them, so its
/// message (not a generic "a thread panicked") reaches the test output.
fn join_all(handles: Vec<JoinHandle<()>>) {
    let mut first_panic: Option<Box<dyn Any + Send>> = None;
    for handle in handles {
        if let Err(payload) = handle.join() {
            first_panic.get_or_insert(payload);
        }
    }
    if let Some(payload) = first_panic {
        std::panic::resume_unwind(payload);
    }
}

#[test]
fn run_steps_runs_every_step_once_in_order() {
    let gil = Gil::new(5 * MS);
    let mut seen = Vec::new();
    run_steps(&gil, 100, |i| seen.push(i));
    let expected: Vec<u64> = (0..100).collect();
    assert_eq!(
        seen, expected,
        "run_steps(gil, 100, step) must call step(0), step(1), …, step(99), once each"
    );
    assert_eq!(
        gil.holder(),
        None,
        "the GIL is still held after run_steps returned: let the guard go out of \
         scope (or drop it) at the end"
    );
}

#[test]
fn every_step_runs_while_its_thread_holds_the_gil() {
    let gil = Arc::new(Gil::new(MS));
    let unheld = Arc::new(AtomicU64::new(0));
    let handles = (0..4)
        .map(|_| {
            let (gil, unheld) = (Arc::clone(&gil), Arc::clone(&unheld));
            thread::spawn(move || {
                run_steps(&gil, 500, |_| {
                    if !gil.is_held_by_current_thread() {
                        unheld.fetch_add(1, SeqCst);
                    }
                });
            })
        })
        .collect();
    watchdog(
        DEADLINE,
        "four threads of 500 steps did not finish: is a thread waiting for a GIL \
         that nobody releases?",
        move || join_all(handles),
    );
    let unheld = unheld.load(SeqCst);
    assert_eq!(
        unheld, 0,
        "{unheld} of 2000 steps ran while their thread did not hold the GIL: keep the \
         guard in a named variable for as long as steps run (`let _ = gil.acquire()` \
         drops it on the same line)"
    );
}

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

/// Thread A starts a long run of steps; thread B asks for the GIL once A
/// holds it. A's steps stay slow until B has run, so if A never hands the
/// GIL over, B only runs once all of A's steps are done: that order, not a
/// clock, is the verdict.
#[test]
fn a_waiting_thread_gets_the_gil_before_the_holder_finishes() {
    const A_STEPS: u64 = 10_000;
    let gil = Arc::new(Gil::new(MS));
    let a_progress = Arc::new(AtomicU64::new(0));
    let a_progress_when_b_ran = Arc::new(AtomicU64::new(u64::MAX));
    let a_ended = Arc::new(AtomicBool::new(false));

    let a = {
        let (gil, a_progress, seen, ended) = (
            Arc::clone(&gil),
            Arc::clone(&a_progress),
            Arc::clone(&a_progress_when_b_ran),
            Arc::clone(&a_ended),
        );
        thread::spawn(move || {
            // Set on return and on panic alike, so B never waits for ever.
            let _ended = SetOnDrop(ended);
            run_steps(&gil, A_STEPS, |i| {
                a_progress.store(i + 1, SeqCst);
                if seen.load(SeqCst) == u64::MAX {
                    spin_for(Duration::from_micros(50));
                }
            });
        })
    };
    let b = {
        let (gil, a_progress, seen, a_ended) = (
            Arc::clone(&gil),
            Arc::clone(&a_progress),
            Arc::clone(&a_progress_when_b_ran),
            Arc::clone(&a_ended),
        );
        thread::spawn(move || {
            while a_progress.load(SeqCst) == 0 && !a_ended.load(SeqCst) {
                thread::yield_now();
            }
            run_steps(&gil, 1, |_| seen.store(a_progress.load(SeqCst), SeqCst));
        })
    };
    watchdog(
        DEADLINE,
        "two interpreter threads did not finish: does run_steps release the GIL when \
         it returns?",
        move || join_all(vec![a, b]),
    );
    let when = a_progress_when_b_ran.load(SeqCst);
    assert!(
        when < A_STEPS,
        "thread B never got the GIL until thread A had run all {A_STEPS} of its steps: \
         between steps, call guard.switch() when guard.should_switch() is true, so a \
         waiting thread gets its turn (thread::yield_now() gives up the core, not \
         the GIL)"
    );
}

/// Two threads run many short steps. The GIL counts each time its holder
/// let go while the other thread waited, before a whole switch interval: a
/// thread that switches only when asked does that once at most, when its
/// steps are done. Releasing around every step does it at nearly every
/// step, however fast or loaded the machine is.
#[test]
fn the_gil_changes_hands_only_when_the_switch_interval_says_so() {
    let gil = Arc::new(Gil::new(5 * MS));
    let handles = (0..2)
        .map(|_| {
            let gil = Arc::clone(&gil);
            thread::spawn(move || {
                run_steps(&gil, 2_000, |_| {
                    spin_for(Duration::from_micros(10));
                });
            })
        })
        .collect();
    watchdog(
        DEADLINE,
        "two threads of 2000 short steps did not finish: is a thread waiting for a \
         GIL that nobody releases?",
        move || join_all(handles),
    );
    let early = gil.early_releases();
    assert!(
        early <= 2,
        "the GIL was let go {early} times while the other thread waited and before \
         the 5 ms switch interval had passed: keep the guard across steps and \
         switch only when guard.should_switch() says so, not after every step or \
         every fixed number of steps"
    );
}

#[test]
fn allow_threads_releases_the_gil_and_takes_it_back() {
    let gil = Gil::new(5 * MS);
    let guard = gil.acquire();
    let (guard, value) = allow_threads(guard, || {
        assert!(
            !gil.is_held_by_current_thread(),
            "the blocking work ran while its thread still held the GIL: drop the \
             guard before calling `blocking` and acquire the GIL again only after \
             it returns, so that other threads can run meanwhile"
        );
        42
    });
    assert_eq!(
        value, 42,
        "allow_threads must return what `blocking` returned"
    );
    assert!(
        gil.is_held_by_current_thread(),
        "after allow_threads returns, its thread must hold the GIL again: acquire \
         it after `blocking` and return the new guard"
    );
    drop(guard);
}

/// Four interpreter threads each hold the GIL, then wait inside
/// `allow_threads` at a rendezvous that opens only when all four are
/// waiting at once: possible only if each released the GIL first.
#[test]
fn four_threads_wait_inside_allow_threads_at_the_same_time() {
    let gil = Arc::new(Gil::new(5 * MS));
    let meeting = Arc::new(Rendezvous::with_deadline(
        4,
        Duration::from_millis(800),
        "The others were stuck waiting for the GIL: allow_threads must release it \
         (drop the guard) before running the blocking work, and acquire it again \
         only after it returns.",
    ));
    let handles = (0..4)
        .map(|_| {
            let (gil, meeting) = (Arc::clone(&gil), Arc::clone(&meeting));
            thread::spawn(move || {
                let guard = gil.acquire();
                let (guard, ()) = allow_threads(guard, || meeting.arrive());
                drop(guard);
            })
        })
        .collect();
    watchdog(
        DEADLINE,
        "four threads waiting inside allow_threads never finished: is the GIL \
         released before the blocking work and taken again after it?",
        move || join_all(handles),
    );
}

/// The chapter's point in one test: threads that wait overlap under a GIL
/// (when they release it), threads that compute take turns. Both facts are
/// read from the order of events, not from a clock.
#[test]
fn computing_threads_take_turns_while_waiting_threads_overlap() {
    let gil = Arc::new(Gil::new(MS));
    let in_step = Arc::new(Mutex::new((0u32, 0u32)));
    let meeting = Arc::new(Rendezvous::with_deadline(
        2,
        Duration::from_millis(800),
        "A waiting thread never released the GIL: call allow_threads around the wait.",
    ));
    let handles = (0..2)
        .map(|_| {
            let (gil, in_step, meeting) =
                (Arc::clone(&gil), Arc::clone(&in_step), Arc::clone(&meeting));
            thread::spawn(move || {
                run_steps(&gil, 200, |_| {
                    let mut counts = in_step.lock().expect("no step panics");
                    counts.0 += 1;
                    counts.1 = counts.1.max(counts.0);
                    drop(counts);
                    spin_for(Duration::from_micros(20));
                    in_step.lock().expect("no step panics").0 -= 1;
                });
                let guard = gil.acquire();
                let (guard, ()) = allow_threads(guard, || meeting.arrive());
                drop(guard);
            })
        })
        .collect();
    watchdog(
        DEADLINE,
        "two interpreter threads never finished: is the GIL released when run_steps \
         returns and around allow_threads?",
        move || join_all(handles),
    );
    let most_at_once = in_step.lock().expect("no step panics").1;
    assert_eq!(
        most_at_once, 1,
        "{most_at_once} steps ran at the same moment: under a GIL only one thread \
         runs a step at a time, so hold the guard while each step runs"
    );
}
