//! The spec for chapter 9. Run with `cargo test -p pool`.
//!
//! Each test runs under a watchdog, so a pool that deadlocks fails in seconds
//! with a message instead of hanging. Tasks that are meant to panic say
//! "deliberate panic"; those panics are kept out of the test output.

use std::cell::RefCell;
use std::panic;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, Once, PoisonError};
use std::thread::{self, ThreadId};
use std::time::Duration;

use pool::{TaskError, ThreadPool};
use testkit::{InFlight, Rendezvous, ThreadLog, ThreadWatch, eventually, watchdog};

const MS: Duration = Duration::from_millis(1);

/// Long enough that a wrong pool whose tasks wait at a rendezvous one after
/// another still reaches its own failure message before the watchdog fires.
const WATCH: Duration = Duration::from_secs(5);

/// How long a task waits for its partners before it reports that they were
/// not running alongside it.
const TOGETHER: Duration = Duration::from_secs(1);

const SIDE_BY_SIDE: &str = "A pool of N workers runs N tasks side by side. Does \
     submit run the task itself instead of queueing it? Or does a worker hold the \
     queue's lock while it runs the job (in `while let Ok(job) = \
     rx.lock().expect(\"…\").recv()` the guard lives for the whole loop body)? \
     Take the job in a `let` statement of its own, then run it.";

const DELIBERATE: &str = "deliberate panic";

/// Every panic that was not deliberate, with the thread it happened on, so
/// that a test can ask whether its pool's workers panicked.
static PANICKED: Mutex<Vec<(ThreadId, String)>> = Mutex::new(Vec::new());

/// Keeps the panics the tests cause on purpose out of the output, so that a
/// failing test shows its own message and not a thousand others. Every other
/// panic still goes to the default hook, and is noted in [`PANICKED`].
fn quiet_deliberate_panics() {
    static QUIET: Once = Once::new();
    QUIET.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            if !message.is_some_and(|m| m.starts_with(DELIBERATE)) {
                PANICKED
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push((
                        thread::current().id(),
                        message.unwrap_or("").to_owned(),
                    ));
                default(info);
            }
        }));
    });
}

fn value_of<T>(outcome: Result<T, TaskError>, what: &str) -> T {
    outcome.unwrap_or_else(|error| {
        panic!("{what} should have succeeded, but its result was Err: {error}")
    })
}

/// The first four of a hundred tasks wait for one another, so all four
/// workers must be busy at once; the thread log then shows whether the other
/// ninety-six reused them.
#[test]
fn a_hundred_tasks_run_on_exactly_four_worker_threads() {
    let (threads, ran_on_caller) = watchdog(
        WATCH,
        &format!("the hundred tasks never finished. {SIDE_BY_SIDE}"),
        || {
            let pool = ThreadPool::new(4, 16);
            let log = Arc::new(ThreadLog::new());
            let first_four =
                Arc::new(Rendezvous::with_deadline(4, TOGETHER, SIDE_BY_SIDE));
            let handles: Vec<_> = (0..100)
                .map(|i| {
                    let (log, first_four) =
                        (Arc::clone(&log), Arc::clone(&first_four));
                    pool.submit(move || {
                        if i < 4 {
                            first_four.arrive();
                        }
                        log.record();
                        i * 2
                    })
                })
                .collect();
            for (i, handle) in handles.into_iter().enumerate() {
                let value = value_of(handle.result(), &format!("task {i}"));
                assert_eq!(
                    value,
                    i * 2,
                    "the handle of task {i} returned another task's value: each \
                     handle must receive its own task's outcome"
                );
            }
            (log.threads().len(), log.includes_current())
        },
    );
    assert!(
        !ran_on_caller,
        "some tasks ran on the thread that called submit: submit queues the task \
         for a worker and returns; it never runs the task itself"
    );
    assert_eq!(
        threads, 4,
        "100 tasks ran on {threads} different threads, but a pool of 4 starts its \
         workers once, in new(), and reuses them: each worker loops, taking job \
         after job from the queue. Are you starting a thread per task?"
    );
}

