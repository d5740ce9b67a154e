//! The spec for chapter 11. Run with `cargo test -p process`.
//!
//! Every job is a line for the worker program, `src/bin/process-worker.rs`
//! (`square 12`, `pid`, `shout 1000000`, `meet DIR 4 3000`, `hang DIR`,
//! `exit 7`, `panic`, `abort`): its header says what each one does.
//!
//! Two instruments live here rather than in the test kit, because they only
//! make sense for processes:
//! - `Scratch`, a fresh directory per test, where workers leave their pids
//!   and meet each other;
//! - `left_behind`, which reads `/proc` to find which of the given pids are
//!   still children of this test process (running, or dead but not reaped:
//!   a zombie). The tests in this file run in parallel threads of one
//!   process, so each test checks the pids of its own workers only.

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use process::{Answer, JobError, run_all, start};
use testkit::{DEADLINE, eventually, kill_left_behind, left_behind, watchdog};

fn worker() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_process-worker"))
}

/// The deadline for jobs that should succeed: far longer than any of them
/// takes, even on a loaded machine, so that the watchdog (five seconds)
/// fires first when something blocks, and names the likely mistake.
const PATIENCE: Duration = Duration::from_secs(60);

/// A directory of its own for one test, removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "nogil-process-{}-{test}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("the temp directory should be writable");
        Scratch(dir)
    }

    fn path(&self) -> &str {
        self.0
            .to_str()
            .expect("the temp directory has a UTF-8 path")
    }

    /// The pids the workers left in the directory.
    fn pids(&self) -> Vec<u32> {
        fs::read_dir(&self.0)
            .expect("the scratch directory exists while the test runs")
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
            .collect()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs `body` under the watchdog. If it fails, first kills every worker that
/// left its pid in `scratch` and is still a child of this process: a `hang`
/// worker stuck behind a blocked wait would otherwise outlive the test run
/// (and keep its inherited stderr open).
fn watch_hung<T: Send + 'static>(
    scratch: &Scratch,
    on_timeout: &str,
    body: impl FnOnce() -> T + Send + 'static,
) -> T {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        watchdog(DEADLINE, on_timeout, body)
    }));
    outcome.unwrap_or_else(|payload| {
        kill_left_behind(&scratch.pids());
        panic::resume_unwind(payload)
    })
}

/// How long a thread has been on a CPU or in line for one, from its
/// `/proc/<pid>/task/<tid>/schedstat` (nanoseconds on the CPU, nanoseconds
/// waiting to run, ...). A busy loop wants the CPU all the time, however
/// loaded the machine is; a thread that sleeps or blocks hardly ever does.
fn time_wanting_a_cpu(schedstat: &Path) -> Option<Duration> {
    let text = fs::read_to_string(schedstat).ok()?;
    let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().ok());
    let (on_cpu, in_line) = (fields.next()??, fields.next()??);
    Some(Duration::from_nanos(on_cpu + in_line))
}

fn assert_none_left_behind(pids: &[u32], what: &str) {
    let mut pids = pids.to_vec();
    pids.sort_unstable();
    pids.dedup();
    if left_behind(&pids).is_empty() {
        return;
    }
    // The verdict is already given; this only lets a killed worker finish
    // dying, so that the message can tell a zombie from a running process.
    eventually(Duration::from_secs(1), || {
        left_behind(&pids).iter().all(|(_, state)| *state == 'Z')
    });
    let left = left_behind(&pids);
    let zombies = left.iter().any(|(_, state)| *state == 'Z');
    panic!(
        "{what}: {} worker(s) are still children of the test process \
         (pid, state): {left:?}. {}",
        left.len(),
        if zombies {
            "State Z is a zombie: the process is dead but nobody waited for it. \
             After kill(), call wait() to reap it (in KillOnDrop's drop, too)."
        } else {
            "They are still running: kill a worker that missed its deadline, \
             and make KillOnDrop kill and then wait."
        }
    );
}

/// The pid a result names, whether it is an answer or an error.
fn pid_of(result: &Result<Answer, JobError>) -> Option<u32> {
    match result {
        Ok(answer) => Some(answer.pid),
        Err(JobError::Exited { pid, .. })
        | Err(JobError::Signaled { pid, .. })
        | Err(JobError::TimedOut { pid }) => Some(*pid),
        Err(JobError::Io(_)) => None,
    }
}

fn pids_of(results: &[Result<Answer, JobError>]) -> Vec<u32> {
    results.iter().filter_map(pid_of).collect()
}

