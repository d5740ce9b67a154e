//! The given half of chapter 12's exercise: the messages that travel
//! through the pipes and the worker's loop. The exercise's `lib.rs` and the
//! solution's (and each wrong variant) include this one file, so the given
//! code exists once.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::process::{self};
use std::thread::{self};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------
// The messages: what travels through the pipes, one JSON object per line.
// ---------------------------------------------------------------------------

/// Structured data, to show that more than numbers survive the trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub name: String,
    pub values: Vec<f64>,
    pub tags: BTreeMap<String, String>,
    pub parent: Option<Box<Record>>,
}

/// A task for a worker. It is data, not code: a process cannot receive a
/// closure, so the worker program knows every kind of task by name, as a
/// Python worker finds a pickled function by its module and name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Task {
    /// Answers `Number(n * n)`.
    Square(u64),
    /// Answers `Pid` with the worker's process id.
    Pid,
    /// Answers the record unchanged.
    Echo(Record),
    /// Fails with this message; the worker lives on.
    Fail(String),
    /// Creates `dir/<pid>` and waits until `parties` files are there: it
    /// answers its pid if that many workers were busy at the same moment, and
    /// fails after [`WORKER_PATIENCE`] otherwise.
    Meet { dir: PathBuf, parties: usize },
    /// Waits until the file exists, then answers its pid; fails after
    /// [`WORKER_PATIENCE`].
    WaitFor(PathBuf),
    /// Creates the file and answers `Done`.
    Touch(PathBuf),
    /// Aborts the worker process in the middle of the job.
    Crash,
    /// Answers its pid, but from then on ignores the end of its input: this
    /// worker never exits by itself.
    Stubborn,
}

/// What a task produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Output {
    Number(u64),
    Pid(u32),
    Echo(Record),
    Done,
}

/// One line from the pool to a worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    pub task: Task,
}

/// One line from a worker to the pool: the answer to the request with the
/// same `id`. A task that fails is still answered, with `Err(message)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub id: u64,
    pub output: Result<Output, String>,
}

/// How long `Meet` and `WaitFor` wait inside a worker before they give up.
pub const WORKER_PATIENCE: Duration = Duration::from_secs(3);

// ---------------------------------------------------------------------------
// The worker's side, given: the `pool-worker` binary calls `serve`.
// ---------------------------------------------------------------------------

/// The worker's loop: read a request line, run the task, write the response
/// line, flush, until the input ends.
pub fn serve(input: impl BufRead, mut output: impl Write) -> io::Result<()> {
    let mut stubborn = false;
    for line in input.lines() {
        let request: Request = serde_json::from_str(&line?)?;
        stubborn |= request.task == Task::Stubborn;
        let response = Response {
            id: request.id,
            output: run(request.task),
        };
        serde_json::to_writer(&mut output, &response)?;
        output.write_all(b"\n")?;
        // Without the flush the answer could sit in a buffer, and the pool
        // would wait for it for ever.
        output.flush()?;
    }
    if stubborn {
        loop {
            thread::sleep(Duration::from_secs(1));
        }
    }
    Ok(())
}

/// Runs one task. Private: only a worker process runs tasks.
fn run(task: Task) -> Result<Output, String> {
    match task {
        Task::Square(n) => n
            .checked_mul(n)
            .map(Output::Number)
            .ok_or_else(|| format!("{n} squared does not fit in a u64")),
        Task::Pid | Task::Stubborn => Ok(Output::Pid(process::id())),
        Task::Echo(record) => Ok(Output::Echo(record)),
        Task::Fail(message) => Err(message),
        Task::Meet { dir, parties } => {
            let mark = dir.join(process::id().to_string());
            fs::write(&mark, b"").map_err(|e| format!("{}: {e}", mark.display()))?;
            let count = || fs::read_dir(&dir).map_or(0, |entries| entries.count());
            if wait_until(|| count() >= parties) {
                Ok(Output::Pid(process::id()))
            } else {
                Err(format!(
                    "only {} of {parties} workers were busy at the same moment \
                     (waited {WORKER_PATIENCE:?})",
                    count()
                ))
            }
        }
        Task::WaitFor(path) => {
            if wait_until(|| path.exists()) {
                Ok(Output::Pid(process::id()))
            } else {
                Err(format!(
                    "{} never appeared (waited {WORKER_PATIENCE:?})",
                    path.display()
                ))
            }
        }
        Task::Touch(path) => fs::write(&path, b"")
            .map(|()| Output::Done)
            .map_err(|e| format!("{}: {e}", path.display())),
        Task::Crash => process::abort(),
    }
}

fn wait_until(mut condition: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !condition() {
        if start.elapsed() >= WORKER_PATIENCE {
            return false;
        }
        thread::sleep(Duration::from_millis(2));
    }
    true
}
