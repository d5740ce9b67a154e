//! Chapter 12, [A process pool](../../../src/12_process_pool.md): N
//! long-lived worker processes, fed jobs as JSON lines through their pipes,
//! replaced when they crash.
//!
//! Mistake: a driver whose worker died replaces it and moves on without answering the job, so the job comes back Lost.
//! Expect: JobError::Crashed naming that worker

use std::fmt;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

// The given messages and worker loop, shared with the exercise rather
// than copied.
#[path = "../../../exercises/12_process_pool/src/protocol.rs"]
mod protocol;

pub use protocol::*;
// ---------------------------------------------------------------------------
// The pool's side.
// ---------------------------------------------------------------------------

/// Why a job has no output. Each job fails on its own.
#[derive(Debug, Clone, PartialEq)]
pub enum JobError {
    /// The task ran and failed; its worker is fine and stays.
    Failed(String),
    /// The worker died during the job; the pool replaced it.
    Crashed { pid: u32, status: String },
    /// No answer ever came: the pool was shut down, or had no worker.
    Lost,
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobError::Failed(message) => write!(f, "the task failed: {message}"),
            JobError::Crashed { pid, status } => {
                write!(f, "worker {pid} died during the job ({status})")
            }
            JobError::Lost => write!(f, "the job was never answered"),
        }
    }
}

impl std::error::Error for JobError {}

/// One worker process and the pipes to it. Dropping it kills and reaps the
/// process, as chapter 11's `KillOnDrop` does.
#[derive(Debug)]
pub struct Worker {
    child: Child,
    /// `None` once closed: the worker sees the end of its input and exits.
    input: Option<ChildStdin>,
    output: BufReader<ChildStdout>,
}

impl Worker {
    /// Starts the worker program with both pipes.
    pub fn spawn(program: &Path) -> io::Result<Worker> {
        let mut child = Command::new(program)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let input = child.stdin.take();
        let output = BufReader::new(child.stdout.take().expect("stdout was piped"));
        Ok(Worker {
            child,
            input,
            output,
        })
    }