/// Every task holds an in-flight guard while it sleeps; the first three also
/// wait for one another. Three must overlap, and a fourth never may.
#[test]
fn three_workers_run_three_tasks_at_once_and_never_more() {
    let most = watchdog(
        WATCH,
        &format!("the thirty tasks never finished. {SIDE_BY_SIDE}"),
        || {
            let pool = ThreadPool::new(3, 64);
            let in_flight = Arc::new(InFlight::new());
            let first_three =
                Arc::new(Rendezvous::with_deadline(3, TOGETHER, SIDE_BY_SIDE));
            let handles: Vec<_> = (0..30)
                .map(|i| {
                    let (in_flight, first_three) =
                        (Arc::clone(&in_flight), Arc::clone(&first_three));
                    pool.submit(move || {
                        let _inside = in_flight.enter();
                        if i < 3 {
                            first_three.arrive();
                        }
                        thread::sleep(3 * MS);
                    })
                })
                .collect();
            for (i, handle) in handles.into_iter().enumerate() {
                value_of(handle.result(), &format!("task {i}"));
            }
            in_flight.max()
        },
    );
    assert!(
        most <= 3,
        "{most} tasks were running at the same moment in a pool of 3 workers: a \
         pool bounds concurrency by its worker count; are you starting a thread \
         per task, or more workers than asked for?"
    );
}

/// The task waits for a signal that is only sent once `submit` has returned.
/// A `submit` that runs the task itself waits for nothing: the signal never
/// comes while it runs, and the task reports that it gave up.
#[test]
fn submit_returns_before_the_task_finishes() {
    let (got_signal, ran_on_caller) = watchdog(
        WATCH,
        "submit never returned: it should queue the task and return at once",
        || {
            let pool = ThreadPool::new(1, 1);
            let log = Arc::new(ThreadLog::new());
            let (go, wait) = mpsc::channel::<()>();
            let task_log = Arc::clone(&log);
            let handle = pool.submit(move || {
                task_log.record();
                wait.recv_timeout(TOGETHER).is_ok()
            });
            // Fails only if the task already gave up and dropped `wait`.
            let _ = go.send(());
            let got_signal = value_of(handle.result(), "the task");
            (got_signal, log.includes_current())
        },
    );
    assert!(
        !ran_on_caller,
        "the task ran on the thread that called submit: submit must put the task \
         in the queue for a worker and return at once, not run it"
    );
    assert!(
        got_signal,
        "submit did not return until its task had finished (the task waited for a \
         signal sent right after submit returned, and never got it): submit must \
         queue the task and return at once"
    );
}

/// Task `i` of four finishes only after every task after it has finished, so
/// they finish in reverse order; the results must still come in input order.
#[test]
fn map_returns_results_in_input_order() {
    let (values, finish_order) = watchdog(
        WATCH,
        "map never returned: submit every input first, then wait for the results",
        || {
            let pool = ThreadPool::new(4, 4);
            let finished = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
            let recorded = Arc::clone(&finished);
            let outcomes = pool.map(
                move |i: usize| {
                    let (order, changed) = &*recorded;
                    let order = order.lock().unwrap_or_else(PoisonError::into_inner);
                    // Wait (a while at most) until the 3 - i later inputs are done.
                    let (mut order, _) = changed
                        .wait_timeout_while(order, TOGETHER, |o| o.len() < 3 - i)
                        .unwrap_or_else(PoisonError::into_inner);
                    order.push(i);
                    changed.notify_all();
                    i * 10
                },
                0..4,
            );
            let values: Vec<usize> = outcomes
                .into_iter()
                .enumerate()
                .map(|(i, outcome)| value_of(outcome, &format!("input {i}")))
                .collect();
            let order = finished.0.lock().unwrap_or_else(PoisonError::into_inner);
            (values, order.clone())
        },
    );
    assert_eq!(
        values,
        [0, 10, 20, 30],
        "map must return f(input) for each input in input order, whatever order \
         the tasks finished in: keep the handles in a Vec in submission order and \
         ask each for its result"
    );
    assert_eq!(
        finish_order,
        [3, 2, 1, 0],
        "the four tasks did not run side by side (each needed the later ones to \
         finish first, and they finished in the order {finish_order:?}): map must \
         submit every input before it waits for the first result"
    );
}

