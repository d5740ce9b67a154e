//! Sequential, "all on one pool" and the pipeline on the same documents:
//! each takes 20 ms to download from the loopback fixture and about as long
//! to crunch.

use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use pipeline::{Config, agent, checksum, fetch, pipeline};
use testkit::bench::{median, note, time, value};
use testkit::http::FixtureServer;

const DOCUMENTS: usize = 24;
const GROUP: &str = "fetch and crunch 24 documents";

/// Finds how many rounds of `checksum` take about `target` on this machine.
fn calibrate(doc: &[u8], target: Duration) -> u32 {
    let mut rounds = 1_000;
    loop {
        let start = Instant::now();
        std::hint::black_box(checksum(doc, rounds));
        let took = start.elapsed();
        if took >= target / 4 {
            let scale = target.as_secs_f64() / took.as_secs_f64();
            return (f64::from(rounds) * scale) as u32;
        }
        rounds *= 2;
    }
}

fn main() {
    let server = FixtureServer::start();
    let urls: Vec<String> =
        (0..DOCUMENTS).map(|_| server.url("/delay/20")).collect();
    let cores = thread::available_parallelism().map_or(2, |n| n.get());
    let sample = fetch(&agent(), &urls[0]).expect("the fixture answers");
    let rounds = calibrate(&sample, Duration::from_millis(20));
    let crunch = |doc: &[u8]| checksum(doc, rounds) & 1;

    let sequential = median(3, || {
        let agent = agent();
        for url in &urls {
            let doc = fetch(&agent, url).expect("the fixture answers");
            std::hint::black_box(crunch(&doc));
        }
    });
    time(GROUP, "sequential: fetch, crunch, fetch, ...", sequential);

    let one_pool = median(3, || {
        let agent = agent();
        let next = Mutex::new(urls.iter());
        thread::scope(|s| {
            for _ in 0..cores {
                s.spawn(|| {
                    loop {
                        let url = next.lock().expect("not poisoned").next();
                        let Some(url) = url else { break };
                        let doc = fetch(&agent, url).expect("the fixture answers");
                        std::hint::black_box(crunch(&doc));
                    }
                });
            }
        });
    });
    time(GROUP, "all on one pool of one thread per core", one_pool);

    let config = Config {
        downloaders: 8,
        crunchers: cores,
        queue: 8,
    };
    let piped = median(3, || {
        std::hint::black_box(pipeline(urls.clone(), config, crunch));
    });
    time(GROUP, "pipeline: 8 downloaders, a cruncher per core", piped);

    value(GROUP, "cores", cores as f64, "threads");
    note(
        GROUP,
        "The pool with one thread per core waits for downloads on threads that \
         could crunch; the pipeline waits on cheap download threads and keeps \
         every core crunching.",
    );
}
