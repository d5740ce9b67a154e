//! A fast producer and a slow consumer on a `sync_channel(2)`: run with
//! `cargo run --example backpressure` in `solutions/` and watch the producer
//! never get more than three items ahead.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

fn main() {
    // ANCHOR: sync_channel
    let (tx, rx) = mpsc::sync_channel(2); // at most 2 items wait in the channel
    let producer = thread::spawn(move || {
        for item in 0..8 {
            println!("made  {item}");
            tx.send(item).expect("the consumer is listening"); // waits while full
        }
    });
    for item in rx {
        thread::sleep(Duration::from_millis(100)); // a slow consumer
        println!("  took {item}");
    }
    producer.join().expect("the producer panicked");
    // ANCHOR_END: sync_channel
}