#[test]
fn map_reports_a_panic_in_its_own_slot() {
    quiet_deliberate_panics();
    let outcomes = watchdog(WATCH, "map never returned", || {
        let pool = ThreadPool::new(2, 8);
        pool.map(
            |i: u32| {
                if i == 3 {
                    panic!("{DELIBERATE} on input 3");
                }
                i + 100
            },
            0..6,
        )
    });
    assert_eq!(outcomes.len(), 6, "map must return one outcome per input");
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match (i, outcome) {
            (3, Err(TaskError::Panicked(message))) => assert!(
                message.contains("on input 3"),
                "input 3's error should carry its panic message, not {message:?}"
            ),
            (3, other) => panic!(
                "input 3 panicked, so its outcome must be \
                 Err(TaskError::Panicked(message)), not {other:?}: run each task \
                 inside catch_panic"
            ),
            (i, Ok(value)) => assert_eq!(value, i as u32 + 100, "input {i}"),
            (i, Err(error)) => panic!(
                "input {i} did not panic, yet its outcome is Err({error}): one failing \
                 task must not cost the others their results"
            ),
        }
    }
}

/// Task 0 waits until the test has received the four others from
/// `as_completed`, so it is the last to finish and must come out last.
#[test]
fn as_completed_yields_a_slow_first_task_last() {
    quiet_deliberate_panics();
    let yielded = watchdog(
        WATCH,
        "as_completed never finished: does every task, even one that panics, send \
         its outcome, and does the iterator end once all of them have?",
        || {
            let pool = ThreadPool::new(2, 8);
            let (open, gate) = mpsc::channel::<()>();
            let mut gate = Some(gate);
            let tasks = (0..5).map(move |i| {
                let gate = if i == 0 { gate.take() } else { None };
                move || {
                    if let Some(gate) = gate {
                        let _ = gate.recv_timeout(TOGETHER);
                    }
                    if i == 3 {
                        panic!("{DELIBERATE} in task 3");
                    }
                    i * 7
                }
            });
            let mut yielded = Vec::new();
            for (index, outcome) in pool.as_completed(tasks) {
                yielded.push((index, outcome));
                if yielded.len() == 4 {
                    let _ = open.send(());
                }
            }
            yielded
        },
    );
    let order: Vec<usize> = yielded.iter().map(|(index, _)| *index).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [0, 1, 2, 3, 4],
        "as_completed must yield each of the 5 tasks exactly once, with its index \
         in the input (it yielded {order:?}); a task that panics is yielded too, \
         with Err(TaskError::Panicked)"
    );
    assert_eq!(
        order.last(),
        Some(&0),
        "as_completed yielded {order:?}, but task 0 could only finish after the \
         others had been yielded: yield the tasks in the order they finish (one \
         channel that every task reports to), not in the order they were submitted. \
         (If no other task could run while task 0 waited, fix the side-by-side \
         tests first.)"
    );
    for (index, outcome) in yielded {
        match (index, outcome) {
            (3, Err(TaskError::Panicked(message))) => assert!(
                message.contains("in task 3"),
                "task 3's error should carry its panic message, not {message:?}"
            ),
            (3, other) => panic!(
                "task 3 panicked, so it must be yielded with \
                 Err(TaskError::Panicked(message)), not {other:?}"
            ),
            (i, outcome) => assert_eq!(
                outcome,
                Ok(i * 7),
                "task {i} is yielded with its own outcome"
            ),
        }
    }
}

