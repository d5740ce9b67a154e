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

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;
use std::{cmp, fmt};

/// The longest `/delay/<ms>` sleeps; longer requests are cut to this.
///
/// A typo such as `/delay/30000000` should not leave a thread asleep for
/// hours.
pub const MAX_DELAY: Duration = Duration::from_secs(60);

/// The most bytes `/bytes/<n>` sends; larger requests are cut to this.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// How long dropping the server waits for answers still being written
/// before it closes every connection.
///
/// Once the server stops, sleeping requests wake at once and answer 503,
/// and `/bytes` bodies are cut short, so this is only reached by an answer
/// stuck writing to a client that stopped reading. Closing the connection
/// ends that write too.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Stack size of the thread that serves one connection.
///
/// A connection thread only parses a request head, sleeps and writes a
/// small answer; a smaller stack than std's 2 MiB lets a thousand of them
/// exist at once without reserving gigabytes of address space.
const WORKER_STACK: usize = 256 * 1024;

/// The longest request head (request line and headers) the server reads.
const MAX_HEAD: usize = 16 * 1024;

/// The largest request body the server reads (and ignores: no route takes
/// one) before it gives up on the connection.
const MAX_REQUEST_BODY: u64 = 1024 * 1024;

/// A loopback HTTP server for tests, answering `/delay`, `/status` and
/// `/bytes` (see the [module documentation](self)).
///
/// Each connection is served on a thread of its own, started the moment the
/// connection is accepted, so 500 clients asking for `/delay/1000` at once
/// are all answered after about one second: the server never becomes the
/// bottleneck a test is trying to measure in the client. Connections are
/// kept alive between requests (HTTP/1.1's default), as clients with a
/// connection pool expect.
///
/// Dropping the server stops it: the accept loop ends, requests asleep in
/// `/delay` wake at once and answer `503 Service Unavailable`, every
/// connection is closed, and every thread is joined. This takes
/// milliseconds, not the length of the longest delay.
///
/// One limit a test with hundreds of clients may meet: std listens with a
/// backlog of 128 connections. Clients that connect much faster than the
/// server accepts overflow it, and the kernel retries the dropped
/// connections only a second later, so such a test should wait for its
/// requests with [`wait_for_in_flight`](Self::wait_for_in_flight) rather
/// than expect them all within a few milliseconds.
pub struct FixtureServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// The accept loop. It returns the connections it opened that may still
    /// be open.
    acceptor: Option<JoinHandle<Vec<Connection>>>,
}

