//! The spec for chapter 12. Run with `cargo test -p process_pool`.
//!
//! The workers are copies of `src/bin/pool-worker.rs`, which runs the given
//! `serve` loop. Two instruments live here rather than in the test kit,
//! because they only make sense for processes:
//! - `Scratch`, a fresh directory per test, where `Meet` tasks leave their
//!   pids and `WaitFor` and `Touch` tasks open gates;
//! - `left_behind`, which reads `/proc` to find which of the given pids are
//!   still children of this test process (running, or dead but not reaped:
//!   a zombie). The tests in this file run in parallel threads of one
//!   process, so each test checks the pids of its own workers only.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use process_pool::{JobError, Output, ProcessPoolExecutor, Record, Task};
use testkit::{DEADLINE, eventually, kill_left_behind, left_behind, watchdog};

fn worker() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_pool-worker"))
}

fn pool(workers: usize) -> ProcessPoolExecutor {
    ProcessPoolExecutor::new(worker(), workers)
        .expect("the pool should start its worker processes")
}

/// A directory of its own for one test, removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "nogil-pool-{}-{test}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("the temp directory should be writable");
        Scratch(dir)
    }

    /// `parties` tasks that only succeed if `parties` workers run them at
    /// the same moment.
    fn meet(&self, parties: usize) -> Vec<Task> {
        (0..parties)
            .map(|_| Task::Meet {
                dir: self.0.clone(),
                parties,
            })
            .collect()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Lets a test body say that its jobs are done and only the pool's shutdown
/// is left, so that a hang there gets its own message.
struct Progress(AtomicBool);

impl Progress {
    fn jobs_done(&self) {
        self.0.store(true, SeqCst);
    }
}

const SHUTDOWN_HANGS: &str = "the jobs were done, but shutting the pool down \
    (shutdown, or dropping it) never returned: close the queue (drop its Sender) \
    before you join the drivers, so that each driver thread sees it closed, \
    closes its worker's input and returns; then finish the workers";

/// Runs `body` with a deadline, as `testkit::watchdog` does, but picks the
/// message when the deadline passes: a body that had called `jobs_done` hangs
/// shutting its pool down, and fails with a message saying so instead of
/// `on_timeout`.
fn watch<T: Send + 'static>(
    on_timeout: &str,
    body: impl FnOnce(&Progress) -> T + Send + 'static,
) -> T {
    let progress = Arc::new(Progress(AtomicBool::new(false)));
    let (done, outcome) = mpsc::channel();
    {
        let progress = Arc::clone(&progress);
        thread::spawn(move || {
            let result = panic::catch_unwind(AssertUnwindSafe(|| body(&progress)));
            // The receiver is gone only if the deadline already passed.
            let _ = done.send(result);
        });
    }
    match outcome.recv_timeout(DEADLINE) {
        Ok(Ok(value)) => value,
        Ok(Err(payload)) => panic::resume_unwind(payload),
        Err(_) if progress.0.load(SeqCst) => {
            panic!("still running after {DEADLINE:?}: {SHUTDOWN_HANGS}")
        }
        Err(_) => panic!("still running after {DEADLINE:?}: {on_timeout}"),
    }
}

fn assert_none_left_behind(pids: &[u32], what: &str) {
    let left = left_behind(pids);
    assert!(
        left.is_empty(),
        "{what}, {} worker(s) are still children of the test process (pid, state; \
         Z is a zombie, dead but never waited for): {left:?}. Shutting down means: \
         close the queue, join every driver thread, then finish every worker \
         (close its input, wait, kill after the grace period)",
        left.len()
    );
}

fn pid(result: &Result<Output, JobError>) -> Option<u32> {
    match result {
        Ok(Output::Pid(pid)) => Some(*pid),
        _ => None,
    }
}

fn pids(results: &[Result<Output, JobError>]) -> Vec<u32> {
    results.iter().filter_map(pid).collect()
}

fn crashed_pid(result: &Result<Output, JobError>) -> Option<u32> {
    match result {
        Err(JobError::Crashed { pid, .. }) => Some(*pid),
        _ => None,
    }
}

