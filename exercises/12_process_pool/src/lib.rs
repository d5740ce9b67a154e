//! Chapter 12, [A process pool](../../../src/12_process_pool.md): N
//! long-lived worker processes, fed jobs as JSON lines through their pipes,
//! replaced when they crash.
//!
//! A pool that starts a process per job, or runs one job at a time, gives
//! the same answers; the tests check the pids that served the jobs and make
//! the workers meet, so it cannot pass. They also read `/proc` to find
//! workers left behind after a shutdown, and send far more data than a pipe
//! holds. The worker's side (`serve`, the messages, `Worker::spawn`) is
//! given; the pool's side is yours.

use std::fmt;
// `BufRead` (read_line) and `Write` (write_all) are for your `Worker::call`.
#[allow(unused_imports)]
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

// The messages and the worker's loop are given, in `protocol.rs`.
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
        let Worker { input, output, .. } = self;
        let _ = (request, input, output);
        todo!(
            "write the request as one line of JSON (serde_json::to_vec, then a \
             newline) to the input, read one line from the output (0 bytes read: \
             the worker died), and parse it with serde_json::from_str"
        )
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
        let _ = (program, drive);
        todo!(
            "create the job queue (an mpsc channel, its Receiver shared as \
             Arc<Mutex<_>>), then for each worker spawn a Worker and a thread that \
             runs `drive`"
        )
    }

    /// Queues every task and returns their results as they finish, each
    /// with its index in `tasks`: `concurrent.futures.as_completed`.
    pub fn as_completed(&self, tasks: impl IntoIterator<Item = Task>) -> Completed {
        let _ = tasks;
        todo!(
            "make a results channel, queue one Job per task (its index as the id, a \
             clone of the results Sender as the reply), then return the results \
             Receiver's into_iter()"
        )
    }

    /// Runs every task and returns the results in the order of `tasks`:
    /// `Executor.map`, with each result a `Result`.
    pub fn map(
        &self,
        tasks: impl IntoIterator<Item = Task>,
    ) -> Vec<Result<Output, JobError>> {
        let _ = tasks;
        todo!("collect as_completed into a Vec, each result at its job's index")
    }

    /// Stops the pool: the jobs already queued still run, then every worker
    /// sees its input close and gets `grace` to exit before it is killed.
    /// Python's `shutdown(wait=True)`.
    pub fn shutdown(mut self, grace: Duration) {
        self.close(grace);
    }

    fn close(&mut self, grace: Duration) {
        let ProcessPoolExecutor { queue, drivers } = self;
        let _ = (queue, drivers, grace);
        todo!(
            "drop the queue's Sender, join every driver thread to get its Worker \
             back, then finish each worker against one deadline, `grace` from now"
        )
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
fn drive(program: &Path, worker: Worker, jobs: &Mutex<Receiver<Job>>) -> Worker {
    let _ = (program, worker, jobs, REAP_GRACE);
    todo!(
        "loop: take the next job from the queue (lock only to recv), call the \
         worker, send (index, result) on the job's reply; if the call fails, \
         finish the dead worker, reply JobError::Crashed, spawn a replacement; \
         when the queue is closed, close the worker's input and return it"
    )
}
