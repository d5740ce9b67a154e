//! Chapter 13, [Waiting with threads](../../../src/13_io_threads.md): fetch a
//! list of URLs on a bounded number of worker threads that share one `ureq`
//! agent, and report a result for every URL, failures included.
//!
//! Mistake: every request builds an agent of its own, so no connection is ever reused.
//! Expect: one agent per batch

use std::io;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::Duration;

use ureq::Agent;

/// What a successful request returned: its status and the size of its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub status: u16,
    pub bytes: usize,
}

/// Why a request failed. One URL's failure is a value in its own slot of the
/// results, never a reason to stop the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// The server answered with an error status (400 to 599).
    Status(u16),
    /// No complete answer arrived within the timeout.
    Timeout,
    /// No connection could be made, or it broke: refused, unreachable, reset.
    Connection(String),
    /// Anything else ureq reports, such as a malformed URL.
    Other(String),
}

/// What one URL came to: its page or why there is none.
pub type Outcome = Result<Page, FetchError>;

/// Sorts ureq's errors into the kinds above, so that `?` on a ureq call
/// inside a function returning [`Outcome`] converts them.
impl From<ureq::Error> for FetchError {
    fn from(error: ureq::Error) -> Self {
        match error {
            ureq::Error::StatusCode(code) => FetchError::Status(code),
            ureq::Error::Timeout(_) => FetchError::Timeout,
            ureq::Error::Io(e) if e.kind() == io::ErrorKind::TimedOut => {
                FetchError::Timeout
            }
            ureq::Error::Io(e) => FetchError::Connection(e.to_string()),
            e @ (ureq::Error::ConnectionFailed | ureq::Error::HostNotFound) => {
                FetchError::Connection(e.to_string())
            }
            e => FetchError::Other(e.to_string()),
        }
    }
}

/// The one agent every worker shares: plain HTTP, and every request it makes
/// given up after `timeout`, counted from the start of that request to the
/// end of its body.
///
/// An `Agent` is a handle to a shared connection pool, cheap to clone and
/// safe to use from many threads at once: build it once per batch, not once
/// per request, so that connections to the same server are reused.
pub fn agent(timeout: Duration) -> Agent {
    // ANCHOR: agent
    Agent::config_builder()
        .timeout_global(Some(timeout))
        .build()
        .into()
    // ANCHOR_END: agent
}

/// GETs `url` with `agent` and reads the whole body.
///
/// ureq turns error statuses, timeouts and refused connections into
/// `ureq::Error`s; the `?` operator converts them with `From` above, so every
/// way a request can fail ends up as a `FetchError` value.
pub fn fetch(agent: &Agent, url: &str) -> Outcome {
    // ANCHOR: fetch
    let mut response = agent.get(url).call()?;
    let body = response.body_mut().read_to_vec()?;
    Ok(Page {
        status: response.status().as_u16(),
        bytes: body.len(),
    })
    // ANCHOR_END: fetch
}

/// Fetches every URL on `workers` threads (fewer if there are fewer URLs)
/// and hands back each result, with the index of its URL, as soon as it is
/// ready: Python's `as_completed`.
///
/// Returns at once; the receiver yields one `(index, outcome)` per URL and
/// ends when the last worker has finished.
///
/// # Panics
///
/// If `workers` is 0: no request could ever be made.
pub fn fetch_as_completed(
    urls: Vec<String>,
    workers: usize,
    timeout: Duration,
) -> Receiver<(usize, Outcome)> {
    assert!(workers > 0, "fetch_as_completed needs at least one worker");
    // ANCHOR: workers
    let urls = Arc::new(urls);
    let next = Arc::new(AtomicUsize::new(0));
    let agent = agent(timeout);
    let (results, completed) = mpsc::channel();
    for w in 0..workers.min(urls.len()) {
        let (urls, next) = (Arc::clone(&urls), Arc::clone(&next));
        let (agent, results) = (agent.clone(), results.clone());
        thread::Builder::new()
            .name(format!("fetch-{w}"))
            .spawn(move || {
                loop {
                    // Relaxed: the counter only hands out each index once;
                    // the URLs were published to this thread by `spawn`.
                    let i = next.fetch_add(1, Relaxed);
                    let Some(url) = urls.get(i) else { break };
                    // A send fails only if the caller stopped listening;
                    // then there is no one left to fetch for.
                    let agent = crate::agent(timeout);
                    if results.send((i, fetch(&agent, url))).is_err() {
                        break;
                    }
                }
            })
            .expect("the operating system refused to start a worker thread");
    }
    completed
    // ANCHOR_END: workers
}

/// Fetches every URL on at most `workers` threads and returns one outcome
/// per URL, in the order of `urls` (Python's `pool.map`), whatever order the
/// answers came back in.
pub fn fetch_all(
    urls: Vec<String>,
    workers: usize,
    timeout: Duration,
) -> Vec<Outcome> {
    // ANCHOR: fetch_all
    let mut slots: Vec<Option<Outcome>> = vec![None; urls.len()];
    for (i, outcome) in fetch_as_completed(urls, workers, timeout) {
        slots[i] = Some(outcome);
    }
    slots
        .into_iter()
        .map(|slot| slot.expect("every worker reports each URL it takes"))
        .collect()
    // ANCHOR_END: fetch_all
}