fn describe(result: &Result<Answer, JobError>) -> String {
    match result {
        Ok(answer) => {
            format!("Ok(pid {}, {:?})", answer.pid, shorten(&answer.output))
        }
        Err(error) => format!("Err({error})"),
    }
}

fn shorten(text: &str) -> String {
    if text.len() <= 40 {
        text.to_owned()
    } else {
        format!("{}… ({} bytes)", &text[..40], text.len())
    }
}

#[test]
fn a_job_goes_in_on_stdin_and_its_answer_comes_out_on_stdout() {
    let (result, pid) = watchdog(
        DEADLINE,
        "the worker never answered `square 12`. It reads its job up to the end \
         of its input: after writing the job, close its stdin (take it out of \
         the Child and drop it), or the worker waits for more for ever",
        || {
            let running = start(worker(), "square 12")
                .expect("start should spawn the worker and hand it the job");
            let pid = running.pid();
            (running.finish(Instant::now() + PATIENCE), pid)
        },
    );
    match &result {
        Ok(answer) => {
            assert_eq!(
                answer.output, "144",
                "the worker answers `square 12` with 144 on its stdout: return \
                 everything it wrote there as the output"
            );
            assert_eq!(
                answer.pid, pid,
                "the answer should name the pid of the worker that did the job"
            );
        }
        Err(error) => panic!(
            "`square 12` should succeed, but finish returned Err({error}): pipe the \
             worker's stdin and stdout, write the job, close stdin, read stdout"
        ),
    }
    assert_none_left_behind(&[pid], "after finish returned");
}

#[test]
fn each_job_runs_in_a_process_of_its_own() {
    let results = watchdog(
        DEADLINE,
        "four `pid` jobs never finished: start each worker, close its stdin, and \
         read its stdout",
        || run_all(worker(), &["pid"; 4], PATIENCE),
    );
    assert_eq!(
        results.len(),
        4,
        "run_all should return one result per job, in the order of the jobs"
    );
    let me = std::process::id();
    let mut seen = Vec::new();
    for result in &results {
        let answer = result.as_ref().unwrap_or_else(|error| {
            panic!("a `pid` job should succeed, but it returned Err({error})")
        });
        assert_eq!(
            answer.output,
            answer.pid.to_string(),
            "the worker answered with its own pid, {}, but the Answer says pid {}: \
             take the pid from the Child you spawned (Child::id)",
            answer.output,
            answer.pid
        );
        assert_ne!(
            answer.pid, me,
            "the job ran in the test process itself: spawn a worker process with \
             std::process::Command"
        );
        seen.push(answer.pid);
    }
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(
        seen.len(),
        4,
        "four jobs ran in {} processes: run each job in a process of its own",
        seen.len()
    );
    assert_none_left_behind(&pids_of(&results), "after run_all returned");
}

/// Each `meet` worker leaves its pid in the scratch directory and waits until
/// four pids are there. That happens only if four workers are alive at the
/// same moment; one at a time, the first waits in vain and gives up.
#[test]
fn all_workers_are_alive_at_the_same_moment() {
    let scratch = Scratch::new("meet");
    let job = format!("meet {} 4 3000", scratch.path());
    let hint = "run_all must start every worker before it waits for any: are you \
                waiting on each child right after spawning it?";
    let results = watchdog(
        DEADLINE,
        &format!("the four `meet` workers never met. {hint}"),
        move || run_all(worker(), &[job.as_str(); 4], PATIENCE),
    );
    for (i, result) in results.iter().enumerate() {
        assert!(
            result.is_ok(),
            "`meet` job {i} returned {}: only some of the four workers were alive \
             at the same moment. {hint}",
            describe(result)
        );
    }
    assert_none_left_behind(&scratch.pids(), "after run_all returned");
}

#[test]
fn a_panicking_worker_fails_only_its_own_job() {
    let results = watchdog(
        DEADLINE,
        "three short jobs, one of which panics, never finished",
        || run_all(worker(), &["square 2", "panic", "square 3"], PATIENCE),
    );
    let answers: Vec<String> = results.iter().map(describe).collect();
    assert_eq!(results.len(), 3, "one result per job: got {answers:?}");
    assert!(
        matches!(&results[1], Err(JobError::Exited { code: 101, .. })),
        "the worker that panicked exited with code 101, but its job returned {}: \
         check the exit status (status.success(), status.code()) before trusting \
         the output, and report a failure as JobError::Exited",
        answers[1]
    );
    for (i, expected) in [(0, "4"), (2, "9")] {
        assert!(
            matches!(&results[i], Ok(answer) if answer.output == expected),
            "job {i} should have answered {expected} even though another worker \
             panicked, but it returned {}: a crash is an error for its own job \
             only",
            answers[i]
        );
    }
    assert_none_left_behind(&pids_of(&results), "after run_all returned");
}

