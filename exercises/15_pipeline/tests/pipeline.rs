//! The specification of chapter 15's pipeline.
//!
//! Every test runs the pipeline on a thread of its own, under a watchdog,
//! against the loopback fixture server, and hands it a `crunch` function
//! that records what the pipeline did: how many documents were crunched
//! while a download was still held at the server, how many downloads went
//! on while crunching was stopped, how many crunches ran at once.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use pipeline::{Config, Report, pipeline};
use testkit::http::FixtureServer;
use testkit::{DEADLINE, InFlight, Rendezvous, eventually, spin_for, watchdog};

/// A request the server answers only when it is dropped (with a 503).
const HELD: &str = "/delay/60000";

/// How long a test waits for something a correct pipeline does at once.
const PATIENCE: Duration = Duration::from_secs(2);

/// How long a test keeps looking for downloads beyond the bound.
const LOOK_FOR_MORE: Duration = Duration::from_millis(400);

fn urls(server: &FixtureServer, paths: &[&str]) -> Vec<String> {
    paths.iter().map(|path| server.url(path)).collect()
}

fn start<C>(urls: Vec<String>, config: Config, crunch: C) -> JoinHandle<Report>
where
    C: Fn(&[u8]) -> u64 + Sync + Send + 'static,
{
    thread::spawn(move || pipeline(urls, config, crunch))
}

/// Waits for the pipeline's report, passing on its panic with its message.
fn finish(running: JoinHandle<Report>) -> Report {
    match running.join() {
        Ok(report) => report,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// A gate the crunch function waits at until the test opens it.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    fn wait(&self) {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let _open = self
            .opened
            .wait_while(open, |open| !*open)
            .unwrap_or_else(PoisonError::into_inner);
    }

    fn open(&self) {
        *self.open.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.opened.notify_all();
    }
}

#[test]
fn adds_up_every_document() {
    let report = watchdog(
        DEADLINE,
        "the pipeline never finished twelve small downloads. Does every stage end \
         when its input channel closes? Drop the original senders after starting \
         the threads",
        || {
            let server = FixtureServer::start();
            let sizes = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120];
            let paths: Vec<String> =
                sizes.iter().map(|n| format!("/bytes/{n}")).collect();
            let urls = paths.iter().map(|p| server.url(p)).collect();
            let config = Config {
                downloaders: 3,
                crunchers: 2,
                queue: 2,
            };
            let report = finish(start(urls, config, |doc| doc.len() as u64));
            (report, server.requests())
        },
    );
    let (report, requests) = report;
    assert_eq!(
        report.failed,
        Vec::<(String, String)>::new(),
        "every download answers 200, yet some were reported as failed"
    );
    assert_eq!(
        report.crunched, 12,
        "twelve documents were downloaded but not all crunched once: is a document \
         lost or crunched twice between the stages?"
    );
    assert_eq!(
        report.total, 780,
        "the total is not the sum of crunch over the twelve documents: add every \
         crunched value up exactly once"
    );
    assert_eq!(
        requests, 12,
        "the server saw {requests} requests for 12 URLs: each URL should be \
         downloaded exactly once"
    );
}

/// The first URL is held at the server until the test drops it, so the
/// last download cannot finish before the test says so. A pipeline crunches
/// the other six meanwhile; a program that downloads everything first
/// crunches nothing.
#[test]
fn crunches_documents_while_another_is_still_downloading() {
    let (crunched_early, report, held_url) = watchdog(
        DEADLINE,
        "the pipeline did not end after the held download was answered: does \
         every stage end when its input channel closes?",
        || {
            let server = FixtureServer::start();
            let mut paths = vec![HELD];
            paths.extend(["/bytes/5"; 6]);
            let urls = urls(&server, &paths);
            let held_url = urls[0].clone();
            let crunched = Arc::new(AtomicUsize::new(0));
            let counter = Arc::clone(&crunched);
            let config = Config {
                downloaders: 2,
                crunchers: 2,
                queue: 4,
            };
            let running = start(urls, config, move |doc| {
                counter.fetch_add(1, SeqCst);
                doc.len() as u64
            });
            // A pipeline that ended early (a todo!, say) is reported at once.
            eventually(PATIENCE, || {
                crunched.load(SeqCst) >= 6 || running.is_finished()
            });
            let crunched_early = crunched.load(SeqCst);
            // Dropping the server answers the held request with a 503, but
            // only once the server has read it: a request still on its way
            // when the server stops would never be answered.
            eventually(PATIENCE, || {
                server.requests() == 7 && server.in_flight() == 1
                    || running.is_finished()
            });
            drop(server);
            (crunched_early, finish(running), held_url)
        },
    );
    assert_eq!(
        crunched_early, 6,
        "only {crunched_early} of 6 downloaded documents were crunched while one \
         download was still downloading. Are you downloading everything before \
         crunching? Send each document to the crunchers as soon as it arrives"
    );
    assert_eq!(
        (report.crunched, report.total),
        (6, 30),
        "after the held download failed, the six others should still be counted"
    );
    let failed: Vec<&String> = report.failed.iter().map(|(url, _)| url).collect();
    assert_eq!(
        failed,
        vec![&held_url],
        "the held download was answered 503 and should be the one failure reported"
    );
}