/// The worker that takes `WaitFor` cannot finish until another worker has
/// done every `Square` and then the `Touch`, so the first job is certain to
/// finish last.
#[test]
fn map_returns_results_in_input_order() {
    let scratch = Scratch::new("order");
    let gate = scratch.file("gate");
    let mut tasks = vec![Task::WaitFor(gate.clone())];
    tasks.extend((1..=10).map(Task::Square));
    tasks.push(Task::Touch(gate));
    let results = watch(
        "map over 12 small tasks never returned: does every job's result come back \
         to the caller?",
        move |progress| {
            let pool = pool(2);
            let results = pool.map(tasks);
            progress.jobs_done();
            results
        },
    );
    assert_eq!(
        results.len(),
        12,
        "map should return one result per task, got {results:?}"
    );
    if let Err(error) = &results[0] {
        panic!(
            "the first task waits until the last one opens its gate, so it needs \
             two workers busy at the same moment, but it returned Err({error}): do \
             both workers take jobs from the queue, and is the queue's lock \
             released before a job runs?"
        );
    }
    let expected: Vec<Result<Output, JobError>> = (1..=10)
        .map(|n| Ok(Output::Number(n * n)))
        .chain([Ok(Output::Done)])
        .collect();
    assert!(
        pid(&results[0]).is_some() && results[1..] == expected[..],
        "map must return the results in the order of the tasks, whatever order \
         they finished in (the first task finished last here); put each result at \
         its job's index. Got {results:?}"
    );
}

/// The test opens the gate of the first task only after it has received the
/// first result, so an `as_completed` that waits for every result before it
/// yields any cannot succeed.
#[test]
fn as_completed_yields_each_result_as_it_arrives() {
    let scratch = Scratch::new("completed");
    let gate = scratch.file("gate");
    let (first, second, rest) = watch(
        "as_completed never yielded the quick result while the slow one waited: \
         yield each result as it arrives, do not wait for all of them",
        move |progress| {
            let pool = pool(2);
            let mut completed =
                pool.as_completed([Task::WaitFor(gate.clone()), Task::Square(3)]);
            let first = completed.next();
            fs::write(&gate, b"").expect("the test can open the gate");
            let second = completed.next();
            let rest = completed.count();
            progress.jobs_done();
            (first, second, rest)
        },
    );
    assert!(
        matches!(first, Some((1, Ok(Output::Number(9))))),
        "the first result to arrive is job 1, Square(3), while job 0 still waits \
         for its gate, but as_completed yielded {first:?} first: yield each result \
         as it arrives, with its index. (If job 0 failed, nobody ran job 1 while \
         it waited: two workers must be busy at the same moment.)"
    );
    assert!(
        matches!(second, Some((0, Ok(Output::Pid(_))))),
        "job 0 could finish once the test opened its gate after the first result, \
         but as_completed yielded {second:?}: if it timed out, as_completed waited \
         for every result before it yielded the first; yield each result as it \
         arrives"
    );
    assert_eq!(rest, 0, "two tasks give two results, but more came");
}

/// The first three tasks meet: they only succeed if three workers run them
/// at the same moment. The pids of all hundred answers then show how many
/// processes did the work.
#[test]
fn a_hundred_jobs_are_served_by_exactly_n_worker_processes() {
    let scratch = Scratch::new("hundred");
    let mut tasks = scratch.meet(3);
    tasks.extend((3..100).map(|_| Task::Pid));
    let results = watch(
        "a hundred small jobs on three workers never finished. The first three \
         only succeed when three workers are busy at the same moment: never hold \
         the queue's lock while a job runs",
        move |progress| {
            let pool = pool(3);
            let results = pool.map(tasks);
            progress.jobs_done();
            pool.shutdown(Duration::from_secs(2));
            results
        },
    );
    for (i, result) in results.iter().enumerate().take(3) {
        assert!(
            pid(result).is_some(),
            "job {i} needed three workers busy at the same moment, but it returned \
             {result:?}: start all three workers in `new`, give each a driver \
             thread, and never hold the queue's lock while a job runs"
        );
    }
    let answers: Vec<u32> = pids(&results);
    assert_eq!(
        answers.len(),
        100,
        "every job answers with its worker's pid; these did not: {:?}",
        results
            .iter()
            .filter(|r| pid(r).is_none())
            .take(5)
            .collect::<Vec<_>>()
    );
    let distinct: BTreeSet<u32> = answers.iter().copied().collect();
    assert!(
        !distinct.contains(&std::process::id()),
        "the jobs ran in the test process itself: send them to worker processes"
    );
    assert_eq!(
        distinct.len(),
        3,
        "100 jobs ran in {} different processes, not in the pool's 3: are you \
         starting a process per job? Keep N long-lived workers and send each of \
         them many jobs",
        distinct.len()
    );
    let distinct: Vec<u32> = distinct.into_iter().collect();
    assert_none_left_behind(&distinct, "after shutdown returned");
}

