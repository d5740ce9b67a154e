//! A loopback HTTP fixture server, in the spirit of httpbin, for the chapters
//! that do blocking HTTP with `ureq` and asynchronous I/O.
//!
//! [`FixtureServer::start`] binds `127.0.0.1` on a port the system picks, so
//! tests never touch the network and never fight over a port. It answers:
//!
//! | request              | answer                                            |
//! |----------------------|---------------------------------------------------|
//! | `GET /delay/<ms>`    | after `ms` milliseconds, `200` `{"delay_ms": ms}` |
//! | `GET /status/<code>` | an empty answer with that status (200 to 599)     |
//! | `GET /bytes/<n>`     | `200` with `n` bytes `abc…xyzabc…`                |
//! | anything else        | `404`                                             |
//!
//! Delays are capped at [`MAX_DELAY`] (60 s) and bodies at [`MAX_BYTES`]
//! (64 MiB), so a typo cannot tie up a thread for hours.
//!
//! A query string is ignored, and `HEAD` is answered like `GET` without the
//! body. Every answer carries a `Content-Length`, never chunked encoding, so
//! a test may speak HTTP/1.1 over a bare `TcpStream`.
//!
//! What makes it a *fixture* rather than just a server is that it counts:
//! [`in_flight`](FixtureServer::in_flight) and
//! [`max_in_flight`](FixtureServer::max_in_flight) let a test check that a
//! client really had N requests outstanding at once, which is the point of
//! most exercises in the I/O chapters.
//!
//! ```
//! use testkit::http::FixtureServer;
//!
//! let server = FixtureServer::start();
//! let url = server.url("/delay/50");
//! assert!(url.starts_with("http://127.0.0.1:"));
//! // ... send requests to `url` concurrently, then:
//! assert_eq!(server.in_flight(), 0);
//! ```

use std::collections::HashSet;
use std::io::{self, Read};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;
use std::{cmp, fmt};

use tiny_http::{
    Header, Method, Request, Response, ResponseBox, Server, StatusCode,
};

/// The longest `/delay/<ms>` sleeps; longer requests are cut to this.
///
/// A typo such as `/delay/30000000` should not leave a thread asleep for
/// hours.
pub const MAX_DELAY: Duration = Duration::from_secs(60);

/// The most bytes `/bytes/<n>` sends; larger requests are cut to this.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// How long dropping the server waits for requests still being answered.
///
/// Once the server stops, sleeping requests wake at once and `/bytes`
/// bodies are cut short, so every request thread finishes within
/// milliseconds, except one blocked writing to a client that stopped
/// reading (a full socket buffer, which tiny_http gives no way to
/// interrupt). Such a thread is left behind, detached, rather than hanging
/// the test for ever.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Stack size of the thread that answers one request.
///
/// A request thread only parses a path, sleeps and writes a small answer;
/// a smaller stack than std's 2 MiB lets a thousand of them exist at once
/// without reserving gigabytes of address space.
const WORKER_STACK: usize = 256 * 1024;

/// A loopback HTTP server for tests, answering `/delay`, `/status` and
/// `/bytes` (see the [module documentation](self)).
///
/// Each request is answered on a thread of its own, so 500 clients asking
/// for `/delay/1000` at once are all answered after about one second: the
/// server never becomes the bottleneck a test is trying to measure in the
/// client.
///
/// Dropping the server stops it: the accept loop is unblocked, requests
/// asleep in `/delay` wake at once and answer `503 Service Unavailable`, and
/// the server's threads are joined. This takes milliseconds, not the length
/// of the longest delay. (tiny_http's own threads, which read requests off
/// the connections, are tiny_http's business: they end when their client
/// closes the connection.)
///
/// One limit a test with hundreds of clients may meet: std listens with a
/// backlog of 128 connections. Clients that connect much faster than the
/// server accepts overflow it, and the kernel retries the dropped
/// connections only a second later, so such a test should wait for its
/// requests with [`wait_for_in_flight`](Self::wait_for_in_flight) rather
/// than expect them all within a few milliseconds.
pub struct FixtureServer {
    addr: SocketAddr,
    /// `None` only while dropping, so that the listening socket can be
    /// closed before waiting for the last requests.
    server: Option<Arc<Server>>,
    shared: Arc<Shared>,
    /// The accept loop. It returns the handles of the request threads it
    /// started and that may still run.
    dispatcher: Option<JoinHandle<Vec<JoinHandle<()>>>>,
}

