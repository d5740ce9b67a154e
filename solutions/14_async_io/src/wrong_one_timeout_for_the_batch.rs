//! Chapter 14, [Waiting with tokio](../../../src/14_async_io.md): requests as
//! tasks on one thread, at most `limit` at once, each with its own timeout,
//! taken as they complete and cancelled when the caller gives up; and a
//! blocking call handed to a thread of its own.
//!
//! Mistake: one timeout around collecting the whole batch instead of one per job, so the jobs still running at the deadline vanish from the results.
//! Expect: wrap each job in

use std::future::Future;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::panic;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::error::Elapsed;

/// A whole answer: its status and the length of its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub bytes: usize,
}

/// The request `get` and `blocking_get` send: HTTP/1.0, so the server
/// closes the connection after its answer and "read to the end" reads
/// exactly one whole answer.
pub fn request(addr: SocketAddr, path: &str) -> String {
    format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")
}

/// Reads the status and the body's length out of a complete answer.
pub fn parse_reply(raw: &[u8]) -> io::Result<Reply> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what);
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| invalid("the answer has no complete head"))?;
    let head = std::str::from_utf8(&raw[..head_end])
        .map_err(|_| invalid("the answer's head is not text"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid("the status line has no numeric code"))?;
    Ok(Reply {
        status,
        bytes: raw.len() - head_end - 4,
    })
}

/// The same request on a blocking `std::net::TcpStream`: each call holds
/// its thread until the answer is in. The kind of function async code must
/// never call directly; see [`run_blocking`].
pub fn blocking_get(addr: SocketAddr, path: &str) -> io::Result<Reply> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(request(addr, path).as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_reply(&raw)
}

/// GETs `path` from the server at `addr` over a `tokio::net::TcpStream`.
///
/// Each `.await` is a point where this task may wait for the network and
/// the runtime's thread runs other tasks meanwhile; that is what makes
/// thousands of requests on one thread possible.
pub async fn get(addr: SocketAddr, path: &str) -> io::Result<Reply> {
    // ANCHOR: get
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(request(addr, path).as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    parse_reply(&raw)
    // ANCHOR_END: get
}

/// Runs every job as a task of its own, at most `limit` at the same moment,
/// each cut off after `timeout` counted from when it starts; returns
/// `(index, outcome)` pairs in the order the jobs finished.
///
/// The tasks live in a `JoinSet` owned by this future, so a caller that
/// gives up (drops the future, for example through its own timeout) aborts
/// every task still running or waiting.
///
/// # Panics
///
/// If `limit` is 0, and with the panic of a job that panicked.
pub async fn run_all<T, F>(
    jobs: Vec<F>,
    limit: usize,
    timeout: Duration,
) -> Vec<(usize, Result<T, Elapsed>)>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    assert!(
        limit > 0,
        "run_all needs a limit of at least one job at a time"
    );
    // ANCHOR: run_all
    let permits = Arc::new(Semaphore::new(limit));
    let mut tasks = JoinSet::new();
    for (i, job) in jobs.into_iter().enumerate() {
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            let _permit = permits.acquire().await.expect("never closed");
            (i, Ok(job.await))
        });
    }
    let mut done = Vec::new();
    // One deadline for the whole batch: whatever has not finished by then
    // is given up.
    let _ = tokio::time::timeout(timeout, async {
        while let Some(finished) = tasks.join_next().await {
            done.push(
                finished.unwrap_or_else(|e| panic::resume_unwind(e.into_panic())),
            );
        }
    })
    .await;
    done
    // ANCHOR_END: run_all
}

/// GETs every path from `addr` with [`run_all`]: at most `limit` requests
/// at once, each given up after `timeout` (then its error's kind is
/// `TimedOut`). Returns `(index, outcome)` pairs in the order they finished.
pub async fn fetch_all(
    addr: SocketAddr,
    paths: Vec<String>,
    limit: usize,
    timeout: Duration,
) -> Vec<(usize, io::Result<Reply>)> {
    // ANCHOR: fetch_all
    let jobs: Vec<_> = paths
        .into_iter()
        .map(|path| async move { get(addr, &path).await })
        .collect();
    run_all(jobs, limit, timeout)
        .await
        .into_iter()
        .map(|(i, outcome)| match outcome {
            Ok(reply) => (i, reply),
            // tokio turns an Elapsed into an io::Error of kind TimedOut.
            Err(elapsed) => (i, Err(elapsed.into())),
        })
        .collect()
    // ANCHOR_END: fetch_all
}

/// Runs a blocking function on tokio's pool of blocking threads and waits
/// for its value without holding up the runtime: Python's
/// `loop.run_in_executor(None, work)`.
///
/// # Panics
///
/// With the panic of `work`, if it panicked.
pub async fn run_blocking<T, F>(work: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    // ANCHOR: run_blocking
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| panic::resume_unwind(e.into_panic()))
    // ANCHOR_END: run_blocking
}
