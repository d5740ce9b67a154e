//! `cargo course bench io_threads`: twenty slow requests to the loopback
//! fixture server, one after another and on bounded worker threads.

use std::time::Duration;

use io_threads::{agent, fetch, fetch_all};
use testkit::bench;
use testkit::http::FixtureServer;

const REQUESTS: usize = 20;
const DELAY_MS: u64 = 200;

fn main() {
    let server = FixtureServer::start();
    let urls = vec![server.url(&format!("/delay/{DELAY_MS}")); REQUESTS];
    let timeout = Duration::from_secs(10);
    let group = "20 requests of 200 ms each";

    let one_agent = agent(timeout);
    let sequential = bench::median(1, || {
        for url in &urls {
            fetch(&one_agent, url).expect("the fixture answers every request");
        }
    });
    bench::time(group, "one after another, one agent", sequential);

    let mut twenty = Duration::ZERO;
    for workers in [4, 10, REQUESTS] {
        let elapsed = bench::median(5, || {
            let results = fetch_all(urls.clone(), workers, timeout);
            assert!(results.iter().all(Result::is_ok), "every request succeeds");
        });
        bench::time(group, &format!("fetch_all, {workers} workers"), elapsed);
        twenty = elapsed;
    }
    let one_request = Duration::from_millis(DELAY_MS).as_secs_f64();
    bench::value(
        group,
        "20 workers, in units of one request",
        (twenty.as_secs_f64() / one_request * 100.0).round() / 100.0,
        "× 200 ms (goal: at most 1.25)",
    );
    bench::note(
        group,
        "With n workers the batch takes about ceil(20 / n) rounds of 200 ms: the \
         time goes to waiting, so more threads than cores still help.",
    );
}