#[test]
fn an_exit_code_other_than_zero_is_an_error_that_names_it() {
    let results = watchdog(DEADLINE, "`exit 7` and `exit 0` never finished", || {
        run_all(worker(), &["exit 7", "exit 0"], PATIENCE)
    });
    let answers: Vec<String> = results.iter().map(describe).collect();
    assert!(
        matches!(&results[0], Err(JobError::Exited { code: 7, .. })),
        "a worker that exits with code 7 failed its job, but run_all returned {}: \
         read the exit status's code() and return JobError::Exited with it",
        answers[0]
    );
    assert!(
        matches!(&results[1], Ok(answer) if answer.output.is_empty()),
        "a worker that exits with code 0 and writes nothing succeeded with an empty \
         answer, but run_all returned {}",
        answers[1]
    );
    assert_none_left_behind(&pids_of(&results), "after run_all returned");
}

#[test]
fn a_worker_ended_by_a_signal_is_an_error_that_names_the_signal() {
    let results = watchdog(DEADLINE, "the `abort` job never finished", || {
        run_all(worker(), &["abort"], PATIENCE)
    });
    assert!(
        matches!(&results[..], [Err(JobError::Signaled { signal: 6, .. })]),
        "a worker that aborts is ended by the signal SIGABRT (6) and has no exit \
         code, but run_all returned {:?}: when status.code() is None, read \
         std::os::unix::process::ExitStatusExt::signal() and return \
         JobError::Signaled",
        results.iter().map(describe).collect::<Vec<_>>()
    );
    assert_none_left_behind(&pids_of(&results), "after run_all returned");
}

#[test]
fn a_hung_worker_is_killed_at_the_deadline_and_reaped() {
    let scratch = Scratch::new("hang");
    let job = format!("hang {}", scratch.path());
    let results = watch_hung(
        &scratch,
        "a worker that never ends was not stopped at its 300 ms deadline: wait \
         with try_wait in a loop, and kill the worker once the deadline has \
         passed. Nothing may block before that: its output ends only when it \
         does, so join the reading thread after the loop, not before",
        move || run_all(worker(), &[job], Duration::from_millis(300)),
    );
    assert!(
        matches!(&results[..], [Err(JobError::TimedOut { .. })]),
        "the hung worker should come back as JobError::TimedOut, but run_all \
         returned {:?}",
        results.iter().map(describe).collect::<Vec<_>>()
    );
    // On a loaded machine the worker may be killed before it left its pid.
    let mut pids = scratch.pids();
    if let Some(&marked) = pids.first() {
        assert_eq!(
            pid_of(&results[0]),
            Some(marked),
            "TimedOut should name the pid of the worker that hung"
        );
    }
    pids.extend(pids_of(&results));
    assert_none_left_behind(&pids, "after the hung worker was killed");
}

/// Twenty workers that never end, and a timeout of 300 ms: all of them must
/// be stopped 300 ms after run_all was called. A deadline computed afresh for
/// each job gives them 300 ms one after another, six seconds in all, and the
/// watchdog (five seconds) names the mistake.
#[test]
fn one_deadline_counts_for_every_job() {
    let scratch = Scratch::new("deadline");
    let jobs = vec![format!("hang {}", scratch.path()); 20];
    let results = watch_hung(
        &scratch,
        "twenty hung workers with a timeout of 300 ms were not all stopped within \
         5 s: `timeout` is one deadline for all the jobs, counted from when \
         run_all was called. Compute Instant::now() + timeout once, before the \
         first finish, not once per job",
        move || run_all(worker(), &jobs, Duration::from_millis(300)),
    );
    assert!(
        results
            .iter()
            .all(|result| matches!(result, Err(JobError::TimedOut { .. }))),
        "every hung worker should come back as JobError::TimedOut, but run_all \
         returned {:?}",
        results.iter().map(describe).collect::<Vec<_>>()
    );
    let mut pids = scratch.pids();
    pids.extend(pids_of(&results));
    assert_none_left_behind(&pids, "after the hung workers were killed");
}

