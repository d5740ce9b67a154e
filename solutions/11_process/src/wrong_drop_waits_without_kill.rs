//! Chapter 11, [Processes](../../../src/11_process.md): run jobs in worker
//! processes, talk to them through pipes, and survive their crashes.
//!
//! Mistake: KillOnDrop only waits for the child, so dropping a running job waits for a worker that may never end.
//! Expect: should kill the worker before it waits

use std::fmt;
use std::io::{self, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
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

// ANCHOR: kill_on_drop
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        // `kill` on a process that already exited is harmless, and `wait`
        // after an earlier `wait` returns the status it already has. The wait
        // is what removes the process from the kernel's table: without it, a
        // dead child stays behind as a zombie until this program ends.
        let _ = self.0.wait();
    }
}
// ANCHOR_END: kill_on_drop

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
    // ANCHOR: start
    let child = Command::new(worker)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut child = KillOnDrop(child);
    let mut stdout = child.0.stdout.take().expect("stdout was piped");
    let output = thread::spawn(move || {
        let mut answer = String::new();
        stdout.read_to_string(&mut answer)?;
        Ok(answer)
    });
    let mut stdin = child.0.stdin.take().expect("stdin was piped");
    stdin.write_all(job.as_bytes())?;
    drop(stdin); // the end of the input: the worker reads until it sees it
    // ANCHOR_END: start
    Ok(Running { child, output })
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
        let Running { mut child, output } = self;
        let pid = child.0.id();
        // ANCHOR: finish
        // std has no wait-with-timeout, so poll: `try_wait` never blocks.
        let status = loop {
            if let Some(status) = child.0.try_wait()? {
                break status;
            }
            if Instant::now() >= deadline {
                child.0.kill()?;
                child.0.wait()?;
                return Err(JobError::TimedOut { pid });
            }
            thread::sleep(Duration::from_millis(1));
        };
        let answer = output.join().expect("the reading thread does not panic")?;
        exit_error(pid, status)?;
        Ok(Answer {
            pid,
            output: answer,
        })
        // ANCHOR_END: finish
    }
}

/// How a worker that did not succeed ended: its exit code, or, when it has
/// none, the signal that ended it.
fn exit_error(pid: u32, status: ExitStatus) -> Result<(), JobError> {
    // ANCHOR: exit_error
    if status.success() {
        Ok(())
    } else if let Some(code) = status.code() {
        Err(JobError::Exited { pid, code })
    } else {
        // Unix only: no exit code means a signal ended the process.
        let signal = status.signal().unwrap_or_default();
        Err(JobError::Signaled { pid, signal })
    }
    // ANCHOR_END: exit_error
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
    // ANCHOR: run_all
    let deadline = Instant::now() + timeout;
    // Start them all first...
    let running: Vec<io::Result<Running>> =
        jobs.iter().map(|job| start(worker, job.as_ref())).collect();
    // ...then wait for each: they work meanwhile.
    running
        .into_iter()
        .map(|running| running?.finish(deadline))
        .collect()
    // ANCHOR_END: run_all
}
