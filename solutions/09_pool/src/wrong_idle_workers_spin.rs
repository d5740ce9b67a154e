//! Chapter 9, [A thread pool](../../../src/09_pool.md): Python's
//! `ThreadPoolExecutor`, built by hand from a bounded channel and a few
//! long-lived threads.
//!
//! Mistake: idle workers poll the queue with try_recv and yield_now instead of sleeping in recv, so an idle pool burns CPU.
//! Expect: burns a core

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};

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
        assert!(workers > 0, "a pool needs at least one worker");
        let (jobs, queued) = mpsc::sync_channel::<Job>(queue);
        let queued = Arc::new(Mutex::new(queued));
        let workers = (0..workers)
            .map(|i| {
                let queued = Arc::clone(&queued);
                thread::Builder::new()
                    .name(format!("pool-worker-{i}"))
                    .spawn(move || work(&queued))
                    .expect("could not start a worker thread")
            })
            .collect();
        ThreadPool {
            jobs: Some(jobs),
            workers,
        }
    }

    /// Queues `task` and returns at once with a handle to its outcome. Blocks
    /// only while the queue is full.
    pub fn submit<T, F>(&self, task: F) -> Handle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (report, outcome) = mpsc::channel();
        let job: Job = Box::new(move || {
            // The handle may be gone (nobody wants the value): not an error.
            let _ = report.send(catch_panic(task));
        });
        self.queue(job);
        Handle { outcome }
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
        let f = Arc::new(f);
        let handles: Vec<Handle<T>> = inputs
            .into_iter()
            .map(|input| {
                let f = Arc::clone(&f);
                self.submit(move || f(input))
            })
            .collect();
        handles.into_iter().map(Handle::result).collect()
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
        let (done, finished) = mpsc::channel();
        for (index, task) in tasks.into_iter().enumerate() {
            let done = done.clone();
            self.queue(Box::new(move || {
                let _ = done.send((index, catch_panic(task)));
            }));
        }
        // Only the tasks' clones of `done` remain: the iterator ends when the
        // last task has reported.
        finished.into_iter()
    }

    /// Puts a job in the queue, blocking while the queue is full.
    fn queue(&self, job: Job) {
        let jobs = self.jobs.as_ref().expect("the queue is open until drop");
        // Sending fails only if every worker is gone. The job is dropped, and
        // with it the task's reporting end, so its handle says `Lost`.
        let _ = jobs.send(job);
    }
}

/// A worker's life: take the next job, run it, repeat, until the queue is
/// closed and empty.
fn work(queued: &Mutex<Receiver<Job>>) {
    loop {
        // The guard is a temporary of this statement, so the lock is released
        // before the job runs and the other workers can take jobs meanwhile.
        // Nothing panics while holding it, so it cannot be poisoned.
        let next = queued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .try_recv();
        match next {
            Ok(job) => job(),
            // Never wait while holding the lock: let go and look again.
            Err(TryRecvError::Empty) => thread::yield_now(),
            Err(TryRecvError::Disconnected) => return,
        }
    }
}

impl Drop for ThreadPool {
    /// Closes the queue, lets the workers finish everything in it, and waits
    /// for each of them to end.
    fn drop(&mut self) {
        drop(self.jobs.take());
        for worker in self.workers.drain(..) {
            // A worker never panics: every task runs inside `catch_panic`.
            let _ = worker.join();
        }
    }
}

impl<T> Handle<T> {
    /// Waits for the task and returns its value, or why there is none:
    /// Python's `future.result()`, which re-raises the task's exception.
    pub fn result(self) -> Result<T, TaskError> {
        self.outcome.recv().unwrap_or(Err(TaskError::Lost))
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
