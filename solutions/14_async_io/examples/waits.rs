//! Ten thousand waits at once, as tasks on tokio's runtime. Run with
//! `cargo run --release --example waits` in `solutions/`.

use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::{Instant, sleep};

#[tokio::main]
async fn main() {
    // ANCHOR: many_waits
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for i in 0..10_000_u64 {
        tasks.spawn(async move {
            sleep(Duration::from_millis(100)).await;
            i
        });
    }
    let mut total = 0;
    while let Some(finished) = tasks.join_next().await {
        total += finished.expect("a task panicked");
    }
    println!("10,000 waits of 100 ms: {:.0?} ({total})", start.elapsed());
    // ANCHOR_END: many_waits
}
