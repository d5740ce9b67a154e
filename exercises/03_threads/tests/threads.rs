//! The spec for chapter 3. Run with `cargo test -p threads`.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Once};
use std::thread;
use std::time::Duration;

use testkit::{DEADLINE, Rendezvous, ThreadLog, eventually, panic_text, watchdog};
use threads::{Panicked, run_all};

/// How long a task waits for the others. Shorter than the watchdog's
/// [`DEADLINE`], so that a task that waited in vain reports it first.
const TASK_WAIT: Duration = Duration::from_secs(3);

/// The most likely reason the tasks did not all run at once.
const JOIN_INSIDE: &str = "start every thread before joining any: a join inside the \
     spawning loop (or in the same lazy iterator chain as the spawn) waits for each \
     task to end before the next one starts, so collect the handles first";

/// The name the panic tests give `run_all`: their tasks panic on purpose.
const ON_PURPOSE: &str = "on-purpose";

/// Keeps the panics of tasks that panic on purpose out of the test output
/// (and spares them a backtrace when `RUST_BACKTRACE` is set): a panic on a
/// thread whose name starts with [`ON_PURPOSE`] prints nothing. Every other
/// panic, an assertion's included, goes to the default hook as usual.
fn quiet_deliberate_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let on_purpose = thread::current()
                .name()
                .is_some_and(|name| name.starts_with(ON_PURPOSE));
            if !on_purpose {
                default(info);
            }
        }));
    });
}

/// Each task meets the others at a rendezvous that opens only when all eight
/// are in flight at once. Tasks run one at a time never get there: the first
/// waits for seven tasks that cannot start until it has been joined.
#[test]
fn every_task_is_running_before_any_is_joined() {
    const TASKS: usize = 8;
    let results = watchdog(
        DEADLINE,
        &format!("run_all did not return: {JOIN_INSIDE}"),
        || {
            let all_running =
                Arc::new(Rendezvous::with_deadline(TASKS, TASK_WAIT, JOIN_INSIDE));
            let tasks: Vec<_> = (0..TASKS)
                .map(|i| {
                    let all_running = Arc::clone(&all_running);
                    move || {
                        all_running.arrive();
                        i
                    }
                })
                .collect();
            run_all("meet", tasks)
        },
    );
    assert_eq!(
        results.len(),
        TASKS,
        "run_all returned {} results for {TASKS} tasks: return one per task",
        results.len()
    );
    for (i, result) in results.iter().enumerate() {
        if let Err(panicked) = result {
            panic!("task {i} failed: {}", panicked.message);
        }
    }
}

/// The tasks finish in reverse order: each waits until every task after it
/// has finished. Results collected as threads finish come back reversed.
#[test]
fn results_come_back_in_input_order_not_in_finishing_order() {
    const TASKS: usize = 6;
    let results = watchdog(
        DEADLINE,
        &format!("run_all did not return: {JOIN_INSIDE}"),
        || {
            let finished = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..TASKS)
                .map(|i| {
                    let finished = Arc::clone(&finished);
                    move || {
                        let my_turn = TASKS - 1 - i;
                        let came = eventually(TASK_WAIT, || {
                            finished.load(SeqCst) == my_turn
                        });
                        assert!(
                            came,
                            "task {i} waited in vain for the tasks after it to \
                             finish: {JOIN_INSIDE}"
                        );
                        finished.fetch_add(1, SeqCst);
                        i * 10
                    }
                })
                .collect();
            run_all("order", tasks)
        },
    );
    let values: Vec<usize> = results
        .into_iter()
        .enumerate()
        .map(|(i, result)| {
            result.unwrap_or_else(|panicked| {
                panic!("task {i} failed: {}", panicked.message)
            })
        })
        .collect();
    let expected: Vec<usize> = (0..TASKS).map(|i| i * 10).collect();
    assert_eq!(
        values, expected,
        "the tasks finished last-to-first, and the results came back as {values:?}: \
         return task i's result at index i, in input order, by joining the handles \
         in the order the threads were spawned (not as they finish)"
    );
}

