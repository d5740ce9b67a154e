//! The spec for chapter 13. Run with `cargo test -p io_threads`.
//!
//! Every request goes to the test kit's fixture server on 127.0.0.1, which
//! counts how many requests it is answering at once. That count, not a
//! clock, shows how many of your workers were waiting together.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use io_threads::{
    FetchError, Outcome, Page, agent, fetch, fetch_all, fetch_as_completed,
};
use testkit::http::FixtureServer;
use testkit::{DEADLINE, eventually, watchdog};

/// A path the fixture answers only after a minute: a request to it stays in
/// flight until it times out or the test drops the server (which makes every
/// waiting request answer `503` at once).
const HELD: &str = "/delay/60000";

/// A timeout no request in these tests comes near unless it is held.
const GENEROUS: Duration = Duration::from_secs(10);

/// How long a test waits for something a correct solution does at once.
const PATIENCE: Duration = Duration::from_secs(2);

/// How long a test gives a request over the limit to show up at the server,
/// once the limit has been reached. A correct solution never sends one, so
/// this only bounds how long a wrong one has to be caught.
const LOOK_FOR_MORE: Duration = Duration::from_millis(300);

/// The timeout used where a request is meant to time out.
const SHORT: Duration = Duration::from_millis(200);

/// The watchdog's deadline where a request is meant to time out: ten times
/// the timeout, so only a missing (or much longer) timeout trips it.
const TIMEOUT_WATCH: Duration = Duration::from_secs(2);

/// A URL on 127.0.0.1 where nothing listens, so connecting is refused: a
/// port the system just handed out and that was closed again.
fn refused_url() -> String {
    let listener =
        TcpListener::bind("127.0.0.1:0").expect("bind a loopback port for a moment");
    let port = listener
        .local_addr()
        .expect("a bound listener has an address")
        .port();
    drop(listener);
    format!("http://127.0.0.1:{port}/status/200")
}

/// Readies the fixture for a burst of `n` connections at once.
///
/// The fixture's HTTP library (tiny_http) reads each connection on a thread
/// of a pool that grows on demand, and a keep-alive connection, which is what
/// ureq opens, keeps its thread for as long as it is open. A burst of new
/// connections that arrives while only a few threads are idle is queued
/// behind those few, so a test of twenty requests at once would see only
/// some of them. Opening `n` keep-alive connections one after another, each
/// answered before the next is opened, grows the pool to `n` threads;
/// closing them leaves those threads idle, ready for the burst. The counts
/// are reset afterwards, so the test sees only its own requests.
fn warm_up(server: &FixtureServer, n: usize) {
    let connections: Vec<TcpStream> = (0..n)
        .map(|_| {
            let mut stream = TcpStream::connect(server.addr())
                .expect("connect to the fixture server to warm it up");
            stream
                .set_read_timeout(Some(PATIENCE))
                .expect("set a read timeout on a loopback socket");
            stream
                .write_all(b"GET /status/200 HTTP/1.1\r\nHost: fixture\r\n\r\n")
                .expect("send a warm-up request");
            let mut answer = BufReader::new(&stream);
            let mut line = String::new();
            while line != "\r\n" {
                line.clear();
                let read = answer
                    .read_line(&mut line)
                    .expect("the fixture answers a warm-up request at once");
                assert!(read > 0, "the fixture closed a warm-up connection early");
            }
            stream
        })
        .collect();
    drop(connections);
    server.reset_counts();
}

/// The length of the body `/delay/<ms>` answers with.
fn delay_body_len(ms: u64) -> usize {
    format!("{{\"delay_ms\": {ms}}}\n").len()
}