/// While `finish` waits 300 ms for a worker that is busy, the waiting thread
/// must hardly want a CPU: `/proc` counts the time it spent on one or in line
/// for one, which for a loop around `try_wait` with no pause is nearly all of
/// it, on a loaded machine too. The test then kills the worker itself, so
/// that `finish` returns at once.
#[test]
fn waiting_for_a_worker_does_not_burn_a_core() {
    const WINDOW: Duration = Duration::from_millis(300);
    let scratch = Scratch::new("idle");
    let job = format!("hang {}", scratch.path());
    let (busy, result, pid) = watch_hung(
        &scratch,
        "finish did not return after its worker was killed",
        move || {
            let running = start(worker(), &job)
                .expect("start should spawn the worker and hand it the job");
            let pid = running.pid();
            let (tell, told) = mpsc::channel();
            let waiter = thread::spawn(move || {
                // "<pid>/task/<tid>", on Linux only.
                let _ = tell.send(fs::read_link("/proc/thread-self").ok());
                running.finish(Instant::now() + Duration::from_secs(4))
            });
            let schedstat = told
                .recv()
                .ok()
                .flatten()
                .map(|task| Path::new("/proc").join(task).join("schedstat"));
            let wanted = |stat: &Option<PathBuf>| {
                stat.as_deref().and_then(time_wanting_a_cpu)
            };
            let (before, from) = (wanted(&schedstat), Instant::now());
            thread::sleep(WINDOW);
            let (after, to) = (wanted(&schedstat), Instant::now());
            // Without /proc, or once finish has returned, there is no verdict.
            let busy = match (before, after) {
                (Some(before), Some(after)) => {
                    (after.saturating_sub(before)).as_secs_f64()
                        / (to - from).as_secs_f64()
                }
                _ => 0.0,
            };
            kill_left_behind(&[pid]);
            let result = waiter
                .join()
                .unwrap_or_else(|panic| panic::resume_unwind(panic));
            (busy, result, pid)
        },
    );
    assert!(
        busy < 0.8,
        "finish kept its thread on a CPU, or in line for one, {:.0}% of the time \
         it waited for a busy worker: a loop around try_wait with no pause burns \
         a core for nothing. Sleep a millisecond (thread::sleep) between two \
         try_wait calls",
        busy * 100.0
    );
    assert!(
        matches!(result, Err(JobError::Signaled { signal: 9, .. })),
        "the test killed the worker with SIGKILL (9) while finish waited for it, \
         so finish should return JobError::Signaled, but it returned {}",
        describe(&result)
    );
    assert_none_left_behind(&[pid], "after finish returned");
}

#[test]
fn dropping_a_running_job_kills_and_reaps_its_worker() {
    let scratch = Scratch::new("drop");
    let job = format!("hang {}", scratch.path());
    let dir = scratch.0.clone();
    let pid = watch_hung(
        &scratch,
        "dropping a Running job never returned: KillOnDrop should kill the \
         worker before it waits for it",
        move || {
            let running = start(worker(), &job)
                .expect("start should spawn the worker and hand it the job");
            let pid = running.pid();
            // Let the worker get going, so that the kill meets a process
            // that has started its job.
            let started = eventually(Duration::from_secs(3), || {
                fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some())
            });
            assert!(started, "the `hang` worker never started its job");
            drop(running);
            pid
        },
    );
    assert_none_left_behind(&[pid], "after a Running job was dropped");
}

/// The worker writes one million bytes. A pipe holds 64 KiB: if nobody reads
/// while the worker writes, it blocks for ever and never exits.
#[test]
fn a_large_answer_does_not_wait_on_a_full_pipe() {
    let results = watchdog(
        DEADLINE,
        "the worker's 1,000,000-byte answer never arrived. A pipe holds 64 KiB: \
         the worker blocks writing into the full pipe, so it never exits, while \
         you wait for it to exit before reading. Read its stdout while it runs \
         (on a thread of its own, started before you wait), not after wait",
        || run_all(worker(), &["shout 1000000"], PATIENCE),
    );
    match &results[..] {
        [Ok(answer)] => assert!(
            answer.output.len() == 1_000_000
                && answer.output.bytes().all(|b| b == b'x'),
            "the worker wrote 1,000,000 letters x, but the answer has {} bytes: \
             read its stdout to the end",
            answer.output.len()
        ),
        other => panic!(
            "`shout 1000000` should succeed, but run_all returned {:?}",
            other.iter().map(describe).collect::<Vec<_>>()
        ),
    }
    assert_none_left_behind(&pids_of(&results), "after run_all returned");
}
