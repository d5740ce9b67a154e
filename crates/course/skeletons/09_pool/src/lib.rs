//! Chapter 9, [A thread pool](../../../src/09_pool.md): Python's
//! `ThreadPoolExecutor`, built by hand from a bounded channel and a few
//! long-lived threads.
//!
//! Running each task on the spot would compute the right values; the tests
//! watch how they ran: on exactly `workers` reused threads, that many at once
//! and never more, with `submit` returning before its task finishes, waiting
//! only while the queue is full, and a worker outliving a task that panics.

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

/// A unit of work as the workers see it: a closure, run once, by any worker.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// A fixed set of worker threads that run submitted tasks, fed through a
/// bounded queue: `concurrent.futures.ThreadPoolExecutor`, with backpressure.
///
/// Dropping the pool closes the queue, lets the workers finish every task
/// already in it, and joins them.
pub struct ThreadPool {
    /// The sending end of the job queue. `None` once `drop` has closed it.
    jobs: Option<SyncSender<Job>>,
    /// One handle per worker thread, joined on drop.
    workers: Vec<JoinHandle<()>>,
}

/// The promise of one task's outcome: Python's `Future`, for one reader.
pub struct Handle<T> {
    /// Receives exactly one message: the task's value, or why there is none.
    outcome: Receiver<Result<T, TaskError>>,
}

/// Why a task has no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskError {
    /// The task panicked; this is its panic message.
    Panicked(String),
    /// The task was dropped before it could report: the pool lost it.
    Lost,
}

impl ThreadPool {
    /// Starts `workers` threads that wait for tasks. At most `queue` submitted
    /// tasks wait in line for a free worker; `submit` blocks while the line is
    /// full (with `queue == 0`, until a worker takes the task).
    pub fn new(workers: usize, queue: usize) -> ThreadPool {
        let _ = (workers, queue);
        todo!(
            "make a bounded channel of Jobs with room for `queue`, share its \
             receiver between `workers` threads that each loop: take a job \
             (the lock released at once), run it; stop when the channel closes"
        )
    }

    /// Queues `task` and returns at once with a handle to its outcome. Blocks
    /// only while the queue is full.
    pub fn submit<T, F>(&self, task: F) -> Handle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let _ = (task, &self.jobs);
        todo!(
            "make a one-shot channel for the outcome, queue a Job that sends it \
             catch_panic(task), and return a Handle holding the receiving end"
        )
    }

    /// Runs `f` on every input and returns the outcomes in input order,
    /// whatever order the tasks finish in. Every input is submitted before
    /// the first result is awaited, so they run side by side.
    #[must_use = "a panic in a task is only reported in its result"]
    pub fn map<A, T, F>(
        &self,
        f: F,
        inputs: impl IntoIterator<Item = A>,
    ) -> Vec<Result<T, TaskError>>
    where
        F: Fn(A) -> T + Send + Sync + 'static,
        A: Send + 'static,
        T: Send + 'static,
    {
        let _ = (f, inputs.into_iter());
        todo!(
            "share `f` through an Arc, submit one task per input, and only then \
             collect each handle's result, in input order"
        )
    }

    /// Submits every task and yields `(index, outcome)` pairs in the order
    /// the tasks finish, `index` being the task's position in `tasks`.
    pub fn as_completed<T, F>(
        &self,
        tasks: impl IntoIterator<Item = F>,
    ) -> mpsc::IntoIter<(usize, Result<T, TaskError>)>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let _ = tasks.into_iter();
        todo!(
            "make one channel for all the tasks, queue a Job per task that sends \
             (index, catch_panic(task)) into it, drop your own sender, and return \
             the receiver's into_iter()"
        )
    }
}

impl Drop for ThreadPool {
    /// Closes the queue, lets the workers finish everything in it, and waits
    /// for each of them to end.
    fn drop(&mut self) {
        let _ = &self.workers;
        todo!(
            "close the queue by dropping the sender (self.jobs.take()), then join \
             every worker"
        )
    }
}

impl<T> Handle<T> {
    /// Waits for the task and returns its value, or why there is none:
    /// Python's `future.result()`, which re-raises the task's exception.
    pub fn result(self) -> Result<T, TaskError> {
        let _ = self.outcome;
        todo!(
            "receive the one outcome; if the channel closed without one, the task \
             was lost: Err(TaskError::Lost)"
        )
    }
}

/// Runs `task`, turning a panic into [`TaskError::Panicked`] with its message,
/// so that the thread running it lives on.
pub fn catch_panic<T>(task: impl FnOnce() -> T) -> Result<T, TaskError> {
    // `AssertUnwindSafe`: after a panic, nothing the task touched is used
    // again by the pool; the task and its captures are simply dropped.
    panic::catch_unwind(AssertUnwindSafe(task)).map_err(TaskError::from_panic)
}

impl TaskError {
    /// Turns the payload of a caught panic into a [`TaskError::Panicked`].
    /// `panic!("literal")` carries a `&str`, `panic!("{x}")` a `String`.
    pub fn from_panic(payload: Box<dyn Any + Send>) -> TaskError {
        let message = match payload.downcast::<String>() {
            Ok(message) => *message,
            Err(payload) => match payload.downcast::<&str>() {
                Ok(message) => (*message).to_owned(),
                Err(_) => "a panic without a message".to_owned(),
            },
        };
        TaskError::Panicked(message)
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Panicked(message) => {
                write!(f, "the task panicked: {message}")
            }
            TaskError::Lost => write!(f, "the task was lost before it could finish"),
        }
    }
}

impl std::error::Error for TaskError {}