#[test]
fn a_panic_surfaces_at_result_with_its_message() {
    quiet_deliberate_panics();
    let outcome = watchdog(WATCH, "result() never returned after a panic", || {
        let pool = ThreadPool::new(2, 2);
        let code = 28;
        pool.submit(move || -> u32 {
            panic!("{DELIBERATE}: disk full (code {code})")
        })
        .result()
    });
    match outcome {
        Err(TaskError::Panicked(message)) => assert!(
            message.contains("disk full (code 28)"),
            "the error should carry the task's panic message, but it says \
             {message:?}: build it with TaskError::from_panic (catch_panic does)"
        ),
        other => panic!(
            "a task that panics must make result() return \
             Err(TaskError::Panicked(its message)), but it returned {other:?}: run \
             the task inside catch_panic and send what it returns"
        ),
    }
}

/// A thousand panics on two workers, then a thousand ordinary tasks, the first
/// two of which must run side by side: both workers are still alive, and no
/// other thread ever ran a task.
#[test]
fn the_pool_keeps_its_workers_after_a_thousand_panics() {
    quiet_deliberate_panics();
    let (reported, alive_after, threads) = watchdog(
        WATCH,
        "the pool stopped running tasks after the panics: a panic must not kill \
         the worker; run each task inside catch_panic",
        || {
            let pool = ThreadPool::new(2, 16);
            let log = Arc::new(ThreadLog::new());
            let panicking: Vec<_> = (0..1_000)
                .map(|i| {
                    let log = Arc::clone(&log);
                    pool.submit(move || -> usize {
                        log.record();
                        panic!("{DELIBERATE} number {i}")
                    })
                })
                .collect();
            let reported = panicking
                .into_iter()
                .map(pool::Handle::result)
                .filter(|outcome| {
                    matches!(outcome, Err(TaskError::Panicked(m)) if m.starts_with(DELIBERATE))
                })
                .count();
            let both = Arc::new(Rendezvous::with_deadline(
                2,
                TOGETHER,
                "after the panics, the two workers no longer ran tasks side by side: \
                 a panic must not kill the worker",
            ));
            let handles: Vec<_> = (0..1_000)
                .map(|i| {
                    let (log, both) = (Arc::clone(&log), Arc::clone(&both));
                    pool.submit(move || {
                        if i < 2 {
                            both.arrive();
                        }
                        log.record();
                        i
                    })
                })
                .collect();
            let alive_after = handles
                .into_iter()
                .enumerate()
                .filter_map(|(i, handle)| (handle.result() == Ok(i)).then_some(()))
                .count();
            (reported, alive_after, log.threads().len())
        },
    );
    assert_eq!(
        reported, 1_000,
        "only {reported} of 1,000 panicking tasks reported their panic at result(); \
         the others were lost: a panic must not kill the worker, so run each task \
         inside catch_panic and send the Err to its handle"
    );
    assert_eq!(
        alive_after, 1_000,
        "after 1,000 panics, only {alive_after} of 1,000 ordinary tasks returned \
         their value: a panic must not kill the worker"
    );
    assert_eq!(
        threads, 2,
        "2,000 tasks ran on {threads} threads in a pool of 2: a worker must survive \
         a panicking task (catch it), not be replaced by a new thread"
    );
}

