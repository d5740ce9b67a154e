//! The loopback fixture server, driven over bare `TcpStream`s speaking
//! HTTP/1.1, mostly with `Connection: close`, so these tests need no HTTP
//! client.
//!
//! Nothing here asserts a tight duration: the bounds only separate "woke on
//! shutdown" from "slept the whole delay", by a factor of ten or more.
#![cfg(feature = "http")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use testkit::http::{FixtureServer, alphabet_byte};

/// Longest a test waits for anything; only reached when something is broken.
const PATIENCE: Duration = Duration::from_secs(10);

/// A parsed answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (field, value) = line.split_once(':')?;
            field.eq_ignore_ascii_case(name).then_some(value.trim())
        })
    }
}

/// Connects and sends `GET path`, without waiting for the answer.
fn send(server: &FixtureServer, path: &str) -> TcpStream {
    let mut stream =
        TcpStream::connect(server.addr()).expect("connect to the fixture");
    stream
        .set_read_timeout(Some(PATIENCE))
        .expect("set a read timeout");
    stream
        .set_write_timeout(Some(PATIENCE))
        .expect("set a write timeout");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.addr()
    );
    stream
        .write_all(request.as_bytes())
        .expect("send the request");
    stream
}

/// Reads a whole answer, up to the server closing the connection.
fn receive(mut stream: TcpStream) -> Answer {
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .expect("read the answer before the timeout");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("the answer has a complete head");
    let head = String::from_utf8(raw[..split].to_vec()).expect("the head is UTF-8");
    let body = raw[split + 4..].to_vec();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("the status line has a numeric code");
    let answer = Answer { status, head, body };
    if let Some(length) = answer.header("Content-Length") {
        let length: usize = length.parse().expect("Content-Length is a number");
        assert_eq!(answer.body.len(), length, "body length != Content-Length");
    }
    answer
}

fn get(server: &FixtureServer, path: &str) -> Answer {
    receive(send(server, path))
}

#[test]
fn status_answers_the_code_asked_for() {
    let server = FixtureServer::start();
    assert_eq!(get(&server, "/status/503").status, 503, "GET /status/503");
    assert_eq!(
        get(&server, "/status/200?ignored=1").status,
        200,
        "with a query"
    );
    assert_eq!(get(&server, "/status/418").status, 418, "GET /status/418");
    assert_eq!(server.requests(), 3, "every request is counted");
}

#[test]
fn bytes_answers_that_many_bytes() {
    let server = FixtureServer::start();
    let answer = get(&server, "/bytes/1000");
    assert_eq!(answer.status, 200, "GET /bytes/1000");
    assert_eq!(answer.body.len(), 1000, "GET /bytes/1000 body length");
    assert!(
        answer.body.starts_with(b"abcdefghijklmnopqrstuvwxyzab"),
        "a-z"
    );
    assert!(
        answer
            .body
            .iter()
            .enumerate()
            .all(|(i, &b)| b == alphabet_byte(i)),
        "the body is a-z repeated"
    );
    // Larger than tiny_http's chunking threshold: still a plain body.
    let answer = get(&server, "/bytes/100000");
    assert_eq!(answer.body.len(), 100_000, "GET /bytes/100000 body length");
    assert_eq!(answer.header("Transfer-Encoding"), None, "never chunked");
}

#[test]
fn unknown_paths_are_not_found() {
    let server = FixtureServer::start();
    for path in ["/", "/nope", "/delay/soon", "/status/", "/bytes/1/2"] {
        assert_eq!(get(&server, path).status, 404, "GET {path}");
    }
}

#[test]
fn concurrent_delays_are_served_concurrently() {
    let server = FixtureServer::start();
    // All 8 requests are sent from this thread before any answer is read, so
    // they reach the server within a fraction of the 300 ms delay however
    // busy the machine is: no client thread can be scheduled late.
    let streams: Vec<TcpStream> =
        (0..8).map(|_| send(&server, "/delay/300")).collect();
    for stream in streams {
        let answer = receive(stream);
        assert_eq!(answer.status, 200, "GET /delay/300");
        assert_eq!(answer.body, b"{\"delay_ms\": 300}\n", "the delay body");
    }
    assert_eq!(server.max_in_flight(), 8, "all 8 delays overlapped");
    assert!(
        server.wait_for_in_flight(0, PATIENCE),
        "in_flight returns to 0, still {}",
        server.in_flight()
    );
    assert_eq!(server.requests(), 8, "8 requests received");

    server.reset_counts();
    assert_eq!(server.requests(), 0, "requests after reset");
    assert_eq!(server.max_in_flight(), 0, "max_in_flight after reset");
}