fn join<T>(handle: thread::JoinHandle<T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[test]
fn fetch_reads_the_status_and_the_whole_body() {
    let server = FixtureServer::start();
    let url = server.url("/bytes/1234");
    let outcome = watchdog(
        DEADLINE,
        "fetch never returned from an instant request: read the body to its end",
        move || fetch(&agent(GENEROUS), &url),
    );
    assert_eq!(
        outcome,
        Ok(Page {
            status: 200,
            bytes: 1234
        }),
        "GET /bytes/1234 answers 200 with a body of 1234 bytes: return the \
         response's status and the length of the whole body you read"
    );
}

#[test]
fn fetch_turns_error_statuses_and_refused_connections_into_errors() {
    let server = FixtureServer::start();
    let (not_found, unavailable, refused) = (
        server.url("/status/404"),
        server.url("/status/503"),
        refused_url(),
    );
    let outcomes = watchdog(
        DEADLINE,
        "fetch never returned from an instant request",
        move || {
            let agent = agent(GENEROUS);
            [
                fetch(&agent, &not_found),
                fetch(&agent, &unavailable),
                fetch(&agent, &refused),
            ]
        },
    );
    for (code, outcome) in [(404, &outcomes[0]), (503, &outcomes[1])] {
        assert_eq!(
            outcome,
            &Err(FetchError::Status(code)),
            "an answer with status {code} is a failed request: keep ureq's default \
             (error statuses come back as ureq::Error::StatusCode) and let `?` \
             turn that error into a FetchError"
        );
    }
    assert!(
        matches!(outcomes[2], Err(FetchError::Connection(_))),
        "a request to a port where nothing listens should fail with \
         FetchError::Connection, but fetch returned {:?}: let `?` convert the \
         ureq::Error with the From impl that is given",
        outcomes[2]
    );
}

/// The fixture would answer after a minute; the watchdog allows ten times the
/// timeout. Only a client that gives up on its own returns in between.
#[test]
fn a_request_to_a_slow_endpoint_fails_at_the_timeout() {
    let server = FixtureServer::start();
    let url = server.url(HELD);
    let outcome = watchdog(
        TIMEOUT_WATCH,
        "a request to an endpoint that answers after a minute was still waiting \
         long after its 200 ms timeout. The agent has no timeout that covers the \
         whole request (a connect timeout alone stops waiting once connected): \
         build it with Agent::config_builder().timeout_global(Some(timeout))",
        move || fetch(&agent(SHORT), &url),
    );
    assert_eq!(
        outcome,
        Err(FetchError::Timeout),
        "a request the server does not answer within the timeout must fail with \
         FetchError::Timeout"
    );
    // `server` is dropped here, which also releases the request if a wrong
    // solution is still waiting for it.
}

/// Every URL is held at the server, so the requests pile up there: the test
/// waits until it has seen twenty at once (or gives up waiting), which takes
/// as long as twenty threads take to connect, not a guessed delay. It does
/// not wait for the batch to end: the thread running `fetch_all` is left to
/// finish on its own once the server has gone.
#[test]
fn twenty_workers_keep_twenty_requests_in_flight() {
    let (all_there, peak) = watchdog(
        DEADLINE,
        "the test could not read the fixture server's counts",
        || {
            let server = FixtureServer::start();
            warm_up(&server, 20);
            let urls = vec![server.url(HELD); 20];
            let fetching = thread::spawn(move || fetch_all(urls, 20, GENEROUS));
            // Polled rather than waited for, so that a batch that ended early
            // (a todo!, say) is reported at once rather than at the deadline.
            let all_there = eventually(PATIENCE, || {
                server.in_flight() >= 20 || fetching.is_finished()
            }) && server.in_flight() >= 20;
            let peak = server.max_in_flight();
            if fetching.is_finished() {
                // It ended while every request was held: pass on its panic.
                join(fetching);
            }
            (all_there, peak)
        },
    );
    assert!(
        all_there,
        "with 20 workers and 20 slow URLs, only {peak} of 20 requests were at the \
         server at the same moment. Are the URLs fetched one after another, or is \
         each thread joined right after it is spawned? Start all the workers \
         first; each one then takes the next URL until none is left"
    );
}

/// The URLs are held at the server, so no request finishes while the test
/// watches: a request that has been answered may still be counted by the
/// server for a moment after the client has it, which would blur the count.
/// Four must arrive; then the test gives a fifth a little while to show up.
/// It does not wait for the batch to end: the thread running `fetch_all` is
/// left to finish on its own once the server has gone.
#[test]
fn four_workers_never_have_more_than_four_requests_in_flight() {
    let (four_arrived, crowded, peak) = watchdog(
        DEADLINE,
        "the test could not read the fixture server's counts",
        || {
            let server = FixtureServer::start();
            warm_up(&server, 4);
            let urls = vec![server.url(HELD); 12];
            let fetching = thread::spawn(move || fetch_all(urls, 4, GENEROUS));
            let four_arrived = eventually(PATIENCE, || {
                server.in_flight() >= 4 || fetching.is_finished()
            }) && server.in_flight() >= 4;
            let crowded = eventually(LOOK_FOR_MORE, || server.max_in_flight() > 4);
            let peak = server.max_in_flight();
            if fetching.is_finished() {
                // It ended while every request was held: pass on its panic.
                join(fetching);
            }
            (four_arrived, crowded, peak)
        },
    );
    assert!(
        !crowded,
        "the server saw {peak} requests at the same moment from a batch given 4 \
         workers. Is there a thread per URL? Start exactly `workers` threads and \
         let each take URL after URL from a shared counter or queue"
    );
    assert!(
        four_arrived,
        "with 4 workers and 12 slow URLs, only {peak} requests were at the server \
         at the same moment: start all the workers before waiting for any"
    );
}

#[test]
fn one_failed_request_does_not_stop_the_batch() {
    let server = FixtureServer::start();
    let urls = vec![
        server.url("/bytes/3"),
        server.url("/status/404"),
        refused_url(),
        server.url("/status/503"),
        server.url("/bytes/5"),
        server.url("/bytes/8"),
        server.url("/status/500"),
        server.url("/bytes/13"),
    ];
    let results = watchdog(
        DEADLINE,
        "fetch_all never returned from 8 instant requests",
        move || fetch_all(urls, 2, GENEROUS),
    );
    assert_eq!(
        results.len(),
        8,
        "fetch_all returned {} outcomes for 8 URLs, some of which fail. One failed \
         request must not stop the batch: send its error as that URL's result and \
         go on with the next URL",
        results.len()
    );
    let page = |bytes| Ok(Page { status: 200, bytes });
    let expected: [(usize, Outcome); 7] = [
        (0, page(3)),
        (1, Err(FetchError::Status(404))),
        (3, Err(FetchError::Status(503))),
        (4, page(5)),
        (5, page(8)),
        (6, Err(FetchError::Status(500))),
        (7, page(13)),
    ];
    for (i, want) in expected {
        assert_eq!(
            results[i], want,
            "the outcome of URL {i} is wrong: each URL's slot holds its own page or \
             its own error, whatever happened to the others"
        );
    }
    assert!(
        matches!(results[2], Err(FetchError::Connection(_))),
        "URL 2 points at a port where nothing listens, so its outcome is a \
         FetchError::Connection, not {:?}",
        results[2]
    );
}

#[test]
fn fetch_all_returns_results_in_the_order_of_the_urls() {
    let server = FixtureServer::start();
    let urls = vec![
        server.url("/delay/300"),
        server.url("/bytes/1"),
        server.url("/bytes/2"),
        server.url("/bytes/3"),
    ];
    let results = watchdog(
        DEADLINE,
        "fetch_all never returned from four quick requests",
        move || fetch_all(urls, 4, GENEROUS),
    );
    let sizes: Vec<Option<usize>> = results
        .iter()
        .map(|outcome| outcome.as_ref().ok().map(|page| page.bytes))
        .collect();
    assert_eq!(
        sizes,
        [Some(delay_body_len(300)), Some(1), Some(2), Some(3)],
        "fetch_all must return the outcome of urls[i] at position i, like Python's \
         pool.map, even though the first URL answers last: put each result in the \
         slot of its index"
    );
}

/// The first URL is held by the server until the test drops it, so a result
/// can only arrive before that if it is handed over the moment it is ready.
#[test]
fn results_are_offered_as_soon_as_each_is_ready() {
    let (first, rest) = watchdog(
        DEADLINE,
        "fetch_as_completed did not return, or its receiver never ended: start \
         the workers, return the receiver at once, and let every Sender be \
         dropped when the workers finish",
        || {
            let server = FixtureServer::start();
            let urls = vec![server.url(HELD), server.url("/bytes/7")];
            let completed = fetch_as_completed(urls, 2, GENEROUS);
            let first = completed.recv_timeout(PATIENCE);
            if first.is_err() {
                return (first, Vec::new());
            }
            // Once the server has read the held request, dropping the server
            // answers it at once.
            let both_read = eventually(PATIENCE, || server.requests() >= 2);
            drop(server);
            let rest: Vec<(usize, Outcome)> = if both_read {
                completed.iter().collect()
            } else {
                Vec::new()
            };
            (first, rest)
        },
    );
    let first = first.unwrap_or_else(|_| {
        panic!(
            "no result arrived while the first URL was held by the server, although \
             the second was answered at once. Send each result into the channel as \
             soon as its request is done, not in the order of the URLs"
        )
    });
    assert_eq!(
        first,
        (
            1,
            Ok(Page {
                status: 200,
                bytes: 7
            })
        ),
        "the first result out should be URL 1 with its 7 bytes, paired with its \
         index"
    );
    let indices: Vec<usize> = rest.iter().map(|(i, _)| *i).collect();
    assert_eq!(
        indices,
        [0],
        "after the quick URL, exactly one more result was due (URL 0, answered \
         when the server went away)"
    );
}

/// Two workers, five URLs, the first held at the server: the worker that is
/// not stuck must fetch the other four, whichever of them it was "meant" to
/// get, while the first waits.
#[test]
fn a_free_worker_takes_every_url_left() {
    let (quick, rest) = watchdog(
        DEADLINE,
        "fetch_as_completed did not return, or its receiver never ended",
        || {
            let server = FixtureServer::start();
            warm_up(&server, 2);
            let mut urls = vec![server.url(HELD)];
            urls.extend((1..=4).map(|n| server.url(&format!("/bytes/{n}"))));
            let completed = fetch_as_completed(urls, 2, GENEROUS);
            let mut quick = Vec::new();
            while quick.len() < 4 {
                match completed.recv_timeout(PATIENCE) {
                    Ok((i, outcome)) => quick.push((i, outcome)),
                    Err(_) => break,
                }
            }
            // Dropping the server answers the held request at once. A worker
            // that still had URLs of its own to fetch may then wait on a
            // connection the server no longer reads, so the test stops
            // listening a moment after the held URL's answer.
            drop(server);
            let mut rest: Vec<usize> = Vec::new();
            while let Ok((i, _)) = completed.recv_timeout(if rest.is_empty() {
                PATIENCE
            } else {
                SHORT
            }) {
                rest.push(i);
            }
            (quick, rest)
        },
    );
    let mut indices: Vec<usize> = quick.iter().map(|(i, _)| *i).collect();
    indices.sort_unstable();
    assert!(
        !indices.is_empty(),
        "no result came back while URL 0 was held at the server, although a second \
         worker could fetch URLs 1 to 4 meanwhile: start both workers, and send \
         each result into the channel as soon as its request is done"
    );
    assert_eq!(
        indices,
        [1, 2, 3, 4],
        "while URL 0 was held at the server, only the URLs {indices:?} came back: \
         the other worker stopped when its fixed share of the URLs was done, and the \
         rest waited behind URL 0. Let each free worker take the next URL from a \
         shared counter or queue instead of dealing the URLs out up front"
    );
    for (i, outcome) in &quick {
        assert_eq!(
            outcome,
            &Ok(Page {
                status: 200,
                bytes: *i
            }),
            "URL {i} is /bytes/{i}"
        );
    }
    assert_eq!(rest, [0], "URL 0 is answered once the server goes away");
}

/// One worker fetches eight URLs from one server, one after another. An
/// agent keeps the connection of a finished request open and reuses it for
/// the next; an agent made per request opens a new connection every time.
#[test]
fn the_workers_share_one_agent_and_reuse_its_connections() {
    let server = FixtureServer::start();
    let urls = vec![server.url("/bytes/2"); 8];
    let results = watchdog(
        DEADLINE,
        "fetch_all never returned from 8 instant requests",
        move || fetch_all(urls, 1, GENEROUS),
    );
    let ok = Ok(Page {
        status: 200,
        bytes: 2,
    });
    assert!(
        results.iter().all(|outcome| *outcome == ok),
        "every request for /bytes/2 answers 200 with 2 bytes: {results:?}"
    );
    let connections = server.connections();
    assert_eq!(
        connections, 1,
        "one worker fetching 8 URLs opened {connections} connections to the server: \
         an agent made for each request cannot reuse the previous request's \
         connection. Build one agent per batch and give every worker a clone of it \
         (a clone shares the connection pool). (If the test of four workers fails \
         too, more than one request ran at a time: fix that first.)"
    );
}

#[test]
fn every_request_of_a_batch_has_the_timeout() {
    let server = FixtureServer::start();
    let urls = vec![
        server.url(HELD),
        server.url("/bytes/4"),
        server.url(HELD),
        server.url(HELD),
    ];
    let results = watchdog(
        TIMEOUT_WATCH,
        "fetch_all was still waiting for held requests long after their 200 ms \
         timeout: give the agent the workers share the `timeout` you were passed, \
         as a timeout that covers the whole request (timeout_global)",
        move || fetch_all(urls, 4, SHORT),
    );
    let timed_out = Err(FetchError::Timeout);
    assert_eq!(
        results,
        [
            timed_out.clone(),
            Ok(Page {
                status: 200,
                bytes: 4
            }),
            timed_out.clone(),
            timed_out,
        ],
        "each held request should time out on its own while the quick one \
         succeeds"
    );
}
