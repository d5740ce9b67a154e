//! Chapter 11, [Processes](../../../src/11_process.md): run jobs in worker
//! processes, talk to them through pipes, and survive their crashes.
//!
//! The tests see what the code does not show: the pids of the workers, a
//! meeting in a temp directory that only opens when every worker is alive at
//! the same moment, and `/proc`, where a worker that was never waited for
//! still shows up as a child of the test process. A version that runs the
//! jobs one by one computes the same answers; the tests check that it does
//! not. The worker program is given: `src/bin/process-worker.rs`.

use std::fmt;
use std::io;
use std::path::Path;
use std::process::Child;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What a worker answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The process id of the worker that did the job.
    pub pid: u32,
    /// Everything the worker wrote to its stdout.
    pub output: String,
}

/// Why a job has no answer. Each job fails on its own: the other workers,
/// and the program that started them, carry on.
#[derive(Debug)]
pub enum JobError {
    /// The worker could not be started, or a pipe to it failed.
    Io(io::Error),
    /// The worker exited with a code other than 0 (a Rust panic exits with 101).
    Exited { pid: u32, code: i32 },
    /// A signal ended the worker: it crashed (6 is SIGABRT, 11 SIGSEGV) or
    /// someone killed it (9 is SIGKILL).
    Signaled { pid: u32, signal: i32 },
    /// The worker was still running at the deadline, so it was killed.
    TimedOut { pid: u32 },
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobError::Io(error) => {
                write!(f, "could not talk to the worker: {error}")
            }
            JobError::Exited { pid, code } => {
                write!(f, "worker {pid} exited with code {code}")
            }
            JobError::Signaled { pid, signal } => {
                write!(f, "worker {pid} was ended by signal {signal}")
            }
            JobError::TimedOut { pid } => {
                write!(f, "worker {pid} missed its deadline and was killed")
            }
        }
    }
}

impl std::error::Error for JobError {}

impl From<io::Error> for JobError {
    fn from(error: io::Error) -> Self {
        JobError::Io(error)
    }
}

/// Owns a child process and makes sure it is gone when dropped: killed if it
/// still runs, and waited for either way. Python's `Popen` in a `with` block
/// waits on exit; this guard also kills, so that an early return or a panic
/// cannot leave a worker running.
#[derive(Debug)]
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        todo!(
            "kill the child (ignore the error if it already exited), then wait for \
             it, so that no zombie stays behind"
        )
    }
}

/// A worker process that has its job and is working on it.
#[derive(Debug)]
pub struct Running {
    child: KillOnDrop,
    /// Reads the worker's stdout while it runs, so that a large answer never
    /// fills the pipe and blocks the worker.
    output: JoinHandle<io::Result<String>>,
}

/// Starts `worker`, sends it `job` on its stdin, and returns without waiting
/// for the answer: Python's `Process.start()`.
pub fn start(worker: &Path, job: &str) -> io::Result<Running> {
    let _ = (worker, job);
    todo!(
        "spawn `worker` with stdin and stdout piped, start a thread that reads its \
         stdout to the end, write `job` to its stdin and close it (drop it)"
    )
}

impl Running {
    /// The worker's process id.
    pub fn pid(&self) -> u32 {
        self.child.0.id()
    }

    /// Waits for the worker until `deadline` and returns its answer; kills it
    /// (and reaps it) if it is still running then: Python's `Process.join()`
    /// with a timeout, followed by a kill.
    pub fn finish(self, deadline: Instant) -> Result<Answer, JobError> {
        let Running { child, output } = self;
        let _ = (child, output, deadline);
        todo!(
            "poll child.0.try_wait() until it exits (kill, wait and return \
             TimedOut once the deadline passes), join the reading thread, and \
             turn a failed exit status into JobError::Exited or ::Signaled"
        )
    }
}

/// Runs every job in a worker process of its own, all at the same time, and
/// returns their results in the order of `jobs`. A job that crashes or
/// misses the deadline (`timeout` from now) is an error for that job only.
/// When it returns, every worker has exited and been reaped.
pub fn run_all<S: AsRef<str>>(
    worker: &Path,
    jobs: &[S],
    timeout: Duration,
) -> Vec<Result<Answer, JobError>> {
    let _ = (worker, jobs, timeout);
    todo!(
        "start every job first, then finish each, all against one deadline: \
         `timeout` from now"
    )
}