/// One worker: the job after the crash can only succeed on a new process.
#[test]
fn a_crash_fails_only_its_job_and_a_replacement_takes_over() {
    let results = watch(
        "the jobs after a crash never finished: when a call fails, the worker is \
         dead; reap it, report the crash, start a replacement",
        |progress| {
            let pool = pool(1);
            let results =
                pool.map([Task::Pid, Task::Crash, Task::Square(3), Task::Pid]);
            progress.jobs_done();
            pool.shutdown(Duration::from_secs(2));
            results
        },
    );
    assert!(
        pid(&results[0]).is_some(),
        "job 0 asks for the worker's pid, and returned {:?}",
        results[0]
    );
    let Some(crashed) = crashed_pid(&results[1]) else {
        panic!(
            "job 1 crashes its worker (it aborts), so it should fail with \
             JobError::Crashed naming that worker, but it returned {:?}: when the \
             worker's output ends, the worker is dead",
            results[1]
        )
    };
    for (i, result) in results.iter().enumerate().skip(2) {
        assert!(
            result.is_ok(),
            "job {i} returned {result:?} after the worker crashed on job 1: replace \
             a crashed worker with a new process before taking the next job"
        );
    }
    assert_eq!(
        results[2],
        Ok(Output::Number(9)),
        "job 2, Square(3), should answer 9"
    );
    assert!(
        pid(&results[3]).is_some_and(|new| new != crashed),
        "job 3 ran after the crash, so it needs a new worker process, not the dead \
         one {crashed}; it returned {:?}",
        results[3]
    );
    let reaped = eventually(Duration::from_secs(2), || {
        left_behind(&[crashed]).is_empty()
    });
    assert!(
        reaped,
        "the crashed worker {crashed} is still a child of the test process \
         ({:?}): wait for a dead worker (Worker::finish) before replacing it",
        left_behind(&[crashed])
    );
}

#[test]
fn the_pool_stays_at_n_workers_after_crashes() {
    let scratch = Scratch::new("stays");
    let meet = scratch.meet(2);
    let (crashes, meetings) = watch(
        "jobs after three crashes never finished: replace each crashed worker",
        move |progress| {
            let pool = pool(2);
            let crashes = pool.map([Task::Crash, Task::Crash, Task::Crash]);
            let meetings = pool.map(meet);
            progress.jobs_done();
            pool.shutdown(Duration::from_secs(2));
            (crashes, meetings)
        },
    );
    let crashed: BTreeSet<u32> = crashes.iter().filter_map(crashed_pid).collect();
    assert_eq!(
        crashed.len(),
        3,
        "each of three Crash jobs kills the worker that runs it, so three workers \
         should have crashed, but the results were {crashes:?}"
    );
    let met = pids(&meetings);
    assert!(
        met.len() == 2 && met.iter().all(|pid| !crashed.contains(pid)),
        "after three crashes, the two Meet jobs need two live workers busy at the \
         same moment, but they returned {meetings:?}: replace every crashed \
         worker, so that the pool stays at N"
    );
    let all: Vec<u32> = crashed.into_iter().chain(met).collect();
    assert_none_left_behind(&all, "after shutdown returned");
}

#[test]
fn a_task_error_comes_back_without_losing_the_worker() {
    let results = watch("three small jobs never finished", |progress| {
        let pool = pool(1);
        let results =
            pool.map([Task::Pid, Task::Fail("no such customer".into()), Task::Pid]);
        progress.jobs_done();
        results
    });
    assert_eq!(
        results[1],
        Err(JobError::Failed("no such customer".into())),
        "a task that fails is answered with Err(message) in its Response; return \
         it as JobError::Failed(message)"
    );
    assert!(
        pid(&results[0]).is_some() && pid(&results[0]) == pid(&results[2]),
        "the same worker should serve the jobs before and after a task error, \
         which is an answer, not a crash: replace a worker only when talking to it \
         fails. Got {results:?}"
    );
}

fn record(name: String) -> Record {
    Record {
        name,
        values: vec![0.1, -2.5, 1e-3, 12_345.678, 6.02e23],
        tags: BTreeMap::from([
            ("lang".to_owned(), "rust".to_owned()),
            ("crab".to_owned(), "🦀".to_owned()),
            (String::new(), "an empty key".to_owned()),
        ]),
        parent: Some(Box::new(Record {
            name: "parent".into(),
            values: Vec::new(),
            tags: BTreeMap::new(),
            parent: None,
        })),
    }
}

