//! `cargo course timeline process`: four jobs of the same CPU-bound work in
//! worker processes, first each waited for right after it was started, then
//! all started before the first wait (the solution's `run_all`), drawn from
//! real runs on one time axis.
//!
//! A `tracing` subscriber lives in one process, so the workers keep their own
//! record: this program is also the worker. Started under the name
//! `timeline-worker`, it reads its job from stdin, does it, and logs what it
//! did with `timeline::ProcessLog`; the parent adds those logs to its own
//! recording.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use process::{Answer, JobError};
use timeline::{Figure, ProcessLog};
use tracing::info_span;

const WORKER_NAME: &str = "timeline-worker";
const JOBS: usize = 4;
/// Squares summed by one job: some tens of milliseconds on one core.
const SQUARES: u64 = 100_000_000;

/// The worker's side: read the job, compute, answer, log both steps.
fn worker(dir: &Path) -> io::Result<()> {
    let mut log = ProcessLog::open(dir)?;
    let mut job = String::new();
    log.span("worker: starting, reading its job", || {
        io::stdin().read_to_string(&mut job)
    })??;
    let n: u64 = job.trim().parse().map_err(io::Error::other)?;
    let total = log.span("worker: computing (the job)", || {
        (0..n).fold(0u64, |total, i| {
            total.wrapping_add(std::hint::black_box(i).wrapping_mul(i))
        })
    })?;
    let mut stdout = io::stdout().lock();
    write!(stdout, "{total}")?;
    stdout.flush()
}

/// Starts one job: spawn a worker and hand it the job.
fn start(program: &Path) -> io::Result<process::Running> {
    let _starting = info_span!("main: start (spawn, send the job)").entered();
    process::start(program, &SQUARES.to_string())
}

/// Waits for one worker's answer.
fn finish(running: process::Running, deadline: Instant) -> Result<Answer, JobError> {
    let _waiting = info_span!("waiting for the worker to exit").entered();
    running.finish(deadline)
}

fn main() -> io::Result<()> {
    let me = PathBuf::from(std::env::args_os().next().unwrap_or_default());
    if me.file_name().is_some_and(|n| n == WORKER_NAME) {
        let dir = me.parent().map(Path::to_path_buf).unwrap_or_default();
        return worker(&dir);
    }
    let command = "cargo course timeline process";
    let timeout = Duration::from_secs(30);

    // This very program, under the worker's name, in a folder per run for
    // the logs.
    let run = |name: &str, jobs: &dyn Fn(&Path) -> Vec<Result<Answer, JobError>>| {
        let dir = std::env::temp_dir()
            .join(format!("timeline-{name}-{}", std::process::id()));
        fs::create_dir_all(&dir)?;
        let program = dir.join(WORKER_NAME);
        let _ = fs::remove_file(&program);
        std::os::unix::fs::symlink(std::env::current_exe()?, &program)?;
        let (results, mut recording) = timeline::record(|| jobs(&program));
        recording.add_process_logs(&dir)?;
        let _ = fs::remove_dir_all(&dir);
        for result in results {
            result.map_err(io::Error::other)?;
        }
        io::Result::Ok(recording)
    };

    // The mistake: each worker is waited for before the next one starts.
    let one_by_one = run("one-by-one", &|program| {
        let deadline = Instant::now() + timeout;
        (0..JOBS)
            .map(|_| finish(start(program)?, deadline))
            .collect()
    })?;
    one_by_one.write(&Figure {
        name: "process-wait_each",
        title: "Each worker waited for right after its start: four jobs in turn",
        command,
        axis: None,
    })?;

    // The solution's `run_all`, spelled out so that each step has its span:
    // start them all, then wait for each.
    let all_at_once = run("all-at-once", &|program| {
        let deadline = Instant::now() + timeout;
        let running: Vec<_> = (0..JOBS).map(|_| start(program)).collect();
        running
            .into_iter()
            .map(|running| finish(running?, deadline))
            .collect()
    })?;
    all_at_once.write(&Figure {
        name: "process-start_all",
        title: "All started, then each waited for: the same four jobs at once",
        command,
        axis: Some(one_by_one.span()),
    })?;
    Ok(())
}
