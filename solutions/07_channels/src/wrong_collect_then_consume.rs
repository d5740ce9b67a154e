//! Chapter 7, [Channels](../../../src/07_channels.md): producers and consumers
//! that hand values over through `std::sync::mpsc` instead of sharing them.
//!
//! Mistake: the pipeline collects every item from the channel before consuming any, so the bounded channel never holds the producer back.
//! Expect: consume each item as it arrives

use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;

/// Runs every producer on a thread of its own and collects what they send.
///
/// Each producer gets a [`Sender`] and sends any number of items through it.
/// `fan_in` returns every item once, in the order the items arrived, as soon
/// as the last producer has finished. If a producer panics, `fan_in` panics
/// too, after the others have finished: a failure must not vanish.
pub fn fan_in<T, P>(producers: Vec<P>) -> Vec<T>
where
    T: Send + 'static,
    P: FnOnce(Sender<T>) + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    let handles: Vec<_> = producers
        .into_iter()
        .map(|produce| {
            let tx = tx.clone();
            thread::spawn(move || produce(tx))
        })
        .collect();
    // The receiver's iterator ends only when every Sender is gone. The
    // producers' clones go when they finish; this one would never go by
    // itself, because this function is the one waiting.
    drop(tx);
    let items = rx.iter().collect();
    for handle in handles {
        // join() is Err exactly when that thread panicked: pass it on.
        if let Err(panic) = handle.join() {
            std::panic::resume_unwind(panic);
        }
    }
    items
}

/// Runs every task on a thread of its own and returns at once a [`Receiver`]
/// that yields each task's result the moment that task finishes (Python's
/// `concurrent.futures.as_completed`). Iterating over it ends after the last
/// result.
pub fn as_completed<T, F>(tasks: Vec<F>) -> Receiver<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    for task in tasks {
        let tx = tx.clone();
        thread::spawn(move || {
            // The caller may have stopped listening; then nobody wants the
            // result, and dropping it is right.
            let _ = tx.send(task());
        });
    }
    // The original Sender goes out of scope here, so the Receiver's iterator
    // ends once the last task has sent. The threads are not joined: each one
    // ends right after its send, and a panicking task simply sends nothing.
    rx
}

/// A two-stage pipeline with backpressure: a producer thread reads `source`
/// and sends each item through a channel that holds at most `bound` items;
/// `consume` runs on the calling thread, item by item. When the consumer falls
/// behind, the producer waits instead of piling items up. Returns what
/// `consume` made, in the order of `source`.
pub fn pipeline<T, U>(
    source: impl Iterator<Item = T> + Send + 'static,
    bound: usize,
    consume: impl FnMut(T) -> U,
) -> Vec<U>
where
    T: Send + 'static,
{
    // A sync_channel's send() blocks while `bound` items are waiting: that is
    // the backpressure. An mpsc::channel() would never block the producer.
    let (tx, rx) = mpsc::sync_channel(bound);
    let producer = thread::spawn(move || {
        for item in source {
            if tx.send(item).is_err() {
                break; // the consumer hung up: stop producing
            }
        }
    });
    // Consume before joining: a producer blocked on a full channel can only
    // finish once somebody empties it.
    let items: Vec<T> = rx.iter().collect();
    let results = items.into_iter().map(consume).collect();
    producer.join().expect("the pipeline's producer panicked");
    results
}
