//! Helpers the course's tests share.
//!
//! A sequential program computes the same answers as a concurrent one, so the
//! exercises' tests cannot only check results: they observe *how* the work ran.
//! This crate holds the instruments they use, each built to give a verdict that
//! does not depend on how busy the machine is:
//!
//! - [`watchdog`] runs a test body with a deadline, so a deadlock or a lost
//!   wake-up fails in seconds with a message instead of hanging the run;
//! - [`Rendezvous`] opens only when N tasks are in flight at the same moment,
//!   which proves concurrency without racing the clock;
//! - [`InFlight`] records the greatest number of tasks running at once, which
//!   proves an upper bound ("never more than 4 at once");
//! - [`ThreadLog`] records which threads ran the work, which proves reuse
//!   ("100 tasks ran on exactly 4 threads");
//! - [`mod@bench`] reports benchmark figures in the format `cargo course bench`
//!   turns into tables;
//! - `http` (feature `http`) is a loopback fixture server in the spirit of
//!   httpbin for the I/O chapters.
//!
//! Deadlines here are generous (seconds, not milliseconds): they exist to turn
//! a hang into a message, never to judge speed. Speed is measured by the
//! benchmarks, where it is reported rather than asserted.

use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

pub mod bench;
#[cfg(feature = "http")]
pub mod http;

/// The deadline the exercises' tests use unless they need another: long enough
/// that a loaded two-core machine never trips it on a correct solution, short
/// enough that a learner waiting on a deadlock gets a verdict quickly.
pub const DEADLINE: Duration = Duration::from_secs(5);

/// Runs `body` on its own thread and waits at most `deadline` for it.
///
/// When the body finishes, its value is returned and a panic inside it is
/// re-raised here unchanged, so assertion messages reach the test output.
/// When the deadline passes first, this panics with `on_timeout`, a sentence
/// that should name the mistake that most likely caused the hang. The stuck
/// thread cannot be killed; it is left behind and dies with the test process.
///
/// ```
/// let sum = testkit::watchdog(testkit::DEADLINE, "the sum never finished", || 2 + 2);
/// assert_eq!(sum, 4);
/// ```
pub fn watchdog<T, F>(deadline: Duration, on_timeout: &str, body: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (done, outcome) = mpsc::channel();
    thread::Builder::new()
        .name("watched".into())
        .spawn(move || {
            let result = panic::catch_unwind(AssertUnwindSafe(body));
            // The receiver is gone only if the deadline already passed.
            let _ = done.send(result);
        })
        .expect(
            "the watchdog could not start a thread: is the machine out of memory?",
        );
    match outcome.recv_timeout(deadline) {
        Ok(Ok(value)) => value,
        Ok(Err(panic_payload)) => panic::resume_unwind(panic_payload),
        Err(RecvTimeoutError::Timeout) => {
            panic!("still running after {deadline:?}: {on_timeout}")
        }
        Err(RecvTimeoutError::Disconnected) => {
            unreachable!("the watched thread always reports before it ends")
        }
    }
}

/// Takes a lock even if a panicking test thread poisoned it: the instruments'
/// own state stays consistent because every update is a single assignment.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A meeting point that opens only when `parties` tasks are waiting at it at
/// the same moment, or fails when they do not all arrive before a deadline.
///
/// Put [`Rendezvous::arrive`] inside the task under test. If the code runs the
/// tasks one after another, the first task waits for the others, which cannot
/// start until it returns: the deadline passes and `arrive` panics with the
/// number that made it and the hint you gave. A correct concurrent program
/// opens it at once, however loaded the machine is.
///
/// Unlike [`std::sync::Barrier`], it cannot hang a test, and it opens once:
/// later arrivals pass straight through.
#[derive(Debug)]
pub struct Rendezvous {
    parties: usize,
    deadline: Duration,
    hint: String,
    /// (arrived so far, abandoned)
    arrived: Mutex<(usize, bool)>,
    all_here: Condvar,
}

/// Abandons a [`Rendezvous`] if the thread holding this guard panics, so
/// that the other parties stop waiting at once instead of at the deadline:
/// a skeleton's `todo!()` then fails its test in milliseconds, not seconds.
#[derive(Debug)]
pub struct AbandonOnPanic<'a>(pub &'a Rendezvous);

impl Drop for AbandonOnPanic<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.abandon();
        }
    }
}

impl Rendezvous {
    /// A rendezvous of `parties` tasks with the default [`DEADLINE`]. `hint`
    /// names the likely mistake when they never are all in flight together.
    pub fn new(parties: usize, hint: &str) -> Self {
        Self::with_deadline(parties, DEADLINE, hint)
    }