impl FixtureServer {
    /// Starts a server on `127.0.0.1` and a free port the system picks.
    ///
    /// It never listens on any other address: tests must not be reachable
    /// from the network.
    ///
    /// # Panics
    ///
    /// If no loopback port can be bound, or the accept thread cannot be
    /// started.
    pub fn start() -> FixtureServer {
        let wanted = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let server = Server::http(wanted).unwrap_or_else(|e| {
            panic!("FixtureServer: cannot listen on {wanted}: {e}")
        });
        let addr = server
            .server_addr()
            .to_ip()
            .expect("FixtureServer: a TCP listener has an IP address");
        let server = Arc::new(server);
        let shared = Arc::new(Shared::default());
        let dispatcher = {
            let server = Arc::clone(&server);
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name(format!("fixture-http-{}", addr.port()))
                .spawn(move || dispatch(&server, &shared))
                .unwrap_or_else(|e| {
                    panic!("FixtureServer: cannot start the accept thread: {e}")
                })
        };
        FixtureServer {
            addr,
            server: Some(server),
            shared,
            dispatcher: Some(dispatcher),
        }
    }

    /// The address the server listens on: `127.0.0.1` and its port.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL of `path` on this server: `http://127.0.0.1:PORT` followed by
    /// `path`, which should start with `/` (for example `"/delay/100"`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// How many requests are being answered right now.
    ///
    /// A request counts from the moment the server has read it until its
    /// answer has been written, the `/delay` wait included. A client may
    /// therefore see the whole answer a moment before the count drops: to
    /// check that everything finished, use
    /// [`wait_for_in_flight`](Self::wait_for_in_flight)`(0, …)` rather than
    /// asserting `in_flight() == 0` right away.
    pub fn in_flight(&self) -> usize {
        self.shared.counts().in_flight
    }

    /// The greatest number of requests answered at the same moment since the
    /// server started or since the last [`reset_counts`](Self::reset_counts).
    ///
    /// This is the number a test of a concurrent client wants: with
    /// `/delay/300` and 8 concurrent requests it is 8, with a client that
    /// (wrongly) waits for each answer before sending the next it is 1.
    pub fn max_in_flight(&self) -> usize {
        self.shared.counts().max_in_flight
    }

    /// How many requests the server has received since it started or since
    /// the last [`reset_counts`](Self::reset_counts), whatever their path.
    pub fn requests(&self) -> usize {
        self.shared.counts().requests
    }

    /// How many connections requests came in on since the server started or
    /// since the last [`reset_counts`](Self::reset_counts), told apart by
    /// the client's address and port.
    ///
    /// A client that keeps its connections alive and reuses them (an HTTP
    /// agent with a connection pool) uses fewer connections than it sends
    /// requests; one that connects afresh for every request uses as many.
    pub fn connections(&self) -> usize {
        lock(&self.shared.clients).len()
    }

    /// Starts counting afresh: [`requests`](Self::requests) and
    /// [`connections`](Self::connections) go back to 0, and
    /// [`max_in_flight`](Self::max_in_flight) to the number in flight now.
    ///
    /// [`in_flight`](Self::in_flight) is not reset: it counts requests that
    /// really are being answered, and each of them will still leave.
    pub fn reset_counts(&self) {
        let mut counts = self.shared.counts();
        counts.requests = 0;
        counts.max_in_flight = counts.in_flight;
        drop(counts);
        lock(&self.shared.clients).clear();
    }