    /// The worker's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends one request and reads its response: one line each way, and
    /// only one request in flight, so neither pipe can fill up.
    pub fn call(&mut self, request: &Request) -> io::Result<Response> {
        // ANCHOR: call
        let input = self.input.as_mut().ok_or(io::ErrorKind::BrokenPipe)?;
        let mut line = serde_json::to_vec(request)?;
        line.push(b'\n');
        input.write_all(&line)?;
        input.flush()?;

        let mut answer = String::new();
        if self.output.read_line(&mut answer)? == 0 {
            // The end of its output: the worker is gone.
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(serde_json::from_str(&answer)?)
        // ANCHOR_END: call
    }

    /// Closes the worker's input: a worker that reads to the end exits.
    pub fn close_input(&mut self) {
        self.input = None;
    }

    /// Closes the input, waits for the worker to exit until `deadline`, and
    /// kills it then: how it ended.
    pub fn finish(&mut self, deadline: Instant) -> io::Result<ExitStatus> {
        self.close_input();
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                self.child.kill()?;
                return self.child.wait();
            }
            thread::sleep(Duration::from_millis(1));
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How long a worker whose pipe broke gets to finish dying, so that its exit
/// status says why it died rather than that we killed it.
const REAP_GRACE: Duration = Duration::from_secs(1);

/// The grace period a pool that is dropped gives its workers.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(1);

/// Which job of a batch finished, and how.
pub type Completion = (usize, Result<Output, JobError>);

/// The results of a batch, in the order they finish.
pub type Completed = mpsc::IntoIter<Completion>;

/// A job on its way to a worker, with the channel its result goes back on:
/// what the pool's queue carries.
#[derive(Debug)]
pub struct Job {
    pub request: Request,
    pub reply: Sender<Completion>,
}

/// Python's `concurrent.futures.ProcessPoolExecutor`: a fixed number of
/// long-lived worker processes that take jobs from one queue.
#[derive(Debug)]
pub struct ProcessPoolExecutor {
    /// Where jobs go; `None` once the pool is shut down.
    queue: Option<Sender<Job>>,
    /// One thread per worker: it feeds its worker and hands the worker back
    /// when the queue closes.
    drivers: Vec<JoinHandle<Worker>>,
}

impl ProcessPoolExecutor {
    /// Starts `workers` copies of `program` and a driver thread for each.
    pub fn new(program: &Path, workers: usize) -> io::Result<Self> {
        assert!(workers > 0, "a pool needs at least one worker");
        // ANCHOR: new
        let (queue, jobs) = mpsc::channel();
        let jobs = Arc::new(Mutex::new(jobs));
        let mut drivers = Vec::with_capacity(workers);
        for _ in 0..workers {
            // Started here, so that a program that cannot start is an error
            // of `new`. On that error the drivers already started find the
            // queue closed and hand back their workers, which are dropped.
            let worker = Worker::spawn(program)?;
            let program = program.to_owned();
            let jobs = Arc::clone(&jobs);
            drivers.push(thread::spawn(move || drive(&program, worker, &jobs)));
        }
        // ANCHOR_END: new
        Ok(ProcessPoolExecutor {
            queue: Some(queue),
            drivers,
        })
    }

    /// Queues every task and returns their results as they finish, each
    /// with its index in `tasks`: `concurrent.futures.as_completed`.
    pub fn as_completed(&self, tasks: impl IntoIterator<Item = Task>) -> Completed {
        // ANCHOR: as_completed
        let (reply, completed) = mpsc::channel();
        for (index, task) in tasks.into_iter().enumerate() {
            let job = Job {
                request: Request {
                    id: index as u64,
                    task,
                },
                reply: reply.clone(),
            };
            let queued = self.queue.as_ref().map(|queue| queue.send(job));
            if !matches!(queued, Some(Ok(()))) {
                let _ = reply.send((index, Err(JobError::Lost)));
            }
        }
        // Each job holds a sender: the iterator ends once every job has
        // answered (or was dropped unanswered).
        completed.into_iter()
        // ANCHOR_END: as_completed
    }

    /// Runs every task and returns the results in the order of `tasks`:
    /// `Executor.map`, with each result a `Result`.
    pub fn map(
        &self,
        tasks: impl IntoIterator<Item = Task>,
    ) -> Vec<Result<Output, JobError>> {
        // ANCHOR: map
        let tasks: Vec<Task> = tasks.into_iter().collect();
        let mut results: Vec<Result<Output, JobError>> =
            tasks.iter().map(|_| Err(JobError::Lost)).collect();
        for (index, result) in self.as_completed(tasks) {
            results[index] = result;
        }
        results
        // ANCHOR_END: map
    }

    /// Stops the pool: the jobs already queued still run, then every worker
    /// sees its input close and gets `grace` to exit before it is killed.
    /// Python's `shutdown(wait=True)`.
    pub fn shutdown(mut self, grace: Duration) {
        self.close(grace);
    }

    fn close(&mut self, grace: Duration) {
        // ANCHOR: close
        // No more jobs: each driver empties the queue, then hands back its
        // worker with the input closed.
        drop(self.queue.take());
        let mut workers: Vec<Worker> = self
            .drivers
            .drain(..)
            .filter_map(|driver| driver.join().ok())
            .collect();
        let deadline = Instant::now() + grace;
        for worker in &mut workers {
            let _ = worker.finish(deadline);
        }
        // ANCHOR_END: close
    }
}

impl Drop for ProcessPoolExecutor {
    /// Python's `with ProcessPoolExecutor() as pool:` shuts the pool down at
    /// the end of the block; here the end of the scope does.
    fn drop(&mut self) {
        self.close(DEFAULT_GRACE);
    }
}

/// The loop of one driver thread: take a job, send it to the worker, pass
/// the answer back. A worker that dies fails its job and is replaced.
fn drive(program: &Path, mut worker: Worker, jobs: &Mutex<Receiver<Job>>) -> Worker {
    // ANCHOR: drive
    loop {
        // The lock is held to take a job, never while it runs (chapter 9).
        let next = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = next else {
            // The queue is closed and empty: let the worker see its end too.
            worker.close_input();
            return worker;
        };
        let id = job.request.id;
        let result = match worker.call(&job.request) {
            Ok(response) if response.id == id => {
                response.output.map_err(JobError::Failed)
            }
            // The worker died: replace it and go on with the next job.
            _ => {
                let _ = worker.finish(Instant::now() + REAP_GRACE);
                if let Ok(replacement) = Worker::spawn(program) {
                    worker = replacement;
                }
                continue;
            }
        };
        // The caller may have stopped listening; the job ran all the same.
        let _ = job.reply.send((id as usize, result));
    }
    // ANCHOR_END: drive
}
