//! Chapter 13, [Waiting with threads](../../../src/13_io_threads.md): fetch a
//! list of URLs on a bounded number of worker threads that share one `ureq`
//! agent, and report a result for every URL, failures included.
//!
//! Fetching the URLs one after another returns the same results, only
//! slower, so the tests ask the fixture server how many requests it was
//! answering at once: as many as there are workers, and never more. They
//! also hold one request at the server to see whether the others' results
//! are handed over while it waits.

use std::io;
use std::sync::mpsc::Receiver;
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
pub fn agent(timeout: Duration) -> Agent {
    let _ = timeout;
    todo!(
        "build an Agent from Agent::config_builder() whose timeout_global is \
         Some(timeout)"
    )
}

/// GETs `url` with `agent` and reads the whole body: `Ok` with the status and
/// the body's length, or the reason it failed (an error status, a timeout, a
/// refused connection) as a [`FetchError`].
pub fn fetch(agent: &Agent, url: &str) -> Outcome {
    let _ = (agent, url);
    todo!(
        "call agent.get(url), read the whole body, and return its status and \
         length; `?` turns ureq's errors into FetchErrors"
    )
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
    let _ = (urls, workers, timeout);
    todo!(
        "start `workers` threads sharing one agent; each takes the next URL index \
         until none is left and sends (index, outcome) into a channel; return its \
         receiver"
    )
}

/// Fetches every URL on at most `workers` threads and returns one outcome
/// per URL, in the order of `urls` (Python's `pool.map`), whatever order the
/// answers came back in.
pub fn fetch_all(
    urls: Vec<String>,
    workers: usize,
    timeout: Duration,
) -> Vec<Outcome> {
    let _ = (urls, workers, timeout);
    todo!(
        "collect the results of fetch_as_completed and put each one in the slot of \
         its index"
    )
}