    /// Waits until exactly `n` requests are in flight, or `timeout` has
    /// passed; returns whether the count reached `n`.
    ///
    /// `wait_for_in_flight(0, …)` waits for the server to go idle; a test
    /// that started `n` slow requests can wait with it until all of them
    /// have arrived, instead of sleeping for a guessed time.
    pub fn wait_for_in_flight(&self, n: usize, timeout: Duration) -> bool {
        self.shared.wait_for_in_flight(n, timeout)
    }
}

impl fmt::Debug for FixtureServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts = *self.shared.counts();
        f.debug_struct("FixtureServer")
            .field("addr", &self.addr)
            .field("in_flight", &counts.in_flight)
            .field("max_in_flight", &counts.max_in_flight)
            .field("requests", &counts.requests)
            .finish()
    }
}

impl Drop for FixtureServer {
    /// Stops the server and joins its threads.
    ///
    /// Requests asleep in `/delay` wake at once (they wait on a condition
    /// variable, not in `thread::sleep`) and answer 503, so dropping takes
    /// milliseconds however long their delays.
    fn drop(&mut self) {
        self.shared.stop();
        if let Some(server) = &self.server {
            // Makes the accept loop's `recv` return even if no request comes.
            server.unblock();
        }
        let workers = match self.dispatcher.take().map(JoinHandle::join) {
            Some(Ok(workers)) => workers,
            // The accept loop panicked: its panic has been reported already,
            // and a second panic while dropping would abort the test.
            Some(Err(_)) | None => Vec::new(),
        };
        // Closes the listening socket: nothing new can arrive from here on.
        drop(self.server.take());
        let idle = self.shared.wait_for_in_flight(0, SHUTDOWN_GRACE);
        let mut stuck = 0;
        for worker in workers {
            // Once nothing is in flight every request thread has dropped its
            // guard, its last act, so joining it is immediate.
            if idle || worker.is_finished() {
                // A panicked request thread has already reported its panic.
                let _ = worker.join();
            } else {
                stuck += 1;
            }
        }
        if stuck > 0 {
            eprintln!(
                "FixtureServer {}: {stuck} request thread(s) still writing after \
                 {SHUTDOWN_GRACE:?}, left behind",
                self.addr
            );
        }
    }
}

/// What the accept loop, the request threads and the `FixtureServer` share.
#[derive(Default)]
struct Shared {
    counts: Mutex<Counts>,
    /// Notified whenever `counts.in_flight` changes.
    counts_changed: Condvar,
    /// Set once, when the server is dropped.
    stopping: Mutex<bool>,
    /// Notified when `stopping` is set; the `/delay` waits sleep on it.
    ///
    /// A condition variable of its own: if sleeping requests waited on
    /// `counts_changed`, each of 500 of them would wake on every arrival.
    stop_requested: Condvar,
    /// The client end of every connection a request came in on: one
    /// address per connection, as long as a test's connections are open
    /// together or the system does not reuse a port within one test.
    clients: Mutex<HashSet<SocketAddr>>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    in_flight: usize,
    max_in_flight: usize,
    requests: usize,
}

/// Locks `mutex` even if a panicking thread poisoned it: the counts stay
/// meaningful (each change is a single step), and a fixture that panics in
/// every later call would hide the first failure behind many others.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn counts(&self) -> MutexGuard<'_, Counts> {
        lock(&self.counts)
    }

    fn wait_for_in_flight(&self, n: usize, timeout: Duration) -> bool {
        let (counts, _) = self
            .counts_changed
            .wait_timeout_while(self.counts(), timeout, |c| c.in_flight != n)
            .unwrap_or_else(PoisonError::into_inner);
        counts.in_flight == n
    }

    fn stop(&self) {
        *lock(&self.stopping) = true;
        self.stop_requested.notify_all();
    }

    fn is_stopping(&self) -> bool {
        *lock(&self.stopping)
    }

    /// Sleeps for `duration` unless the server stops first; returns whether
    /// the whole duration passed.
    fn sleep_unless_stopped(&self, duration: Duration) -> bool {
        let (stopping, _) = self
            .stop_requested
            .wait_timeout_while(lock(&self.stopping), duration, |stopping| {
                !*stopping
            })
            .unwrap_or_else(PoisonError::into_inner);
        !*stopping
    }
}