/// A connection being served: its thread, and a handle on its socket to
/// close it from outside.
struct Connection {
    thread: JoinHandle<()>,
    socket: TcpStream,
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
        let listener = TcpListener::bind(wanted).unwrap_or_else(|e| {
            panic!("FixtureServer: cannot listen on {wanted}: {e}")
        });
        let addr = listener.local_addr().unwrap_or_else(|e| {
            panic!("FixtureServer: cannot read the address it listens on: {e}")
        });
        let shared = Arc::new(Shared::default());
        let acceptor = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name(format!("fixture-http-{}", addr.port()))
                .spawn(move || accept(&listener, &shared))
                .unwrap_or_else(|e| {
                    panic!("FixtureServer: cannot start the accept thread: {e}")
                })
        };
        FixtureServer {
            addr,
            shared,
            acceptor: Some(acceptor),
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

    /// How many connections the server has accepted since it started or
    /// since the last [`reset_counts`](Self::reset_counts).
    ///
    /// A client that keeps its connections alive and reuses them (an HTTP
    /// agent with a connection pool) opens fewer connections than it sends
    /// requests; one that connects afresh for every request opens as many.
    pub fn connections(&self) -> usize {
        self.shared.counts().connections
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
        counts.connections = 0;
        counts.max_in_flight = counts.in_flight;
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
    /// Stops the server, closes its connections and joins its threads.
    ///
    /// Requests asleep in `/delay` wake at once (they wait on a condition
    /// variable, not in `thread::sleep`) and answer 503, so dropping takes
    /// milliseconds however long their delays.
    fn drop(&mut self) {
        self.shared.stop();
        // The accept loop is blocked in `accept`: a connection of our own
        // wakes it, and it sees the stop before serving it. If the connect
        // fails, the loop has already ended.
        let _ = TcpStream::connect(self.addr);
        let connections = match self.acceptor.take().map(JoinHandle::join) {
            Some(Ok(connections)) => connections,
            // The accept loop panicked: its panic has been reported already,
            // and a second panic while dropping would abort the test.
            Some(Err(_)) | None => Vec::new(),
        };
        // A thread waiting for the next request on a kept-alive connection
        // sees the end of its input and ends; one answering a request sees
        // the stop and closes the connection once its answer is written.
        for connection in &connections {
            let _ = connection.socket.shutdown(Shutdown::Read);
        }
        // Only a thread stuck writing to a client that stopped reading is
        // still there after the grace period; closing its connection ends
        // the write.
        if !self.shared.wait_for_connections_to_end(SHUTDOWN_GRACE) {
            for connection in &connections {
                let _ = connection.socket.shutdown(Shutdown::Both);
            }
        }
        for connection in connections {
            // A panicked connection thread has already reported its panic.
            let _ = connection.thread.join();
        }
    }
}

/// What the accept loop, the connection threads and the `FixtureServer` share.
#[derive(Default)]
struct Shared {
    counts: Mutex<Counts>,
    /// Notified whenever `counts.in_flight` or `counts.open` changes.
    counts_changed: Condvar,
    /// Set once, when the server is dropped.
    stopping: Mutex<bool>,
    /// Notified when `stopping` is set; the `/delay` waits sleep on it.
    ///
    /// A condition variable of its own: if sleeping requests waited on
    /// `counts_changed`, each of 500 of them would wake on every arrival.
    stop_requested: Condvar,
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    in_flight: usize,
    max_in_flight: usize,
    requests: usize,
    /// Connection threads still running.
    open: usize,
    /// Connections accepted.
    connections: usize,
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

    /// Waits until every connection thread has ended, or `timeout` has
    /// passed; returns whether they all ended.
    fn wait_for_connections_to_end(&self, timeout: Duration) -> bool {
        let (counts, _) = self
            .counts_changed
            .wait_timeout_while(self.counts(), timeout, |c| c.open > 0)
            .unwrap_or_else(PoisonError::into_inner);
        counts.open == 0
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
/// return, a write error, a panic — can leave a request counted for ever and make every later
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

/// A connection thread, counted in `open` from its start to its end,
/// however it ends.
struct Open {
    shared: Arc<Shared>,
}

impl Open {
    fn enter(shared: &Arc<Shared>) -> Open {
        let mut counts = shared.counts();
        counts.open += 1;
        counts.connections += 1;
        drop(counts);
        Open {
            shared: Arc::clone(shared),
        }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.shared.counts().open -= 1;
        self.shared.counts_changed.notify_all();
    }
}

/// The accept loop: serves each connection on a thread of its own, until the
/// server stops. Returns the connections that may still be open.
///
/// The loop itself never reads a request; if it did, a slow client would
/// hold up every connection behind it. A thread is started for every
/// connection, so a burst of new connections never waits for a busy one.
fn accept(listener: &TcpListener, shared: &Arc<Shared>) -> Vec<Connection> {
    let mut connections: Vec<Connection> = Vec::new();
    for stream in listener.incoming() {
        if shared.is_stopping() {
            break;
        }
        let stream = match stream {
            Ok(stream) => stream,
            // Out of file descriptors, say. The client sees its connection
            // refused or reset; the server goes on with the next one.
            Err(e) => {
                eprintln!("FixtureServer: accepting a connection failed: {e}");
                continue;
            }
        };
        // Finished threads need no join: dropping their handles frees them.
        connections.retain(|connection| !connection.thread.is_finished());
        let socket = match stream.try_clone() {
            Ok(socket) => socket,
            Err(e) => {
                eprintln!("FixtureServer: cannot keep a connection's socket: {e}");
                continue;
            }
        };
        let open = Open::enter(shared);
        let spawned = thread::Builder::new()
            .name("fixture-http-connection".into())
            .stack_size(WORKER_STACK)
            .spawn(move || {
                serve(&stream, &open.shared);
                // The accept loop holds a copy of the socket, so dropping
                // this one would not close the connection: shutting it down
                // does, whatever copies are left.
                let _ = stream.shutdown(Shutdown::Both);
            });
        match spawned {
            Ok(thread) => connections.push(Connection { thread, socket }),
            // The stream has been dropped with the closure: the client sees
            // the connection closed.
            Err(e) => {
                eprintln!("FixtureServer: cannot start a connection thread: {e}");
            }
        }
    }
    connections
}

/// Serves the requests of one connection, one after another, until the
/// client closes it or asks to, the server stops, or what arrives is not a
/// request this server understands (answered `400` before closing).
fn serve(stream: &TcpStream, shared: &Arc<Shared>) {
    let mut reader = BufReader::new(stream);
    loop {
        let request = match read_request(&mut reader) {
            Ok(Some(request)) => request,
            // Closed between requests, as clients do.
            Ok(None) => return,
            Err(error) => {
                if error.kind() == io::ErrorKind::InvalidData {
                    let body = format!("bad request: {error}\n");
                    let answer =
                        Answer::text(400, "text/plain; charset=utf-8", body);
                    let _ = respond(stream, &answer, false, false, shared);
                }
                return;
            }
        };
        // Counted from the moment the request has been read.
        let served = Served::enter(shared);
        let answer = answer(&request, shared);
        let keep_alive = request.keep_alive && !shared.is_stopping();
        // Not counted while the answer is written (see `Served`).
        drop(served);
        let head_only = request.method == "HEAD";
        // An error here means the client went away or the server is
        // stopping; neither is the test's business.
        if respond(stream, &answer, head_only, keep_alive, shared).is_err()
            || !keep_alive
        {
            return;
        }
    }
}

/// A request, as far as this server cares.
#[derive(Debug)]
struct Request {
    method: String,
    target: String,
    /// Whether the client wants the connection kept open after the answer.
    keep_alive: bool,
}

fn invalid(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.to_owned())
}

/// Reads one line of a request head, without its line ending; `None` if the
/// connection was closed before the line began. `budget` is what is left
/// of [`MAX_HEAD`].
fn head_line(
    reader: &mut impl BufRead,
    budget: &mut usize,
) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    let limit = u64::try_from(*budget).unwrap_or(u64::MAX);
    let n = reader.take(limit).read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(None);
    }
    *budget = budget.saturating_sub(n);
    if !line.ends_with(b"\n") {
        return Err(invalid("the request head is cut short or too long"));
    }
    let line = String::from_utf8(line)
        .map_err(|_| invalid("the request head is not UTF-8"))?;
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
}

