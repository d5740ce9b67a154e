//! Chapter 7, [Channels](../../../src/07_channels.md): producers and consumers
//! that hand values over through `std::sync::mpsc` instead of sharing them.
//!
//! A program that does everything on one thread computes the same items, so
//! the tests watch how the items travelled: the producers were in flight
//! together, a result was handed over the moment it existed, the collector
//! stopped by itself when the last producer was done, and a producer never
//! ran more than the bound ahead of its consumer.

use std::sync::mpsc::{Receiver, Sender};

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
    let _ = producers;
    todo!(
        "make one channel, start each producer on its own thread with a clone of \
         the Sender, let go of the original, collect everything the Receiver \
         yields, then join the producers"
    )
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
    let _ = tasks;
    todo!(
        "start each task on its own thread with a clone of one channel's Sender, \
         have it send its result when it is done, and return the Receiver"
    )
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
    let _ = (source, bound, consume);
    todo!(
        "read `source` on a producer thread into an mpsc::sync_channel(bound), \
         apply `consume` to every item the Receiver yields here, then join the \
         producer"
    )
}
