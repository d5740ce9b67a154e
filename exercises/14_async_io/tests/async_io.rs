//! The spec for chapter 14. Run with `cargo test -p async_io`.
//!
//! Two kinds of test. Those about `run_all` pass jobs that sleep on tokio's
//! *paused* clock: time stands still while any task can run and jumps to the
//! next timer when none can, so "100 ms" takes microseconds and the order in
//! which jobs finish is exact, however busy the machine. Those about real
//! I/O talk to the test kit's fixture server on 127.0.0.1 and run on a
//! runtime with a single thread, beside a ticker task that can only tick
//! while nothing blocks that thread.

use std::collections::BTreeSet;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::thread::{self, ThreadId};
use std::time::Duration;

use async_io::{Reply, fetch_all, get, run_all, run_blocking};
use testkit::http::FixtureServer;
use testkit::{DEADLINE, InFlight, eventually, watchdog};
use tokio::runtime::Builder;
use tokio::time::{Instant, sleep};

const MS: Duration = Duration::from_millis(1);

/// A path the fixture answers only after a minute: a request to it waits
/// until it times out or the test ends.
const HELD: &str = "/delay/60000";

/// Runs the future that `make` builds on a new single-threaded runtime with
/// tokio's clock paused, under a watchdog.
fn paused<F>(
    on_timeout: &str,
    make: impl FnOnce() -> F + Send + 'static,
) -> F::Output
where
    F: Future,
    F::Output: Send + 'static,
{
    watchdog(DEADLINE, on_timeout, move || {
        Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("build a single-threaded tokio runtime")
            .block_on(make())
    })
}

