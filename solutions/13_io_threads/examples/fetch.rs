//! The articles' two ways to fetch a list of URLs, in Rust, against the test
//! kit's loopback server: one after another, then a thread per URL. Run with
//! `cargo run --example fetch` in `solutions/`.

use std::thread;
use std::time::{Duration, Instant};

use testkit::http::FixtureServer;
use ureq::Agent;

// ANCHOR: fetch
/// GETs `url` and returns the size of its body.
fn fetch(agent: &Agent, url: &str) -> Result<usize, ureq::Error> {
    let mut response = agent.get(url).call()?;
    Ok(response.body_mut().read_to_vec()?.len())
}
// ANCHOR_END: fetch

fn main() {
    let server = FixtureServer::start();
    let urls: Vec<String> = (0..4).map(|_| server.url("/delay/200")).collect();

    // ANCHOR: agent
    let agent: Agent = Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    // ANCHOR_END: agent

    // ANCHOR: sequential
    let start = Instant::now();
    let mut total = 0;
    for url in &urls {
        match fetch(&agent, url) {
            Ok(bytes) => total += bytes,
            Err(e) => eprintln!("{url} failed: {e}"),
        }
    }
    println!(
        "{total} bytes in {:.2?}, one after another",
        start.elapsed()
    );
    // ANCHOR_END: sequential

    // ANCHOR: thread_per_url
    let start = Instant::now();
    let sizes: Vec<Result<usize, ureq::Error>> = thread::scope(|s| {
        let handles: Vec<_> = urls
            .iter()
            .map(|url| s.spawn(|| fetch(&agent, url)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a fetching thread panicked"))
            .collect()
    });
    let total: usize = sizes.iter().flatten().sum();
    println!("{total} bytes in {:.2?}, a thread per URL", start.elapsed());
    // ANCHOR_END: thread_per_url
}