    pub fn with_deadline(parties: usize, deadline: Duration, hint: &str) -> Self {
        assert!(parties > 0, "a rendezvous needs at least one party");
        Rendezvous {
            parties,
            deadline,
            hint: hint.to_owned(),
            arrived: Mutex::new((0, false)),
            all_here: Condvar::new(),
        }
    }

    /// Waits until all parties have arrived. Panics after the deadline, or
    /// as soon as the rendezvous is [abandoned](Self::abandon).
    pub fn arrive(&self) {
        let mut arrived = lock(&self.arrived);
        arrived.0 += 1;
        if arrived.0 >= self.parties {
            self.all_here.notify_all();
            return;
        }
        let (arrived, timeout) = self
            .all_here
            .wait_timeout_while(arrived, self.deadline, |(n, abandoned)| {
                *n < self.parties && !*abandoned
            })
            .unwrap_or_else(PoisonError::into_inner);
        if arrived.1 && arrived.0 < self.parties {
            panic!(
                "another task stopped before it reached the meeting point (it panicked; \
                 its message is above)"
            );
        }
        if timeout.timed_out() {
            let k = arrived.0;
            panic!(
                "only {k} of {n} tasks were running at the same moment (waited {d:?}). {hint}",
                n = self.parties,
                d = self.deadline,
                hint = self.hint,
            );
        }
    }

    /// How many parties have arrived so far.
    pub fn arrived(&self) -> usize {
        lock(&self.arrived).0
    }

    /// Gives up on the meeting: every party waiting now, or arriving later
    /// while some are missing, panics at once. Never panics itself, so it
    /// may be called while a thread unwinds (see [`AbandonOnPanic`]).
    pub fn abandon(&self) {
        lock(&self.arrived).1 = true;
        self.all_here.notify_all();
    }
}

/// Counts the tasks inside a region right now and the most ever seen at once.
///
/// Hold the guard from [`InFlight::enter`] for the duration of the task. The
/// recorded maximum proves an upper bound on concurrency: a pool of four that
/// ever shows five has a bug, however the threads were scheduled. (It cannot
/// prove a lower bound on a loaded machine; use [`Rendezvous`] for that.)
#[derive(Debug, Default)]
pub struct InFlight {
    counts: Mutex<(usize, usize)>,
}

/// Leaves the region when dropped. Returned by [`InFlight::enter`].
#[derive(Debug)]
#[must_use = "the task leaves the region as soon as the guard is dropped"]
pub struct InFlightGuard<'a> {
    probe: &'a InFlight,
}

impl InFlight {
    pub fn new() -> Self {
        Self::default()
    }

    /// Enters the region; returns a guard that leaves it when dropped.
    pub fn enter(&self) -> InFlightGuard<'_> {
        let mut counts = lock(&self.counts);
        counts.0 += 1;
        counts.1 = counts.1.max(counts.0);
        InFlightGuard { probe: self }
    }

    /// How many are inside right now.
    pub fn current(&self) -> usize {
        lock(&self.counts).0
    }

    /// The greatest number that were inside at the same moment.
    pub fn max(&self) -> usize {
        lock(&self.counts).1
    }
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        lock(&self.probe.counts).0 -= 1;
    }
}

/// Records which thread ran each piece of work.
///
/// Call [`ThreadLog::record`] from inside the task. Comparing the set of
/// threads with the caller's thread, or counting its members, shows whether
/// work left the calling thread at all and whether a pool reused its workers.
#[derive(Debug, Default)]
pub struct ThreadLog {
    entries: Mutex<Vec<(ThreadId, Option<String>)>>,
}

impl ThreadLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes the current thread (and its name, if it has one).
    pub fn record(&self) {
        let me = thread::current();
        lock(&self.entries).push((me.id(), me.name().map(str::to_owned)));
    }

    /// How many records were made.
    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The distinct threads that made records.
    pub fn threads(&self) -> HashSet<ThreadId> {
        lock(&self.entries).iter().map(|(id, _)| *id).collect()
    }

    /// The names of the threads that made records, one per record, in the
    /// order they were made (unnamed threads appear as `None`).
    pub fn names(&self) -> Vec<Option<String>> {
        lock(&self.entries)
            .iter()
            .map(|(_, name)| name.clone())
            .collect()
    }

    /// Whether any record was made on the current thread.
    pub fn includes_current(&self) -> bool {
        let me = thread::current().id();
        lock(&self.entries).iter().any(|(id, _)| *id == me)
    }
}