/// Eight tasks: the two running ones wait at a gate that opens 100 ms after
/// the test starts dropping the pool, and six wait in the queue. The pool is
/// dropped only once both workers are inside a task. A drop that returns
/// early is caught with every task still unfinished.
#[test]
fn dropping_the_pool_finishes_every_queued_task() {
    let finished = watchdog(
        WATCH,
        "dropping the pool never returned: close the queue first (drop the \
         sender, self.jobs.take()), so that each worker's recv() fails once the \
         queue is empty, then join the workers",
        || {
            let pool = ThreadPool::new(2, 8);
            let finished = Arc::new(AtomicUsize::new(0));
            let gate = Arc::new(Rendezvous::with_deadline(
                3,
                TOGETHER,
                "the two workers did not both start a task",
            ));
            let (started, on_start) = mpsc::channel::<()>();
            for i in 0..8 {
                let (finished, gate) = (Arc::clone(&finished), Arc::clone(&gate));
                let started = started.clone();
                // The handles are dropped: the tasks must run all the same.
                let _ = pool.submit(move || {
                    if i < 2 {
                        let _ = started.send(());
                        gate.arrive();
                    }
                    finished.fetch_add(1, SeqCst);
                });
            }
            for _ in 0..2 {
                on_start.recv_timeout(TOGETHER).expect(
                    "the two workers did not both start a task within 1 s of being \
                     given eight",
                );
            }
            let opener = {
                let gate = Arc::clone(&gate);
                thread::spawn(move || {
                    thread::sleep(100 * MS);
                    gate.arrive();
                })
            };
            drop(pool);
            let at_drop = finished.load(SeqCst);
            let _ = opener.join(); // a gate that never opened said so above
            at_drop
        },
    );
    assert_eq!(
        finished, 8,
        "dropping the pool returned when only {finished} of 8 queued tasks had \
         finished: Drop must close the queue and then join every worker, and a \
         worker may stop only when recv() says the queue is closed and empty (not \
         at a stop flag of its own, which leaves the queued tasks behind)"
    );
}

thread_local! {
    static ON_EXIT: RefCell<Option<CountOnExit>> = const { RefCell::new(None) };
}

/// Counts the threads that have ended, slowly: a thread-local's destructor
/// runs when its thread ends, and `join` returns only after that.
struct CountOnExit(Arc<AtomicUsize>);

impl Drop for CountOnExit {
    fn drop(&mut self) {
        thread::sleep(50 * MS);
        self.0.fetch_add(1, SeqCst);
    }
}

/// Three tasks meet, so each runs on its own worker, and leave behind a
/// thread-local that counts its thread's end. Dropping the pool must wait for
/// all three threads to end, and they must end by returning, not panicking.
#[test]
fn dropping_the_pool_joins_every_worker() {
    quiet_deliberate_panics();
    let (ended, ended_later, worker_panics) = watchdog(
        WATCH,
        &format!(
            "dropping the pool never returned: close the queue (drop the sender) \
             before joining the workers. {SIDE_BY_SIDE}"
        ),
        || {
            let pool = ThreadPool::new(3, 3);
            let ended = Arc::new(AtomicUsize::new(0));
            let log = Arc::new(ThreadLog::new());
            let all_three =
                Arc::new(Rendezvous::with_deadline(3, TOGETHER, SIDE_BY_SIDE));
            let handles: Vec<_> = (0..3)
                .map(|_| {
                    let (ended, all_three, log) = (
                        Arc::clone(&ended),
                        Arc::clone(&all_three),
                        Arc::clone(&log),
                    );
                    pool.submit(move || {
                        all_three.arrive();
                        log.record();
                        ON_EXIT.with(|slot| {
                            *slot.borrow_mut() = Some(CountOnExit(ended));
                        });
                    })
                })
                .collect();
            for (i, handle) in handles.into_iter().enumerate() {
                value_of(handle.result(), &format!("task {i}"));
            }
            drop(pool);
            let at_drop = ended.load(SeqCst);
            eventually(Duration::from_secs(2), || ended.load(SeqCst) == 3);
            let workers = log.threads();
            let worker_panics: Vec<String> = PANICKED
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .filter(|(thread, _)| workers.contains(thread))
                .map(|(_, message)| message.clone())
                .collect();
            (at_drop, ended.load(SeqCst), worker_panics)
        },
    );
    assert!(
        worker_panics.is_empty(),
        "the workers panicked when the pool was dropped ({worker_panics:?}): once \
         the queue is closed and empty, recv() returns Err, and that is the \
         worker's signal to return from its loop, not an error to unwrap"
    );
    assert_eq!(
        ended_later, 3,
        "only {ended_later} of the 3 worker threads ever ended after the pool was \
         dropped: Drop must close the queue so that the workers' loops end"
    );
    assert_eq!(
        ended,
        3,
        "dropping the pool returned while {} of its 3 worker threads were still \
         running: join every worker in Drop (keep their JoinHandles)",
        3 - ended
    );
}