#[test]
fn structured_arguments_round_trip() {
    let sent = record("Zoë \"quoted\"\nsecond line\tand a tab".into());
    let expected = sent.clone();
    let results = watch(
        "an Echo job never came back. The worker reads one request per line: end \
         each request with a newline, then read one line of answer (read_line, \
         not read_to_string, which waits for the worker to exit), and send the \
         result to the job's reply channel",
        move |progress| {
            let pool = pool(1);
            let results = pool.map([Task::Echo(sent)]);
            progress.jobs_done();
            results
        },
    );
    assert_eq!(
        results,
        [Ok(Output::Echo(expected))],
        "the worker answers Echo with the record it received: serialize each \
         Request with serde_json as one line, and read the Response back with \
         serde_json::from_str"
    );
}

/// Each job carries 2 KiB there and back, 600 KiB in all, far more than the
/// 64 KiB a pipe holds.
#[test]
fn many_jobs_do_not_deadlock_on_full_pipes() {
    let tasks: Vec<Task> = (0..300)
        .map(|i| Task::Echo(record(format!("{i}{}", "x".repeat(2048)))))
        .collect();
    let expected: Vec<Result<Output, JobError>> = tasks
        .iter()
        .map(|task| match task {
            Task::Echo(record) => Ok(Output::Echo(record.clone())),
            _ => unreachable!("every task is an Echo"),
        })
        .collect();
    let results = watch(
        "300 jobs of 2 KiB never came back: writing every job before reading any \
         result fills both pipes (the worker blocks writing answers nobody reads, \
         so it stops reading, and the next write blocks on its full input). Keep \
         one job in flight per worker: write it, read its answer, then the next",
        move |progress| {
            let pool = pool(2);
            let results = pool.map(tasks);
            progress.jobs_done();
            results
        },
    );
    assert!(
        results == expected,
        "300 Echo jobs should come back unchanged and in order; the first that did \
         not: {:?}",
        results
            .iter()
            .zip(&expected)
            .position(|(got, want)| got != want)
    );
}

#[test]
fn shutdown_stops_every_worker_and_leaves_no_child() {
    let scratch = Scratch::new("shutdown");
    let meet = scratch.meet(3);
    let met = watch(
        "three Meet jobs on three workers never finished: start all three \
         workers, and never hold the queue's lock while a job runs",
        move |progress| {
            let pool = pool(3);
            let results = pool.map(meet);
            progress.jobs_done();
            pool.shutdown(Duration::from_secs(3));
            results
        },
    );
    let workers = pids(&met);
    assert_eq!(
        workers.len(),
        3,
        "three Meet jobs on three workers should answer with their pids: {met:?}"
    );
    assert_none_left_behind(&workers, "after shutdown returned");
}

/// A Stubborn worker never exits by itself. If shutdown fails to kill it,
/// the test does, so that it does not outlive the test run.
#[test]
fn shutdown_kills_a_worker_that_outstays_the_grace_period() {
    let (tell, told) = mpsc::channel();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        watchdog(
            DEADLINE,
            "shutdown waited for ever on a worker that does not exit when its \
             input closes: give each worker the grace period, then kill it \
             (Worker::finish does both)",
            move || {
                let pool = pool(1);
                let results = pool.map([Task::Stubborn]);
                let _ = tell.send(pids(&results));
                pool.shutdown(Duration::from_millis(200));
                results
            },
        )
    }));
    let results = outcome.unwrap_or_else(|payload| {
        kill_left_behind(&told.try_recv().unwrap_or_default());
        panic::resume_unwind(payload)
    });
    let stubborn = pids(&results);
    assert_eq!(
        stubborn.len(),
        1,
        "a Stubborn job answers its worker's pid: {results:?}"
    );
    assert_none_left_behind(&stubborn, "after shutdown returned");
}

#[test]
fn dropping_the_pool_shuts_it_down() {
    let scratch = Scratch::new("drop");
    let meet = scratch.meet(2);
    let met = watch(
        "two Meet jobs on two workers never finished: start both workers, and \
         never hold the queue's lock while a job runs",
        move |progress| {
            let pool = pool(2);
            let results = pool.map(meet);
            progress.jobs_done();
            drop(pool);
            results
        },
    );
    let workers = pids(&met);
    assert_eq!(
        workers.len(),
        2,
        "two Meet jobs on two workers should answer with their pids: {met:?}"
    );
    assert_none_left_behind(&workers, "after the pool was dropped");
}