/// One request being answered: counted in `in_flight` from creation to drop.
///
/// The count spans the `/delay` wait, because that is the concurrency a test
/// measures: a client has a request outstanding until it gets the answer.
/// Counting only while the handler computes would see nearly nothing in
/// flight, whatever the client does. It ends just *before* the answer is
/// written, so that no client can hold its answer, send its next request and
/// be counted twice: a client that never has more than N requests
/// outstanding is never seen with more than N.
///
/// The count is kept by a guard rather than by an increment and a decrement
/// around the handler, so that no path out of the handler — an early
/// return, a write error, a panic, even a request thread that could not be
/// started — can leave a request counted for ever and make every later
/// `wait_for_in_flight(0, …)` time out.
struct Served {
    shared: Arc<Shared>,
}

impl Served {
    fn enter(shared: &Arc<Shared>) -> Served {
        let mut counts = shared.counts();
        counts.requests += 1;
        counts.in_flight += 1;
        counts.max_in_flight = cmp::max(counts.max_in_flight, counts.in_flight);
        drop(counts);
        shared.counts_changed.notify_all();
        Served {
            shared: Arc::clone(shared),
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.shared.counts().in_flight -= 1;
        self.shared.counts_changed.notify_all();
    }
}

/// The accept loop: hands each request to a thread of its own, until the
/// server stops. Returns the request threads that may still be running.
///
/// The loop itself never waits for a request to be answered; if it did, a
/// `/delay` would hold up every request behind it and a test of a concurrent
/// client would measure the server's queue instead.
fn dispatch(server: &Server, shared: &Arc<Shared>) -> Vec<JoinHandle<()>> {
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    loop {
        let request = match server.recv() {
            Ok(request) => request,
            // `Server::unblock` from `Drop`.
            Err(_) if shared.is_stopping() => break,
            // The listener failed; tiny_http's accept thread has ended, so the
            // next `recv` blocks until `Drop` unblocks it.
            Err(e) => {
                eprintln!("FixtureServer: accepting connections failed: {e}");
                continue;
            }
        };
        if shared.is_stopping() {
            let _ = request.respond(shutting_down());
            break;
        }
        // Finished threads need no join: dropping their handles frees them.
        workers.retain(|worker| !worker.is_finished());
        // Counted before the thread starts: the request is being served from
        // the moment it has been read, however long the thread takes to run.
        if let Some(client) = request.remote_addr() {
            lock(&shared.clients).insert(*client);
        }
        let served = Served::enter(shared);
        let worker_shared = Arc::clone(shared);
        let spawned = thread::Builder::new()
            .name("fixture-http-request".into())
            .stack_size(WORKER_STACK)
            .spawn(move || answer(request, &worker_shared, served));
        match spawned {
            Ok(worker) => workers.push(worker),
            // The closure, with the request and its guard, has been dropped:
            // tiny_http answers 500 and the count goes back down.
            Err(e) => eprintln!("FixtureServer: cannot start a request thread: {e}"),
        }
    }
    workers
}

/// What a request asks for.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Delay(Duration),
    Status(u16),
    Bytes(usize),
    NotFound,
}

fn route(method: &Method, url: &str) -> Route {
    if !matches!(method, Method::Get | Method::Head) {
        return Route::NotFound;
    }
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let number = |prefix: &str| {
        path.strip_prefix(prefix)
            .filter(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse::<u64>().ok())
    };
    if let Some(ms) = number("/delay/") {
        Route::Delay(cmp::min(Duration::from_millis(ms), MAX_DELAY))
    } else if let Some(code) = number("/status/") {
        match u16::try_from(code) {
            Ok(code @ 200..=599) => Route::Status(code),
            _ => Route::NotFound,
        }
    } else if let Some(n) = number("/bytes/") {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        Route::Bytes(cmp::min(n, MAX_BYTES))
    } else {
        Route::NotFound
    }
}