/// The text of a caught panic's payload: `panic!("…")` carries a `&str` or
/// a `String`; anything else (from `panic_any`) has no text to show.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// The pids among `pids` that are still children of this process, each with
/// its state from `/proc/<pid>/stat` (`Z` is a zombie: dead, never waited
/// for). Tests of one binary run side by side in one process, so a test asks
/// about the pids it started, never about all children. Linux only.
pub fn left_behind(pids: &[u32]) -> Vec<(u32, char)> {
    let me = std::process::id();
    pids.iter()
        .filter_map(|&pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The name in parentheses may hold spaces; the fields after it
            // are the state and the parent's pid.
            let after_name = &stat[stat.rfind(')')? + 1..];
            let mut fields = after_name.split_whitespace();
            let state = fields.next()?.chars().next()?;
            let parent: u32 = fields.next()?.parse().ok()?;
            (parent == me).then_some((pid, state))
        })
        .collect()
}

/// Kills (SIGKILL) those of `pids` that are still children of this process,
/// as [`left_behind`] finds them, and returns how many it killed. A test
/// that fails calls it before it passes its panic on, so that a worker its
/// code under test lost track of does not outlive the test run. The kill
/// goes through the `kill` command: std can only kill a `Child` it holds.
pub fn kill_left_behind(pids: &[u32]) -> usize {
    let left = left_behind(pids);
    for (pid, _) in &left {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
    left.len()
}

/// A thread watched from outside, through `/proc` (Linux): whether it has
/// stopped running to wait in the kernel, as a thread blocked in `recv`, in
/// `lock` or on a full channel does.
///
/// ```
/// let watch = testkit::ThreadWatch::this_thread();
/// // ...hand `watch` to another thread, which can then wait until this one
/// // is blocked before it acts:
/// watch.wait_until_asleep(std::time::Duration::from_millis(10));
/// ```
#[derive(Debug, Clone)]
pub struct ThreadWatch {
    /// `/proc/<pid>/task/<tid>/stat`; `None` without `/proc`.
    stat: Option<std::path::PathBuf>,
}

impl ThreadWatch {
    /// The calling thread.
    pub fn this_thread() -> ThreadWatch {
        // "/proc/thread-self" links to "<pid>/task/<tid>".
        let stat = std::fs::read_link("/proc/thread-self")
            .ok()
            .map(|task| std::path::Path::new("/proc").join(task).join("stat"));
        ThreadWatch { stat }
    }

    /// Whether `/proc` is there to show the thread (Linux): without it,
    /// [`wait_until_asleep`](Self::wait_until_asleep) sees nothing.
    pub fn can_see(&self) -> bool {
        self.stat.is_some()
    }

    /// The state `/proc` shows for the thread: `R` running or runnable, `S`
    /// asleep, `Z` or `X` ending; `None` once it has ended, or without
    /// `/proc`.
    pub fn state(&self) -> Option<char> {
        let text = std::fs::read_to_string(self.stat.as_ref()?).ok()?;
        // The state is the first field after the name in parentheses.
        let (_, rest) = text.rsplit_once(')')?;
        rest.trim_start().chars().next()
    }

    /// Waits until the thread is asleep in the kernel, seen so twice in a
    /// row, or has ended; returns whether it was seen so before `deadline`.
    /// Without `/proc` it cannot see the thread, so it gives it a fixed
    /// 300 ms to get there and returns `false`.
    pub fn wait_until_asleep(&self, deadline: Duration) -> bool {
        if self.stat.is_none() {
            thread::sleep(Duration::from_millis(300));
            return false;
        }
        let mut asleep = 0;
        eventually(deadline, || {
            match self.state() {
                Some('S') => asleep += 1,
                Some('Z' | 'X') | None => return true,
                Some(_) => asleep = 0,
            }
            asleep >= 2
        })
    }
}

/// Busy-works for `duration` of wall time and returns a value that depends on
/// the work, so the optimizer cannot remove it. Stands in for "CPU-bound work"
/// in tests that need a task to occupy a core for a while.
pub fn spin_for(duration: Duration) -> u64 {
    let start = Instant::now();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while start.elapsed() < duration {
        for _ in 0..1_000 {
            x = x.rotate_left(5) ^ x.wrapping_mul(0x2545_F491_4F6C_DD1D);
        }
    }
    std::hint::black_box(x)
}

/// Polls `condition` until it holds or `deadline` passes; returns whether it
/// held. For waiting on another thread's progress where no signal exists.
pub fn eventually(deadline: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if condition() {
            return true;
        }
        if start.elapsed() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(1));
    }
}
