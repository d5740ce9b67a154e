//! Chapter 12, [A process pool](../../../src/12_process_pool.md): N
//! long-lived worker processes, fed jobs as JSON lines through their pipes,
//! replaced when they crash.
//!
//! Mistake: every job is written to the workers before any result is read, so the pipes fill and both sides wait for ever.
//! Expect: fills both pipes

use std::fmt;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};
use std::thread;
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

    /// Writes one request line.
    pub fn send(&mut self, request: &Request) -> io::Result<()> {
        let input = self.input.as_mut().ok_or(io::ErrorKind::BrokenPipe)?;
        let mut line = serde_json::to_vec(request)?;
        line.push(b'\n');
        input.write_all(&line)?;
        input.flush()
    }

    /// Reads one response line.
    pub fn receive(&mut self) -> io::Result<Response> {
        let mut answer = String::new();
        if self.output.read_line(&mut answer)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(serde_json::from_str(&answer)?)
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

/// The grace period a pool that is dropped gives its workers.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(1);

/// Which job of a batch finished, and how.
pub type Completion = (usize, Result<Output, JobError>);

/// The results of a batch, in the order they finish.
pub type Completed = mpsc::IntoIter<Completion>;

/// Python's `concurrent.futures.ProcessPoolExecutor`: a fixed number of
/// long-lived worker processes.
#[derive(Debug)]
pub struct ProcessPoolExecutor {
    workers: Mutex<Vec<Worker>>,
}

impl ProcessPoolExecutor {
    /// Starts `workers` copies of `program`.
    pub fn new(program: &Path, workers: usize) -> io::Result<Self> {
        assert!(workers > 0, "a pool needs at least one worker");
        let workers = (0..workers)
            .map(|_| Worker::spawn(program))
            .collect::<io::Result<Vec<Worker>>>()?;
        Ok(ProcessPoolExecutor {
            workers: Mutex::new(workers),
        })
    }

    /// Sends every task, then reads every result.
    pub fn as_completed(&self, tasks: impl IntoIterator<Item = Task>) -> Completed {
        let (reply, completed) = mpsc::channel();
        let mut workers =
            self.workers.lock().unwrap_or_else(PoisonError::into_inner);
        let size = workers.len();
        let mut count = 0;
        // Hand out every job first, round robin...
        for (index, task) in tasks.into_iter().enumerate() {
            let request = Request {
                id: index as u64,
                task,
            };
            if workers[index % size].send(&request).is_err() {
                let _ = reply.send((index, Err(JobError::Lost)));
            }
            count += 1;
        }
        // ...then collect every answer.
        for index in 0..count {
            let worker = &mut workers[index % size];
            let result = match worker.receive() {
                Ok(response) => response.output.map_err(JobError::Failed),
                Err(error) => Err(JobError::Crashed {
                    pid: worker.pid(),
                    status: error.to_string(),
                }),
            };
            let _ = reply.send((index, result));
        }
        completed.into_iter()
    }

    /// Runs every task and returns the results in the order of `tasks`.
    pub fn map(
        &self,
        tasks: impl IntoIterator<Item = Task>,
    ) -> Vec<Result<Output, JobError>> {
        let tasks: Vec<Task> = tasks.into_iter().collect();
        let mut results: Vec<Result<Output, JobError>> =
            tasks.iter().map(|_| Err(JobError::Lost)).collect();
        for (index, result) in self.as_completed(tasks) {
            results[index] = result;
        }
        results
    }

    /// Stops the pool: every worker sees its input close and gets `grace` to
    /// exit before it is killed.
    pub fn shutdown(mut self, grace: Duration) {
        self.close(grace);
    }

    fn close(&mut self, grace: Duration) {
        let mut workers =
            self.workers.lock().unwrap_or_else(PoisonError::into_inner);
        let deadline = Instant::now() + grace;
        for worker in workers.iter_mut() {
            let _ = worker.finish(deadline);
        }
        workers.clear();
    }
}

impl Drop for ProcessPoolExecutor {
    fn drop(&mut self) {
        self.close(DEFAULT_GRACE);
    }
}