/// Answers one request, on its own thread; `served` counts it until the
/// answer is about to be written.
fn answer(request: Request, shared: &Arc<Shared>, served: Served) {
    let response = match route(request.method(), request.url()) {
        Route::Delay(delay) => {
            if shared.sleep_unless_stopped(delay) {
                let body = format!("{{\"delay_ms\": {}}}\n", delay.as_millis());
                text(200, "application/json", body)
            } else {
                shutting_down()
            }
        }
        Route::Status(code) => Response::empty(code).boxed(),
        Route::Bytes(n) => {
            let body = Alphabet {
                sent: 0,
                len: n,
                shared: Arc::clone(shared),
            };
            Response::new(
                StatusCode(200),
                vec![header("Content-Type", "application/octet-stream")],
                body,
                Some(n),
                None,
            )
            .boxed()
        }
        Route::NotFound => text(
            404,
            "text/plain; charset=utf-8",
            "not found; this server answers GET /delay/<ms>, /status/<code> \
             and /bytes/<n>\n"
                .to_owned(),
        ),
    };
    // Always a Content-Length, never chunked: tests reading a bare TcpStream
    // can then rely on it.
    let response = response.with_chunked_threshold(usize::MAX);
    drop(served);
    // An error here means the client went away or the server is stopping;
    // neither is the test's business.
    let _ = request.respond(response);
}

fn shutting_down() -> ResponseBox {
    text(
        503,
        "text/plain; charset=utf-8",
        "fixture server shutting down\n".to_owned(),
    )
}

fn text(code: u16, content_type: &str, body: String) -> ResponseBox {
    Response::from_string(body)
        .with_status_code(code)
        .with_header(header("Content-Type", content_type))
        .boxed()
}

fn header(field: &str, value: &str) -> Header {
    Header::from_bytes(field, value).expect("fixture headers are valid ASCII")
}

/// The body of `/bytes/<n>`: `abc…xyz` repeated, produced as it is sent
/// rather than allocated, and cut short when the server stops so that a
/// large answer cannot hold up `Drop`.
struct Alphabet {
    sent: usize,
    len: usize,
    shared: Arc<Shared>,
}

impl Read for Alphabet {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.sent < self.len && self.shared.is_stopping() {
            return Err(io::Error::other("fixture server shutting down"));
        }
        let n = cmp::min(buf.len(), self.len - self.sent);
        for (i, byte) in buf[..n].iter_mut().enumerate() {
            *byte = alphabet_byte(self.sent + i);
        }
        self.sent += n;
        Ok(n)
    }
}

/// Byte `i` of every `/bytes/<n>` answer: `b'a' + i % 26`.
pub fn alphabet_byte(i: usize) -> u8 {
    // `i % 26` is below 26, so the cast cannot truncate.
    b'a' + (i % 26) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_ignore_the_query_string() {
        let get = |url| route(&Method::Get, url);
        assert_eq!(
            get("/delay/300?x=1"),
            Route::Delay(Duration::from_millis(300))
        );
        assert_eq!(get("/status/503"), Route::Status(503));
        assert_eq!(get("/bytes/10#end"), Route::Bytes(10));
        assert_eq!(get("/delay/999999999"), Route::Delay(MAX_DELAY));
        assert_eq!(get("/bytes/99999999999"), Route::Bytes(MAX_BYTES));
    }

    #[test]
    fn malformed_routes_are_not_found() {
        let get = |url| route(&Method::Get, url);
        for url in [
            "/",
            "/delay",
            "/delay/",
            "/delay/-1",
            "/delay/+5",
            "/delay/1/2",
            "/status/99",
            "/status/600",
            "/status/70000",
            "/bytes/abc",
        ] {
            assert_eq!(get(url), Route::NotFound, "{url}");
        }
        assert_eq!(route(&Method::Post, "/status/200"), Route::NotFound);
    }

    #[test]
    fn alphabet_repeats() {
        let shared = Arc::new(Shared::default());
        let mut body = Vec::new();
        Alphabet {
            sent: 0,
            len: 30,
            shared,
        }
        .read_to_end(&mut body)
        .expect("reading the alphabet body");
        assert_eq!(body, b"abcdefghijklmnopqrstuvwxyzabcd");
    }
}