#[test]
fn many_slow_requests_are_all_in_flight_at_once() {
    // 200 rather than 500: each loopback connection costs this one process
    // up to three file descriptors (client end, server end and tiny_http's
    // clone of it), and the soft limit is often 1,024.
    const CLIENTS: usize = 200;
    // std listens with a backlog of 128: connecting much faster than the
    // server accepts overflows it, and the kernel then retries the dropped
    // connections a whole second later. Sending in batches, each once the
    // last has arrived, keeps the test quick; the 10 s delay keeps every
    // request in flight until the server is dropped.
    const BATCH: usize = 50;
    let server = FixtureServer::start();
    let mut streams = Vec::with_capacity(CLIENTS);
    while streams.len() < CLIENTS {
        for _ in 0..BATCH {
            streams.push(send(&server, "/delay/10000"));
        }
        assert!(
            server.wait_for_in_flight(streams.len(), PATIENCE),
            "{} requests in flight together, only {}",
            streams.len(),
            server.in_flight()
        );
    }
    assert_eq!(server.max_in_flight(), CLIENTS, "max_in_flight");
    drop(server);
    for stream in streams {
        assert_eq!(receive(stream).status, 503, "woken by shutdown");
    }
}

#[test]
fn drop_is_quick_with_a_request_asleep() {
    let server = FixtureServer::start();
    let stream = send(&server, "/delay/10000");
    let client = thread::spawn(move || receive(stream));
    assert!(
        server.wait_for_in_flight(1, PATIENCE),
        "the slow request arrives"
    );
    let started = Instant::now();
    drop(server);
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(1),
        "dropping took {took:?}; it must not wait for the 10 s delay"
    );
    let answer = client.join().expect("the client thread finishes");
    assert_eq!(
        answer.status, 503,
        "the sleeping request is told to go away"
    );
}

#[test]
fn url_names_the_loopback_port() {
    let server = FixtureServer::start();
    let addr = server.addr();
    assert!(addr.ip().is_loopback(), "listens on loopback only: {addr}");
    assert_eq!(
        server.url("/status/200"),
        format!("http://127.0.0.1:{}/status/200", addr.port()),
        "url()"
    );
}

/// Sends `GET path` on a connection that stays open.
fn send_kept_alive(stream: &mut TcpStream, path: &str) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: fixture\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .expect("send the request");
}

fn connect(server: &FixtureServer) -> TcpStream {
    let stream = TcpStream::connect(server.addr()).expect("connect to the fixture");
    stream
        .set_read_timeout(Some(PATIENCE))
        .expect("set a read timeout");
    stream
}

/// Reads one answer from a connection that stays open: its head, then as
/// many body bytes as its `Content-Length` says. Returns the status and the
/// body.
fn receive_one(reader: &mut BufReader<TcpStream>) -> (u16, Vec<u8>) {
    let mut status = 0;
    let mut length = 0;
    let mut line = String::new();
    loop {
        line.clear();
        reader
            .read_line(&mut line)
            .expect("read a line of the head");
        assert!(!line.is_empty(), "the connection closed inside an answer");
        if line == "\r\n" {
            break;
        }
        if let Some(code) = line.strip_prefix("HTTP/1.1 ") {
            status = code[..3].parse().expect("a numeric status");
        } else if let Some((field, value)) = line.split_once(':')
            && field.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().expect("Content-Length is a number");
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("read the whole body");
    (status, body)
}

#[test]
fn a_kept_alive_connection_answers_request_after_request() {
    let server = FixtureServer::start();
    let mut stream = connect(&server);
    let mut reader = BufReader::new(stream.try_clone().expect("clone the socket"));
    for path in ["/status/204", "/bytes/3", "/delay/1", "/status/503"] {
        send_kept_alive(&mut stream, path);
        let (status, body) = receive_one(&mut reader);
        let expected = match path {
            "/status/204" => (204, &b""[..]),
            "/bytes/3" => (200, &b"abc"[..]),
            "/delay/1" => (200, &b"{\"delay_ms\": 1}\n"[..]),
            _ => (503, &b""[..]),
        };
        assert_eq!(
            (status, &body[..]),
            expected,
            "GET {path} on a kept connection"
        );
    }
    assert_eq!(server.requests(), 4, "four requests on one connection");
    assert_eq!(server.connections(), 1, "one connection, kept alive");
    drop(stream);
    let _ = get(&server, "/status/200");
    assert_eq!(server.connections(), 2, "a new connection is counted");
    server.reset_counts();
    assert_eq!(server.connections(), 0, "connections after reset");
}
