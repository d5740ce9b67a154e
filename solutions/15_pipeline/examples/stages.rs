//! Three stages joined by bounded channels: a producer, two workers and the
//! calling thread, which adds up. Run from `solutions/` with
//! `cargo run --example stages`: the producer's "waits" lines show the
//! bound at work.

use std::sync::{Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

fn main() {
    let start = Instant::now();
    // ANCHOR: stages
    let (jobs_tx, jobs_rx) = mpsc::sync_channel::<u64>(2); // at most 2 waiting
    let jobs_rx = Mutex::new(jobs_rx); // two workers share one receiver
    let (done_tx, done_rx) = mpsc::sync_channel::<u64>(2);
    let total: u64 = thread::scope(|s| {
        s.spawn(move || {
            for n in 1..=8 {
                let before = Instant::now();
                jobs_tx.send(n).expect("the workers outlive the producer");
                if before.elapsed() > Duration::from_millis(5) {
                    println!("{:>4} ms: waited to send {n}", ms(start));
                }
            } // jobs_tx dropped: the workers' recv() fails once the queue is empty
        });
        for _ in 0..2 {
            let (jobs_rx, done_tx) = (&jobs_rx, done_tx.clone());
            s.spawn(move || {
                loop {
                    // A statement of its own, so the lock is released at once.
                    let next = jobs_rx.lock().expect("not poisoned").recv();
                    let Ok(n) = next else { break };
                    thread::sleep(Duration::from_millis(50)); // the slow stage
                    done_tx.send(n * n).expect("the caller adds up to the end");
                }
            });
        }
        drop(done_tx); // only the workers' clones keep the results open
        done_rx.iter().sum()
    });
    // ANCHOR_END: stages
    println!("{:>4} ms: total {total}", ms(start));
}

fn ms(start: Instant) -> u128 {
    start.elapsed().as_millis()
}
