//! `cargo course timeline process_pool`: ten jobs on a pool of three worker
//! processes, one of which crashes, drawn from a real run.
//!
//! A `tracing` subscriber lives in one process, so the workers keep their own
//! record: this program is also the worker. Started under the name
//! `timeline-worker`, it runs the chapter's `serve` loop and logs each job,
//! from its request arriving to its answer flushed, with
//! `timeline::ProcessLog`; the pool's side adds those logs to the recording
//! of the main thread.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use process_pool::{ProcessPoolExecutor, Record, Task};
use timeline::{Figure, ProcessLog};
use tracing::info_span;

const WORKER_NAME: &str = "timeline-worker";
const JOB: &str = "worker: a job (parse, run, answer)";

/// Standard input that notes when a request starts to arrive.
struct Arrivals {
    stdin: io::Stdin,
    started: Rc<Cell<Option<SystemTime>>>,
}

impl Read for Arrivals {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.stdin.read(buf)?;
        if n > 0 && self.started.get().is_none() {
            self.started.set(Some(SystemTime::now()));
        }
        Ok(n)
    }
}

/// Standard output that, when an answer is flushed, logs the job it ends.
struct Answers {
    stdout: io::Stdout,
    started: Rc<Cell<Option<SystemTime>>>,
    log: ProcessLog,
}

impl Write for Answers {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stdout.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stdout.flush()?;
        if let Some(start) = self.started.take() {
            self.log.log(JOB, start, SystemTime::now())?;
        }
        Ok(())
    }
}

fn worker(dir: &Path) -> io::Result<()> {
    let log = ProcessLog::open(dir)?;
    let started = Rc::new(Cell::new(None));
    let input = BufReader::new(Arrivals {
        stdin: io::stdin(),
        started: Rc::clone(&started),
    });
    process_pool::serve(
        input,
        Answers {
            stdout: io::stdout(),
            started,
            log,
        },
    )
}

/// A record big enough that its trip through JSON takes visible time.
fn big_record(i: usize) -> Record {
    Record {
        name: format!("record {i}"),
        values: (0..150_000).map(|v| v as f64 * 0.37).collect(),
        tags: BTreeMap::new(),
        parent: None,
    }
}

fn main() -> io::Result<()> {
    let me = PathBuf::from(std::env::args_os().next().unwrap_or_default());
    if me.file_name().is_some_and(|n| n == WORKER_NAME) {
        let dir = me.parent().map(Path::to_path_buf).unwrap_or_default();
        return worker(&dir);
    }
    // This very program, under the worker's name, in a folder for the logs.
    let dir =
        std::env::temp_dir().join(format!("timeline-pool-{}", std::process::id()));
    fs::create_dir_all(&dir)?;
    let program = dir.join(WORKER_NAME);
    let _ = fs::remove_file(&program);
    std::os::unix::fs::symlink(std::env::current_exe()?, &program)?;

    let mut tasks: Vec<Task> = (0..10).map(|i| Task::Echo(big_record(i))).collect();
    tasks[4] = Task::Crash;
    let (results, mut recording) = timeline::record(|| {
        let pool = {
            let _starting =
                info_span!("main: starting 3 worker processes").entered();
            ProcessPoolExecutor::new(&program, 3).expect("the workers start")
        };
        let results = {
            let _waiting = info_span!("main: map, waiting for results").entered();
            pool.map(tasks)
        };
        let _stopping = info_span!("main: shutdown").entered();
        pool.shutdown(Duration::from_secs(1));
        results
    });
    let failed = results.iter().filter(|r| r.is_err()).count();
    assert_eq!(failed, 1, "only the crashing job fails: {results:?}");

    recording.add_process_logs(&dir)?;
    let _ = fs::remove_dir_all(&dir);
    recording.write(&Figure {
            name: "process_pool",
            title: "Ten jobs on a pool of 3 worker processes; the fifth crashes its worker",
            command: "cargo course timeline process_pool",
            axis: None,
        })?;
    Ok(())
}