/// Reads the next request on a connection; `None` if the client closed it
/// instead of sending one. A body, which no route needs, is read and
/// skipped, so that the next request starts where it should.
fn read_request(reader: &mut impl BufRead) -> io::Result<Option<Request>> {
    let mut budget = MAX_HEAD;
    let request_line = loop {
        match head_line(reader, &mut budget)? {
            None => return Ok(None),
            // An empty line between requests is allowed, and skipped.
            Some(line) if line.is_empty() => continue,
            Some(line) => break line,
        }
    };
    let words: Vec<&str> = request_line.split(' ').collect();
    let [method, target, version] = words[..] else {
        return Err(invalid("the request line is not `METHOD TARGET VERSION`"));
    };
    let mut keep_alive = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return Err(invalid("only HTTP/1.0 and HTTP/1.1 are spoken here")),
    };
    let mut body: u64 = 0;
    loop {
        let Some(line) = head_line(reader, &mut budget)? else {
            return Err(invalid("the connection closed inside a request head"));
        };
        if line.is_empty() {
            break;
        }
        let Some((field, value)) = line.split_once(':') else {
            return Err(invalid("a header line has no `:`"));
        };
        let value = value.trim();
        let has = |token: &str| {
            value
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        if field.eq_ignore_ascii_case("connection") {
            if has("close") {
                keep_alive = false;
            } else if has("keep-alive") {
                keep_alive = true;
            }
        } else if field.eq_ignore_ascii_case("content-length") {
            body = value
                .parse()
                .map_err(|_| invalid("Content-Length is not a number"))?;
        } else if field.eq_ignore_ascii_case("transfer-encoding") {
            return Err(invalid("request bodies in chunks are not supported"));
        }
    }
    if body > MAX_REQUEST_BODY {
        return Err(invalid("the request body is too large"));
    }
    let skipped = io::copy(&mut reader.take(body), &mut io::sink())?;
    if skipped < body {
        return Err(invalid("the connection closed inside a request body"));
    }
    Ok(Some(Request {
        method: method.to_owned(),
        target: target.to_owned(),
        keep_alive,
    }))
}

/// What a request asks for.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Delay(Duration),
    Status(u16),
    Bytes(usize),
    NotFound,
}