#[test]
fn a_panicking_task_becomes_an_error_and_the_others_keep_their_values() {
    quiet_deliberate_panics();
    let outcome = watchdog(
        DEADLINE,
        "run_all did not return after a task panicked: join every handle, \
         whatever its task did",
        || {
            let tasks: Vec<_> = (0..5)
                .map(|i| {
                    move || {
                        if i == 2 {
                            panic!("task {i} failed on purpose");
                        }
                        i * 10
                    }
                })
                .collect();
            panic::catch_unwind(AssertUnwindSafe(|| run_all(ON_PURPOSE, tasks)))
        },
    );
    let results = outcome.unwrap_or_else(|payload| {
        panic!(
            "run_all panicked (\"{}\") when one of its tasks panicked: a task's panic \
             must become an Err for that task, so match on the Result of join() \
             instead of unwrapping it",
            panic_text(&*payload)
        )
    });
    assert_eq!(
        results.len(),
        5,
        "run_all returned {} results for 5 tasks: return one per task, the \
         panicked one included",
        results.len()
    );
    for (i, result) in results.iter().enumerate() {
        if i == 2 {
            assert!(
                result.is_err(),
                "task 2 panicked, yet its result is {result:?}: turn join()'s Err \
                 into Err(Panicked {{ .. }})"
            );
        } else {
            assert_eq!(
                result,
                &Ok(i * 10),
                "result {i} should be Ok({}), the value task {i} returned while task 2 \
                 panicked beside it: keep the results in input order, and do not let \
                 one task's panic cost the others their values",
                i * 10
            );
        }
    }
}

#[test]
fn a_panics_error_carries_its_message() {
    quiet_deliberate_panics();
    let outcome = watchdog(
        DEADLINE,
        "run_all did not return after its tasks panicked: join every handle, \
         whatever its task did",
        || {
            let tasks: Vec<_> = (0..4)
                .map(|i| {
                    move || match i {
                        0 => panic!("a literal message"),
                        1 => panic!("a formatted message from task {i}"),
                        2 => panic::panic_any(42_u8),
                        _ => i,
                    }
                })
                .collect();
            panic::catch_unwind(AssertUnwindSafe(|| run_all(ON_PURPOSE, tasks)))
        },
    );
    let results = outcome.unwrap_or_else(|payload| {
        panic!(
            "run_all panicked (\"{}\") when its tasks panicked: match on the Result \
             of join() instead of unwrapping it, and let panic_message handle every \
             payload without panicking itself",
            panic_text(&*payload)
        )
    });
    let message = |i: usize| match results.get(i) {
        Some(Err(Panicked { message })) => message.clone(),
        other => panic!(
            "task {i} panicked, yet result {i} is {other:?}: keep the results in input \
             order, and turn join()'s Err into Err(Panicked {{ message }})"
        ),
    };
    let literal = message(0);
    assert!(
        literal.contains("a literal message"),
        "task 0 ran panic!(\"a literal message\"), but its error says {literal:?}: \
         the payload of a panic with a literal message is a &'static str, so try \
         payload.downcast_ref::<&str>()"
    );
    let formatted = message(1);
    assert!(
        formatted.contains("a formatted message from task 1"),
        "task 1 ran panic!(\"a formatted message from task {{i}}\"), but its error \
         says {formatted:?}: a panic with formatted arguments carries a String, so \
         try payload.downcast_ref::<String>() as well"
    );
    let opaque = message(2);
    assert!(
        !opaque.trim().is_empty(),
        "task 2 panicked with a number as payload and its message is empty: say in \
         a sentence that the panic had no text"
    );
    assert_eq!(
        results.get(3),
        Some(&Ok(3)),
        "result 3 should be Ok(3), the value task 3 returned while the others \
         panicked: keep the results in input order, and do not let one task's panic \
         cost the others their values"
    );
}

#[test]
fn each_task_runs_on_its_own_thread_named_after_its_position() {
    const TASKS: usize = 4;
    let (results, threads_used, ran_on_caller) = watchdog(
        DEADLINE,
        "run_all did not return, with tasks that only note their thread",
        || {
            let log = Arc::new(ThreadLog::new());
            // Each task reports its own index with its thread's name, so a
            // wrong name is told apart from a result in the wrong place.
            let tasks: Vec<_> = (0..TASKS)
                .map(|i| {
                    let log = Arc::clone(&log);
                    move || {
                        log.record();
                        (i, thread::current().name().map(str::to_owned))
                    }
                })
                .collect();
            let results = run_all("crawler", tasks);
            (results, log.threads().len(), log.includes_current())
        },
    );
    assert!(
        !ran_on_caller,
        "a task ran on the thread that called run_all: start a new thread for \
         each task"
    );
    assert_eq!(
        threads_used, TASKS,
        "the {TASKS} tasks ran on {threads_used} threads: give each task a thread \
         of its own"
    );
    for result in &results {
        let (i, name) = match result {
            Ok(ran) => ran,
            Err(panicked) => panic!("a task failed: {}", panicked.message),
        };
        let expected = format!("crawler-{i}");
        match name {
            Some(name) => assert_eq!(
                name, &expected,
                "task {i} ran on a thread named {name:?}; name it {expected:?}, the \
                 name given to run_all and the task's index in `tasks`"
            ),
            None => panic!(
                "task {i} ran on an unnamed thread: build each thread with \
                 thread::Builder::new().name(..) instead of thread::spawn, and name \
                 it {expected:?}"
            ),
        }
    }
}
