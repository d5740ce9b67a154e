//! A future does nothing until it is awaited, and two futures awaited one
//! after the other wait one after the other. Run with
//! `cargo run --example lazy` in `solutions/`.

use std::time::Duration;

use tokio::time::{Instant, sleep};

async fn wait(name: &str, ms: u64) -> &str {
    println!("{name}: starts waiting");
    sleep(Duration::from_millis(ms)).await;
    name
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // ANCHOR: lazy
    let first = wait("first", 200); // nothing printed yet
    let second = wait("second", 200);
    let start = Instant::now();
    first.await; // "first: starts waiting", 200 ms
    second.await; // "second: starts waiting", 200 ms more
    println!("awaited in turn: {:.0?}", start.elapsed());

    let start = Instant::now();
    tokio::join!(wait("third", 200), wait("fourth", 200));
    println!("joined: {:.0?}", start.elapsed()); // about 200 ms
    // ANCHOR_END: lazy
}
