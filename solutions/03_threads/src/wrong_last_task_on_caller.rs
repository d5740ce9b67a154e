//! Chapter 3, [Threads: spawn and join](../../../src/03_threads.md): run a
//! batch of tasks, each on a named thread of its own, and collect what each
//! one returned, or what it said when it panicked.
//!
//! Mistake: the last task runs on the calling thread to save a spawn, so it is neither on its own thread nor named.
//! Expect: start a new thread

use std::any::Any;
use std::fmt;
use std::thread;

/// Why a task gave no value: it panicked, and this is what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panicked {
    /// The panic's message, as `panic!` formatted it.
    pub message: String,
}

impl fmt::Display for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the task panicked: {}", self.message)
    }
}

impl std::error::Error for Panicked {}

/// Runs every task on a thread of its own and returns one result per task, in
/// the order of `tasks`: `Ok` with the value the task returned, or `Err` with
/// the message of its panic. The thread of the task at index `i` is named
/// `"{name}-{i}"`.
///
/// Every thread is started before any is joined, so the tasks run at the same
/// time. A task that panics does not disturb the others, and `run_all` itself
/// does not panic because of it.
pub fn run_all<T, F>(name: &str, tasks: Vec<F>) -> Vec<Result<T, Panicked>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let mut tasks = tasks;
    // The calling thread would only wait anyway: let it run the last task.
    let last = tasks.pop();
    let handles: Vec<thread::JoinHandle<T>> = tasks
        .into_iter()
        .enumerate()
        .map(|(i, task)| {
            thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(task)
                .expect("the operating system refused to start a thread")
        })
        .collect();
    let last = last.map(|task| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(task)).map_err(
            |payload| Panicked {
                message: panic_message(&*payload),
            },
        )
    });
    let mut results: Vec<_> = handles
        .into_iter()
        .map(|handle| {
            handle.join().map_err(|payload| Panicked {
                message: panic_message(&*payload),
            })
        })
        .collect();
    results.extend(last);
    results
}

/// The text of a panic, from the payload that `JoinHandle::join` hands back in
/// its `Err`. `panic!("a literal")` carries a `&'static str`, and
/// `panic!("{x} formatted")` a `String`; any other payload (from
/// `std::panic::panic_any`) has no text, and gets a sentence saying so.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    // ANCHOR: panic_message
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "the task panicked with a value that is not text".to_owned()
    }
    // ANCHOR_END: panic_message
}
