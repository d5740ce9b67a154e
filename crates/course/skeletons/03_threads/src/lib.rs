//! Chapter 3, [Threads: spawn and join](../../../src/03_threads.md): run a
//! batch of tasks, each on a named thread of its own, and collect what each
//! one returned, or what it said when it panicked.
//!
//! Running the tasks one after another returns the same values, so the tests
//! watch how they ran: every task must be running at the same moment as all
//! the others, on a thread named after its position, and one task's panic
//! must come back as that task's error while the others' values survive.

use std::any::Any;
use std::fmt;

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
    let _ = (name, tasks);
    todo!(
        "start every task on a thread built with thread::Builder and named \
         \"{{name}}-{{i}}\", keep the JoinHandles, then join them in order, \
         turning each join error into a Panicked"
    )
}

/// The text of a panic, from the payload that `JoinHandle::join` hands back in
/// its `Err`. `panic!("a literal")` carries a `&'static str`, and
/// `panic!("{x} formatted")` a `String`; any other payload (from
/// `std::panic::panic_any`) has no text, and gets a sentence saying so.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    let _ = payload;
    todo!(
        "downcast_ref the payload to &str, then to String, and for any other \
         payload return a sentence saying the panic had no text"
    )
}