/// A pool of one worker runs one task, which notes where `/proc` shows its
/// thread's state. With nothing left to do, the worker must be seen asleep
/// (blocked in `recv`), not running: an idle pool costs no CPU. (One worker,
/// so that a polling worker cannot be seen asleep waiting for the lock.)
#[test]
fn an_idle_worker_sleeps_instead_of_polling() {
    let asleep = watchdog(
        WATCH,
        "the task never finished, or dropping the idle pool never returned: close \
         the queue (drop the sender) before joining the workers",
        || {
            let pool = ThreadPool::new(1, 1);
            let task =
                pool.submit(|| (thread::current().id(), ThreadWatch::this_thread()));
            let (ran_on, worker) = value_of(task.result(), "the task");
            if ran_on == thread::current().id() || !worker.can_see() {
                // No worker (other tests say so), or no /proc to look at.
                return true;
            }
            // Ended counts as asleep: a worker that does not outlive its task
            // is reported by other tests.
            let seen_asleep = worker.wait_until_asleep(Duration::from_secs(2));
            drop(pool);
            seen_asleep
        },
    );
    assert!(
        asleep,
        "the idle worker kept running for 2 s with no task to do: a worker that \
         polls the queue (try_recv in a loop) burns a core while the pool is idle. \
         Block in recv(), which sleeps until a job arrives; the lock is released as \
         soon as the statement that took the job ends."
    );
}

/// One worker, busy; a queue of two, filled. The next submit must wait. While
/// the queue is full the waiting submit cannot return, however the threads are
/// scheduled; a queue without a bound lets it return at once, which the test
/// notices within 300 ms.
#[test]
fn a_full_queue_blocks_the_submitter() {
    let (returned_early, values) = watchdog(
        WATCH,
        "submitting blocked although the queue had room, or the tasks never ran: \
         with 1 worker busy and a queue of 2, two more submits return at once",
        || {
            let pool = ThreadPool::new(1, 2);
            let (started, on_start) = mpsc::channel::<()>();
            let (open, gate) = mpsc::channel::<()>();
            let first = pool.submit(move || {
                let _ = started.send(());
                let _ = gate.recv_timeout(Duration::from_secs(3));
                0
            });
            on_start
                .recv_timeout(Duration::from_secs(3))
                .expect("the only worker never started the first task");
            let queued: Vec<_> = (1..3).map(|i| pool.submit(move || i)).collect();
            let submitted = AtomicUsize::new(0);
            let (returned_early, last) = thread::scope(|scope| {
                let submitter = scope.spawn(|| {
                    let handle = pool.submit(|| 3);
                    submitted.store(1, SeqCst);
                    handle
                });
                let returned_early =
                    eventually(300 * MS, || submitted.load(SeqCst) == 1);
                let _ = open.send(());
                let last = submitter.join().expect("the submitting thread panicked");
                (returned_early, last)
            });
            let mut values = vec![value_of(first.result(), "the first task")];
            for (i, handle) in queued.into_iter().chain([last]).enumerate() {
                values.push(value_of(handle.result(), &format!("task {}", i + 1)));
            }
            (returned_early, values)
        },
    );
    assert!(
        !returned_early,
        "submit returned although its one worker was busy and the queue already \
         held 2 tasks: use a bounded queue (mpsc::sync_channel(queue)) so that \
         submit waits for room instead of letting memory grow without limit"
    );
    assert_eq!(
        values,
        [0, 1, 2, 3],
        "every task submitted, blocked or not, runs and returns its value"
    );
}