fn route(method: &str, url: &str) -> Route {
    if method != "GET" && method != "HEAD" {
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

/// An answer, before it is written.
#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: Option<&'static str>,
    body: Body,
}

#[derive(Debug)]
enum Body {
    Text(String),
    /// `n` bytes of [`alphabet_byte`], made as they are sent.
    Alphabet(usize),
}

impl Answer {
    fn text(status: u16, content_type: &'static str, body: String) -> Answer {
        Answer {
            status,
            content_type: Some(content_type),
            body: Body::Text(body),
        }
    }

    fn len(&self) -> usize {
        match &self.body {
            Body::Text(text) => text.len(),
            Body::Alphabet(n) => *n,
        }
    }
}

/// What to answer `request`; a `/delay` sleeps here, unless the server stops.
fn answer(request: &Request, shared: &Shared) -> Answer {
    match route(&request.method, &request.target) {
        Route::Delay(delay) => {
            if shared.sleep_unless_stopped(delay) {
                let body = format!("{{\"delay_ms\": {}}}\n", delay.as_millis());
                Answer::text(200, "application/json", body)
            } else {
                Answer::text(
                    503,
                    "text/plain; charset=utf-8",
                    "fixture server shutting down\n".to_owned(),
                )
            }
        }
        Route::Status(code) => Answer {
            status: code,
            content_type: None,
            body: Body::Text(String::new()),
        },
        Route::Bytes(n) => Answer {
            status: 200,
            content_type: Some("application/octet-stream"),
            body: Body::Alphabet(n),
        },
        Route::NotFound => Answer::text(
            404,
            "text/plain; charset=utf-8",
            "not found; this server answers GET /delay/<ms>, /status/<code> \
             and /bytes/<n>\n"
                .to_owned(),
        ),
    }
}

/// The reason phrase of a status line. Clients ignore it; people read it.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Writes `answer`, always with a `Content-Length` and never in chunks, so
/// that a test reading a bare `TcpStream` can rely on it. A `/bytes` body is
/// cut short, with an error, when the server stops.
fn respond(
    stream: &TcpStream,
    answer: &Answer,
    head_only: bool,
    keep_alive: bool,
    shared: &Shared,
) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(64 * 1024, stream);
    write!(
        out,
        "HTTP/1.1 {} {}\r\n",
        answer.status,
        reason(answer.status)
    )?;
    // 204 and 304 answers have no body, and say nothing of its length.
    let bodiless = matches!(answer.status, 204 | 304);
    if let Some(content_type) = answer.content_type {
        write!(out, "Content-Type: {content_type}\r\n")?;
    }
    if !bodiless {
        write!(out, "Content-Length: {}\r\n", answer.len())?;
    }
    let connection = if keep_alive { "keep-alive" } else { "close" };
    write!(out, "Connection: {connection}\r\n\r\n")?;
    if !head_only && !bodiless {
        match &answer.body {
            Body::Text(text) => out.write_all(text.as_bytes())?,
            Body::Alphabet(len) => {
                let mut chunk = [0u8; 16 * 1024];
                let mut sent = 0;
                while sent < *len {
                    if shared.is_stopping() {
                        return Err(io::Error::other(
                            "fixture server shutting down",
                        ));
                    }
                    let n = cmp::min(chunk.len(), len - sent);
                    fill_alphabet(&mut chunk[..n], sent);
                    out.write_all(&chunk[..n])?;
                    sent += n;
                }
            }
        }
    }
    out.flush()
}

/// Fills `buf` with the bytes of a `/bytes` body from position `from` on.
fn fill_alphabet(buf: &mut [u8], from: usize) {
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte = alphabet_byte(from + i);
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
        let get = |url| route("GET", url);
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
        let get = |url| route("GET", url);
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
        assert_eq!(route("POST", "/status/200"), Route::NotFound);
    }

    #[test]
    fn alphabet_repeats() {
        let mut body = [0u8; 30];
        fill_alphabet(&mut body, 0);
        assert_eq!(&body, b"abcdefghijklmnopqrstuvwxyzabcd");
        fill_alphabet(&mut body[..3], 25);
        assert_eq!(&body[..3], b"zab");
    }

    fn read(raw: &str) -> io::Result<Option<Request>> {
        read_request(&mut raw.as_bytes())
    }

    #[test]
    fn requests_are_read_with_their_connection_wishes() {
        let request = read("GET /status/200 HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("a plain request reads")
            .expect("a request is there");
        assert_eq!(
            (request.method.as_str(), request.target.as_str()),
            ("GET", "/status/200")
        );
        assert!(
            request.keep_alive,
            "HTTP/1.1 keeps the connection by default"
        );
        let close = read("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n")
            .expect("reads")
            .expect("there");
        assert!(!close.keep_alive, "`Connection: close` closes");
        let old = read("\r\nHEAD / HTTP/1.0\r\n\r\n")
            .expect("reads")
            .expect("there");
        assert!(!old.keep_alive, "HTTP/1.0 closes by default");
        assert_eq!(old.method, "HEAD");
        assert!(read("").expect("an empty connection reads").is_none());
    }

    #[test]
    fn a_body_is_skipped_so_the_next_request_starts_right() {
        let raw = "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /y HTTP/1.1\r\n\r\n";
        let mut reader = raw.as_bytes();
        let first = read_request(&mut reader).expect("reads").expect("there");
        let second = read_request(&mut reader).expect("reads").expect("there");
        assert_eq!(
            (first.target.as_str(), second.target.as_str()),
            ("/x", "/y")
        );
    }

    #[test]
    fn what_is_not_a_request_is_refused() {
        for raw in [
            "GET /\r\n\r\n",
            "GET / HTTP/2\r\n\r\n",
            "GET / HTTP/1.1\r\nno colon\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nshort",
        ] {
            let error = read(raw).expect_err(raw);
            assert_eq!(error.kind(), io::ErrorKind::InvalidData, "{raw:?}: {error}");
        }
        let endless = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_HEAD));
        assert!(
            read(&endless).is_err(),
            "a head longer than MAX_HEAD is refused"
        );
    }
}
