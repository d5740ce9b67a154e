//! Chapter 3, [Threads: spawn and join](../../../src/03_threads.md): run a
//! batch of tasks, each on a named thread of its own, and collect what each
//! one returned, or what it said when it panicked.
//!
//! Mistake: the results of tasks that panicked are left out, so the others shift to the wrong indices.
//! Expect: return one per task, the panicked one included

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
    // ANCHOR: spawn_all
    // Start them all first: `collect` drives the whole loop before any join.
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
    // ANCHOR_END: spawn_all
    // ANCHOR: join_all
    // Then join them in the order they were spawned: task i's result lands at
    // index i, however the threads happened to finish. A panic is the Err of
    // its own join, and stays there.
    handles
        .into_iter()
        .filter_map(|handle| handle.join().ok())
        .map(Ok)
        .collect()
    // ANCHOR_END: join_all
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