#[test]
fn reports_failed_downloads_and_counts_the_rest() {
    let report = watchdog(
        DEADLINE,
        "the pipeline hung when some downloads failed. Does a downloader that \
         meets an error carry on with the next URL?",
        || {
            let server = FixtureServer::start();
            let paths = [
                "/bytes/10",
                "/status/500",
                "/bytes/20",
                "/status/404",
                "/bytes/30",
            ];
            let urls = urls(&server, &paths);
            let config = Config {
                downloaders: 2,
                crunchers: 2,
                queue: 2,
            };
            finish(start(urls, config, |doc| doc.len() as u64))
        },
    );
    let mut failed: Vec<String> = report
        .failed
        .iter()
        .map(|(url, _)| url.rsplit('/').take(2).collect::<Vec<_>>().join("<"))
        .collect();
    failed.sort();
    assert_eq!(
        failed,
        vec!["404<status".to_owned(), "500<status".to_owned()],
        "the two downloads that answered 404 and 500 should each be reported in \
         `failed` with their URL: is an error swallowed, or does it stop the run?"
    );
    assert_eq!(
        (report.crunched, report.total),
        (3, 60),
        "the three downloads that succeeded should still be crunched and added up: \
         does a downloader stop at its first failed download? Note the failure and \
         go on with the next URL"
    );
}

/// Crunching is stopped at a gate. Meanwhile the downloaders should go on
/// until the queue is full (at least `crunchers + queue` documents), and
/// then wait: never more than one document in each cruncher, `queue` in the
/// queue and one in the hands of each downloader.
#[test]
fn downloads_go_on_while_crunching_is_stuck_but_only_up_to_the_bound() {
    let config = Config {
        downloaders: 2,
        crunchers: 1,
        queue: 4,
    };
    let least = config.crunchers + config.queue;
    let most = least + config.downloaders;
    let (reached, seen) = watchdog(
        DEADLINE,
        "the pipeline did not end after crunching was released: does every stage \
         end when its input channel closes?",
        move || {
            let server = FixtureServer::start();
            let urls = urls(&server, &["/bytes/8"; 40]);
            let gate = Arc::new(Gate::default());
            let waiting = Arc::clone(&gate);
            let running = start(urls, config, move |doc| {
                waiting.wait();
                doc.len() as u64
            });
            let reached = eventually(PATIENCE, || {
                server.requests() >= least || running.is_finished()
            }) && server.requests() >= least;
            if running.is_finished() {
                // It ended while crunching was stopped: pass on its panic.
                let report = finish(running);
                panic!(
                    "the pipeline returned while crunch was stopped at a gate, having \
                     crunched {} documents: every downloaded document must be \
                     crunched before pipeline returns",
                    report.crunched
                );
            }
            eventually(LOOK_FOR_MORE, || server.requests() > most);
            let seen = server.requests();
            gate.open();
            let report = finish(running);
            assert_eq!(
                report.crunched, 40,
                "once crunching was released, all 40 documents should be crunched"
            );
            (reached, seen)
        },
    );
    assert!(
        seen <= most,
        "while crunching was stopped, {seen} documents were downloaded: the \
         pipeline buffered more than its bound of {most} (one per cruncher, {q} in \
         the queue, one per downloader). Use mpsc::sync_channel(config.queue), not \
         an unbounded channel or a Vec of everything",
        q = config.queue
    );
    assert!(
        reached,
        "while one document was being crunched, only {seen} were downloaded (at \
         least {least} should be: the queue has room for {q}). Is the CPU work \
         running on the download threads? Crunch on threads of its own, so that \
         downloading goes on",
        q = config.queue
    );
}

