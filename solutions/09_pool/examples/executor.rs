//! The pool's three ways back to the results, beside Python's: run with
//! `cargo run --example executor` in `solutions/`.

use std::thread;
use std::time::Duration;

use pool::ThreadPool;

/// Stands in for a download: waits a little, fails for a bad address.
fn fetch(url: &str) -> usize {
    thread::sleep(Duration::from_millis(url.len() as u64));
    if !url.starts_with("https://") {
        panic!("unsupported address {url}");
    }
    url.len() * 1_000
}

fn main() {
    let urls = ["https://example.com", "https://python.org", "bad://nowhere"];
    // ANCHOR: executor
    let pool = ThreadPool::new(4, 16);

    let handle = pool.submit(|| fetch("https://example.com"));
    println!("one: {:?}", handle.result());

    let sizes = pool.map(fetch, urls); // a Vec of Results, in input order
    println!("map: {sizes:?}");

    for (i, outcome) in pool.as_completed(urls.map(|url| move || fetch(url))) {
        match outcome {
            Ok(size) => println!("{}: {size}", urls[i]),
            Err(error) => println!("{} failed: {error}", urls[i]),
        }
    }
    drop(pool); // closes the queue, finishes what is queued, joins the workers
    // ANCHOR_END: executor
}