/// Runs the future that `make` builds on a new single-threaded runtime with
/// real time and real sockets, under a watchdog.
fn real<F>(on_timeout: &str, make: impl FnOnce() -> F + Send + 'static) -> F::Output
where
    F: Future,
    F::Output: Send + 'static,
{
    watchdog(DEADLINE, on_timeout, move || {
        Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("build a single-threaded tokio runtime")
            .block_on(make())
    })
}

/// Awaits `work` beside a ticker task that counts every 5 ms, and returns
/// the work's output with the number of ticks while it ran.
///
/// On a runtime with one thread the ticker runs only when the work is
/// parked at an `.await`. Work that blocks the thread (a `std::net` socket,
/// `std::thread::sleep`) lets it tick not once, however long it takes.
async fn ticks_during<F: Future>(work: F) -> (F::Output, usize) {
    let ticks = Arc::new(AtomicUsize::new(0));
    let ticker = tokio::spawn({
        let ticks = Arc::clone(&ticks);
        async move {
            let mut every = tokio::time::interval(5 * MS);
            loop {
                every.tick().await;
                ticks.fetch_add(1, SeqCst);
            }
        }
    });
    // Let the ticker start (its first tick is immediate) before the work.
    while ticks.load(SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    let before = ticks.load(SeqCst);
    let output = work.await;
    let during = ticks.load(SeqCst) - before;
    ticker.abort();
    (output, during)
}

#[test]
fn get_reads_the_status_and_the_body() {
    let server = FixtureServer::start();
    let addr = server.addr();
    let (bytes, missing, large) = real(
        "get never returned from an instant request",
        move || async move {
            (
                get(addr, "/bytes/100").await,
                get(addr, "/status/404").await,
                get(addr, "/bytes/1000000").await,
            )
        },
    );
    let bytes = bytes.expect("GET /bytes/100 from the fixture should succeed");
    assert_eq!(
        bytes,
        Reply {
            status: 200,
            bytes: 100
        },
        "GET /bytes/100 answers 200 with 100 bytes: send `request(addr, path)`, \
         read the answer to its end, and hand it to parse_reply"
    );
    let large = large.expect("GET /bytes/1000000 from the fixture should succeed");
    assert_eq!(
        large,
        Reply {
            status: 200,
            bytes: 1_000_000
        },
        "GET /bytes/1000000 answers 200 with a million bytes, which arrive in many \
         pieces: one read() returns only what has arrived so far. Read until the \
         server closes the connection (read_to_end)"
    );
    let missing = missing.expect("GET /status/404 should still be an answer");
    assert_eq!(
        missing,
        Reply {
            status: 404,
            bytes: 0
        },
        "an error status is still an answer here: return it as a Reply"
    );
}

#[test]
fn get_lets_other_tasks_run_while_it_waits() {
    let server = FixtureServer::start();
    let addr = server.addr();
    let (reply, ticks) =
        real("get never returned from a 300 ms request", move || {
            ticks_during(async move { get(addr, "/delay/300").await })
        });
    let reply = reply.expect("GET /delay/300 from the fixture should succeed");
    assert_eq!(reply.status, 200, "GET /delay/300 answers 200");
    assert!(
        ticks >= 3,
        "a ticker task on the same one-thread runtime ticked {ticks} times while \
         get waited 300 ms for the server, instead of about 60: the wait blocked \
         the runtime's only thread. In async code, connect, write and read with \
         tokio::net::TcpStream and .await each step; std::net blocks the thread"
    );
}

#[test]
fn run_blocking_keeps_the_runtime_ticking() {
    let server = FixtureServer::start();
    let addr = server.addr();
    let ((ran_on, reply), ticks, runtime_thread) = real(
        "run_blocking never returned from a 300 ms blocking request",
        move || async move {
            let runtime_thread = thread::current().id();
            let (output, ticks) = ticks_during(run_blocking(move || {
                (
                    thread::current().id(),
                    async_io::blocking_get(addr, "/delay/300"),
                )
            }))
            .await;
            (output, ticks, runtime_thread)
        },
    );
    let reply: io::Result<Reply> = reply;
    let ran_on: ThreadId = ran_on;
    assert_eq!(
        reply.expect("the blocking request should succeed").status,
        200,
        "run_blocking must return what the function returned"
    );
    assert!(
        ran_on != runtime_thread,
        "a ticker task on the same one-thread runtime ticked {ticks} times while \
         run_blocking waited 300 ms for a blocking request: the function ran on \
         the runtime's own thread and stalled it. Hand it to \
         tokio::task::spawn_blocking and await the handle"
    );
    assert!(
        ticks >= 3,
        "a ticker task on the same one-thread runtime ticked {ticks} times while \
         run_blocking waited 300 ms for a blocking request: the function ran on \
         another thread, but run_blocking waited for it by blocking the runtime's \
         own thread (a std JoinHandle::join, or a blocking recv). \
         Await tokio::task::spawn_blocking's handle instead, which parks only the \
         task"
    );
}

/// Every job enters an `InFlight` probe while it sleeps 100 ms of paused
/// time; the probe's maximum is the number that ran at the same moment.
#[test]
fn run_all_runs_up_to_the_limit_at_once() {
    let (peak, indices) = paused("run_all never returned from 12 jobs", || async {
        let probe = Arc::new(InFlight::new());
        let jobs: Vec<_> = (0..12)
            .map(|i| {
                let probe = Arc::clone(&probe);
                async move {
                    let _running = probe.enter();
                    sleep(100 * MS).await;
                    i
                }
            })
            .collect();
        let done = run_all(jobs, 4, 10 * 1000 * MS).await;
        let indices: BTreeSet<usize> = done
            .into_iter()
            .map(|(i, outcome)| {
                assert_eq!(outcome, Ok(i), "job {i} should return its own index");
                i
            })
            .collect();
        (probe.max(), indices)
    });
    assert!(
        peak >= 4,
        "only {peak} job(s) ran at the same moment with a limit of 4. Are you \
         awaiting each task right after spawning it? Spawn every job into a \
         JoinSet first, then collect them with join_next"
    );
    assert!(
        peak <= 4,
        "{peak} jobs ran at the same moment with a limit of 4: create a Semaphore \
         with `limit` permits and have each task acquire one before it starts its \
         job, holding it until the job is done"
    );
    assert_eq!(
        indices,
        (0..12).collect(),
        "run_all must return one (index, outcome) pair per job"
    );
}

#[test]
fn results_come_back_in_the_order_the_jobs_finish() {
    let order = paused("run_all never returned from 5 short jobs", || async {
        let sleeps = [300, 100, 400, 0, 200];
        let jobs: Vec<_> = sleeps
            .into_iter()
            .map(|ms| async move { sleep(ms * MS).await })
            .collect();
        let done = run_all(jobs, 5, 10 * 1000 * MS).await;
        done.into_iter().map(|(i, _)| i).collect::<Vec<usize>>()
    });
    assert_eq!(
        order,
        [3, 1, 4, 0, 2],
        "jobs sleeping [300, 100, 400, 0, 200] ms finish in the order [3, 1, 4, 0, \
         2], and run_all should hand them back in that order, as asyncio's \
         as_completed does. Collect with JoinSet::join_next, which returns each \
         task when it finishes, rather than awaiting the tasks in the order you \
         spawned them"
    );
}

#[test]
fn a_job_that_overruns_its_timeout_is_cut_off() {
    let (done, took) = paused("run_all never returned from two jobs", || async {
        let jobs: Vec<std::pin::Pin<Box<dyn Future<Output = &str> + Send>>> = vec![
            Box::pin(async {
                sleep(10 * 1000 * MS).await;
                "slow"
            }),
            Box::pin(async {
                sleep(100 * MS).await;
                "quick"
            }),
        ];
        let start = Instant::now();
        let done = run_all(jobs, 2, 250 * MS).await;
        (done, start.elapsed())
    });
    let outcomes: Vec<(usize, Option<&str>)> = done
        .iter()
        .map(|(i, outcome)| (*i, outcome.as_ref().ok().copied()))
        .collect();
    assert_eq!(
        outcomes,
        [(1, Some("quick")), (0, None)],
        "with a 250 ms timeout, the 100 ms job should succeed and the 10 s job be \
         cut off with an Elapsed error: wrap each job in \
         tokio::time::timeout(timeout, job)"
    );
    assert!(
        took < 1000 * MS,
        "run_all took {took:?} of tokio's (paused) time with a 250 ms timeout: the \
         slow job should have been dropped at its timeout"
    );
}

#[test]
fn the_timeout_starts_when_the_job_does() {
    let done = paused("run_all never returned from 3 jobs", || async {
        let jobs: Vec<_> = (0..3)
            .map(|i| async move {
                sleep(600 * MS).await;
                i
            })
            .collect();
        run_all(jobs, 1, 1000 * MS).await
    });
    for (i, outcome) in &done {
        assert!(
            outcome.is_ok(),
            "job {i} timed out, though it needs 600 ms of its 1 s: with a limit of 1 \
             it first waited for the jobs before it. The timeout must start when the \
             job does: acquire the permit first, then put tokio::time::timeout \
             around the job alone"
        );
    }
    assert_eq!(done.len(), 3, "run_all must return one pair per job");
}

/// One job of three panics. `run_all` must pass the panic on, as
/// `JoinHandle::join` does for a thread, rather than return the others' pairs
/// as if the batch had gone well.
#[test]
fn a_panic_in_a_job_reaches_the_caller() {
    let outcome = std::panic::catch_unwind(|| {
        paused("run_all never returned from 3 short jobs", || async {
            let jobs: Vec<_> = (0..3)
                .map(|i| async move {
                    sleep(10 * MS).await;
                    if i == 1 {
                        panic!("deliberate panic in job 1");
                    }
                    i
                })
                .collect();
            run_all(jobs, 3, 1000 * MS).await.len()
        })
    });
    match outcome {
        Ok(pairs) => panic!(
            "job 1 panicked, but run_all returned {pairs} pairs as if nothing \
             happened: join_next gives Err(JoinError) for a task that panicked. \
             Pass the panic on with std::panic::resume_unwind(error.into_panic())"
        ),
        Err(payload) => {
            let text = testkit::panic_text(&*payload);
            if text.starts_with("not yet implemented") {
                std::panic::resume_unwind(payload);
            }
            assert!(
                text.contains("deliberate panic in job 1"),
                "run_all panicked with {text:?}, not with the job's own panic: pass \
                 it on with std::panic::resume_unwind(error.into_panic())"
            );
        }
    }
}

/// Counts the jobs alive: incremented when one starts, decremented when it
/// is dropped, whether it finished or was aborted.
struct Alive(Arc<AtomicUsize>);

impl Alive {
    fn new(count: &Arc<AtomicUsize>) -> Alive {
        count.fetch_add(1, SeqCst);
        Alive(Arc::clone(count))
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

/// The caller gives up on `run_all` through a timeout of its own, which
/// drops the `run_all` future. Its tasks should go with it: on paused time,
/// a task still running would keep ticking while the test sleeps.
#[test]
fn giving_up_on_run_all_aborts_its_tasks() {
    let (gave_up, alive, ticks_after) = paused(
        "the test's own timeout around run_all never fired",
        || async {
            let ticks = Arc::new(AtomicUsize::new(0));
            let alive = Arc::new(AtomicUsize::new(0));
            let jobs: Vec<_> = (0..6)
                .map(|_| {
                    let (ticks, alive) = (Arc::clone(&ticks), Arc::clone(&alive));
                    async move {
                        let _alive = Alive::new(&alive);
                        loop {
                            sleep(7 * MS).await;
                            ticks.fetch_add(1, SeqCst);
                        }
                    }
                })
                .collect();
            let gave_up =
                tokio::time::timeout(100 * MS, run_all(jobs, 6, 60_000 * MS))
                    .await
                    .is_err();
            // Let the runtime drop the aborted tasks.
            sleep(MS).await;
            let before = ticks.load(SeqCst);
            sleep(500 * MS).await;
            (gave_up, alive.load(SeqCst), ticks.load(SeqCst) - before)
        },
    );
    assert!(gave_up, "jobs that never end cannot let run_all return");
    assert!(
        alive == 0 && ticks_after == 0,
        "after the caller gave up on run_all, {alive} of its 6 jobs were still \
         alive and ticked {ticks_after} more times. Keep the tasks in a JoinSet \
         owned by run_all: dropping the set aborts them, while a task started with \
         tokio::spawn runs on, detached, after its handle is dropped"
    );
}

/// The paths are held at the server, so no request finishes while the test
/// watches: an answered request may still be counted by the server for a
/// moment after the client has read it, which would blur the count. Three
/// must arrive; then the test gives a fourth a little while to show up. It
/// does not wait for the batch to end: the thread running `fetch_all` is left
/// to finish on its own once the server has gone.
#[test]
fn never_more_requests_at_the_server_than_the_limit() {
    let (three_arrived, crowded, peak) = watchdog(
        DEADLINE,
        "the test could not read the fixture server's counts",
        || {
            let server = FixtureServer::start();
            let addr = server.addr();
            let fetching = thread::spawn(move || {
                Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("build a single-threaded tokio runtime")
                    .block_on(fetch_all(
                        addr,
                        vec![HELD.to_owned(); 8],
                        3,
                        10_000 * MS,
                    ))
            });
            // Polled rather than waited for, so that a call that ended early
            // (a todo!, say) is reported at once rather than at the deadline.
            let three_arrived = eventually(2000 * MS, || {
                server.in_flight() >= 3 || fetching.is_finished()
            }) && server.in_flight() >= 3;
            let crowded = eventually(300 * MS, || server.max_in_flight() > 3);
            let peak = server.max_in_flight();
            if fetching.is_finished() {
                // It ended while every request was held: pass on its panic.
                let _ = fetching
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            }
            (three_arrived, crowded, peak)
        },
    );
    assert!(
        !crowded,
        "the server answered {peak} requests at the same moment from fetch_all with \
         a limit of 3: build it on run_all, whose Semaphore holds the limit"
    );
    assert!(
        three_arrived,
        "fetch_all with a limit of 3 had only {peak} request(s) at the server at \
         the same moment: spawn them all, and let the semaphore hold back the rest"
    );
}

#[test]
fn fetch_all_reports_each_path_on_its_own() {
    let server = FixtureServer::start();
    let addr = server.addr();
    let done = real(
        "fetch_all was still waiting long after its 300 ms timeout: give every \
         request the timeout through run_all",
        move || {
            let paths = ["/bytes/10", "/status/503", HELD, "/bytes/3"];
            fetch_all(addr, paths.map(str::to_owned).to_vec(), 4, 300 * MS)
        },
    );
    let order: Vec<usize> = done.iter().map(|(i, _)| *i).collect();
    assert_eq!(
        order.len(),
        4,
        "fetch_all must return one pair per path, got {order:?}"
    );
    assert_eq!(
        order.last(),
        Some(&2),
        "the held request (path 2) finishes last, at its timeout, so it should be \
         last of the pairs in finishing order {order:?}"
    );
    for (i, outcome) in done {
        match (i, outcome) {
            (0 | 1 | 3, Ok(reply)) => {
                let expected = [(200, 10), (503, 0), (0, 0), (200, 3)][i];
                assert_eq!(
                    (reply.status, reply.bytes),
                    expected,
                    "path {i} should come back as its own (status, body length)"
                );
            }
            (2, Err(e)) => assert_eq!(
                e.kind(),
                io::ErrorKind::TimedOut,
                "the held request should fail with an error of kind TimedOut (tokio \
                 converts an Elapsed into one with io::Error::from), not {e}"
            ),
            (i, outcome) => panic!(
                "path {i} came back as {outcome:?}: each path gets its own outcome, \
                 and only the held one (path 2) fails"
            ),
        }
    }
}
