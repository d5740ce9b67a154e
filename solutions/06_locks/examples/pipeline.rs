//! Producers and consumers around a bounded queue, the way Python code uses
//! `queue.Queue(maxsize=8)`. Run with `cargo run --example pipeline` in
//! `solutions/`.

use std::thread;

use locks::BoundedQueue;

// ANCHOR: pipeline
fn sum_through_queue(items: u64) -> u64 {
    let queue = BoundedQueue::new(8); // push waits while 8 items are queued
    thread::scope(|s| {
        let queue = &queue;
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut sum = 0;
                    // pop waits while the queue is empty and open.
                    while let Some(item) = queue.pop() {
                        sum += item;
                    }
                    sum // pop returned None: closed and drained
                })
            })
            .collect();
        for item in 0..items {
            queue.push(item).expect("nobody closed the queue yet");
        }
        queue.close(); // no "stop" item per consumer needed
        consumers
            .into_iter()
            .map(|c| c.join().expect("a consumer panicked"))
            .sum()
    })
}
// ANCHOR_END: pipeline

fn main() {
    let total = sum_through_queue(100);
    assert_eq!(total, (0..100).sum());
    println!("2 consumers summed 100 items: {total}");
}
