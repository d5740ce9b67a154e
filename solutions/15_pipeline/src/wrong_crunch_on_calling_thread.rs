//! Mistake: the calling thread crunches every document itself, whatever config.crunchers says.
//! Expect: two documents should be crunched at once
//! Chapter 15, [Choosing](../../../src/15_pipeline.md): a pipeline that
//! downloads documents on a few threads, crunches them on a few others and
//! adds up the results, with a bounded queue between the stages.
//!
//! Downloading everything and then crunching it computes the same total; so
//! does an unbounded queue. The tests hold a download at the server and
//! check that crunching starts anyway, stop the crunching and count how
//! many documents are downloaded meanwhile (some, but never more than the
//! queue can hold), and count how many downloads and crunches run at once.

use std::sync::{Mutex, mpsc};
use std::thread;
use std::time::Duration;

use ureq::Agent;

/// How many threads each stage gets, and how many downloaded documents may
/// wait between the stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Threads that download, each one document at a time.
    pub downloaders: usize,
    /// Threads that crunch, each one document at a time.
    pub crunchers: usize,
    /// The most downloaded documents that wait for a cruncher.
    pub queue: usize,
}

/// What the whole run adds up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The sum of `crunch` over every document that was downloaded.
    pub total: u64,
    /// How many documents were crunched.
    pub crunched: usize,
    /// Each download that failed: its URL and what went wrong.
    pub failed: Vec<(String, String)>,
}

/// The one `ureq` agent a run shares between its download threads: plain
/// HTTP, every request given up after 30 seconds.
pub fn agent() -> Agent {
    Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// GETs `url` and reads its whole body; an error status, a refused
/// connection or a timeout becomes the error's text.
pub fn fetch(agent: &Agent, url: &str) -> Result<Vec<u8>, String> {
    let mut response = agent.get(url).call().map_err(|e| e.to_string())?;
    response.body_mut().read_to_vec().map_err(|e| e.to_string())
}

/// A stand-in for real CPU work on a document (parsing, scoring, hashing):
/// an FNV-1a hash of the document, run `rounds` times over it.
pub fn checksum(doc: &[u8], rounds: u32) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for _ in 0..rounds {
        for &byte in doc {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// Downloads every URL on `config.downloaders` threads, crunches each
/// document with `crunch` on `config.crunchers` other threads, and adds the
/// results up on the calling thread.
///
/// Between downloading and crunching sits a queue of at most
/// `config.queue` documents: when the crunchers fall behind, the
/// downloaders wait instead of piling documents up in memory. A failed
/// download is noted in the report; the other documents still count.
///
/// # Panics
///
/// If `config.downloaders` or `config.crunchers` is 0.
pub fn pipeline<C>(urls: Vec<String>, config: Config, crunch: C) -> Report
where
    C: Fn(&[u8]) -> u64 + Sync,
{
    assert!(
        config.downloaders > 0 && config.crunchers > 0,
        "a pipeline needs at least one thread in each stage"
    );
    // ANCHOR: pipeline
    let agent = agent();
    // The URLs are handed out one at a time; the lock is held only to take one.
    let urls = Mutex::new(urls.into_iter());
    // The bounded queue between the stages: a downloader that finds it full
    // waits in `send`, which is the backpressure.
    let (docs_tx, docs_rx) = mpsc::sync_channel::<Vec<u8>>(config.queue);
    let docs_rx = Mutex::new(docs_rx);
    // Results are small and the calling thread takes them at once; a bound
    // keeps this stage honest too.
    let (done_tx, done_rx) = mpsc::sync_channel::<Done>(config.queue.max(1));
    thread::scope(|s| {
        for _ in 0..config.downloaders {
            let (docs_tx, done_tx) = (docs_tx.clone(), done_tx.clone());
            let (agent, urls) = (&agent, &urls);
            s.spawn(move || {
                loop {
                    // The guard is a temporary: the lock is released before
                    // the download starts.
                    let next =
                        urls.lock().expect("no thread panics holding it").next();
                    let Some(url) = next else { break };
                    match fetch(agent, &url) {
                        Ok(doc) => {
                            if docs_tx.send(doc).is_err() {
                                break;
                            }
                        }
                        Err(error) => {
                            let _ = done_tx.send(Done::Failed(url, error));
                        }
                    }
                }
            });
        }
        // The calling thread adds up anyway: let it crunch too.
        drop((docs_tx, done_tx));
        let mut report = Report::default();
        for doc in docs_rx.into_inner().expect("no thread panics holding it") {
            report.total += crunch(&doc);
            report.crunched += 1;
        }
        for done in done_rx {
            if let Done::Failed(url, error) = done {
                report.failed.push((url, error));
            }
        }
        report
    })
    // ANCHOR_END: pipeline
}

/// What a worker hands to the calling thread.
enum Done {
    Crunched(u64),
    Failed(String, String),
}