/// Two crunchers must be crunching at the same moment (a rendezvous of two
/// inside `crunch`), and never more than two.
#[test]
fn crunches_on_exactly_the_configured_number_of_threads_at_once() {
    let config = Config {
        downloaders: 2,
        crunchers: 2,
        queue: 2,
    };
    let most = watchdog(
        DEADLINE,
        "the pipeline never finished eight downloads and crunches. Does every \
         stage end when its input channel closes?",
        move || {
            let server = FixtureServer::start();
            let urls = urls(&server, &["/bytes/8"; 8]);
            let together = Arc::new(Rendezvous::with_deadline(
                2,
                PATIENCE,
                "With crunchers: 2, two documents should be crunched at once: start \
                 config.crunchers threads that each take documents from the queue, \
                 and release the queue's lock before crunching (`while let Ok(doc) \
                 = rx.lock().unwrap().recv()` keeps the guard for the whole loop \
                 body; take the document in a `let` statement of its own)",
            ));
            let busy = Arc::new(InFlight::new());
            let probe = Arc::clone(&busy);
            let report = finish(start(urls, config, move |doc| {
                let _inside = probe.enter();
                together.arrive();
                spin_for(Duration::from_millis(5));
                doc.len() as u64
            }));
            assert_eq!(report.crunched, 8, "all eight documents should be crunched");
            busy.max()
        },
    );
    assert!(
        most <= config.crunchers,
        "{most} crunches ran at the same moment with crunchers: 2. Start exactly \
         config.crunchers crunch threads, not one thread per document"
    );
}

/// The fixture server counts requests in flight: with three downloaders,
/// three must be at the server at once, and never a fourth.
#[test]
fn downloads_on_exactly_the_configured_number_of_threads_at_once() {
    let config = Config {
        downloaders: 3,
        crunchers: 1,
        queue: 2,
    };
    let (all_there, most) = watchdog(
        DEADLINE,
        "the pipeline never finished six slow downloads. Does every stage end when \
         its input channel closes?",
        move || {
            let server = FixtureServer::start();
            let urls = urls(&server, &["/delay/300"; 6]);
            let running = start(urls, config, |doc| doc.len() as u64);
            // Polled, so that a pipeline that ended early (a todo!, say) is
            // reported at once rather than after PATIENCE.
            let all_there = eventually(PATIENCE, || {
                server.in_flight() >= 3 || running.is_finished()
            }) && server.max_in_flight() >= 3;
            let report = finish(running);
            assert_eq!(report.crunched, 6, "all six documents should be crunched");
            (all_there, server.max_in_flight())
        },
    );
    assert!(
        all_there,
        "with downloaders: 3, only {most} downloads were at the server at once. \
         Start config.downloaders threads that each take the next URL"
    );
    assert!(
        most <= config.downloaders,
        "{most} downloads were at the server at once with downloaders: 3. Start \
         exactly config.downloaders download threads, not one per URL"
    );
}

#[test]
fn ends_cleanly_with_nothing_to_do_or_nothing_that_works() {
    let (empty, broken) = watchdog(
        DEADLINE,
        "the pipeline never returned with no URLs, or with only failing ones. Drop \
         the original senders once the threads are started, so that the receivers \
         see the channels close",
        || {
            let server = FixtureServer::start();
            let config = Config {
                downloaders: 2,
                crunchers: 2,
                queue: 1,
            };
            let called = Arc::new(AtomicBool::new(false));
            let flag = Arc::clone(&called);
            let empty = finish(start(Vec::new(), config, |_| 1));
            let broken = finish(start(
                urls(&server, &["/status/503"; 3]),
                config,
                move |_| {
                    flag.store(true, SeqCst);
                    1
                },
            ));
            assert!(
                !called.load(SeqCst),
                "crunch was called although every download failed: crunch only \
                 documents that arrived"
            );
            (empty, broken)
        },
    );
    assert_eq!(
        empty,
        Report::default(),
        "with no URLs the report should be empty"
    );
    assert_eq!(
        (broken.crunched, broken.failed.len()),
        (0, 3),
        "three downloads answered 503: the report should list three failures and \
         nothing crunched. A downloader that meets an error notes it and goes on \
         with the next URL"
    );
}
