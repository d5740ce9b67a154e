//! Chapter 5, [Races and atomics](../../../src/05_atomics.md): a counter, a
//! running maximum and a published value, shared by many threads through
//! atomics instead of a lock.
//!
//! Mistake: read loads the value first and the flag after, so it can pair a stale value with a raised flag.
//! Expect: load the flag first

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicU64};

/// A counter that many threads increment at once.
///
#[doc = include_str!("../../../exercises/05_atomics/src/data_race.md")]
#[derive(Debug, Default)]
pub struct Counter {
    count: AtomicU64,
}

impl Counter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one. Safe to call from any number of threads at once: no
    /// increment is ever lost.
    pub fn increment(&self) {
        // One read-modify-write: no other thread can slip in between the read
        // and the write. Relaxed: the count publishes no other data, and
        // `join` orders the threads' last increments before the final read.
        self.count.fetch_add(1, Relaxed);
    }

    /// The count so far.
    pub fn get(&self) -> u64 {
        // Relaxed: a count is a single value; nothing else is read through it.
        self.count.load(Relaxed)
    }
}

/// The largest value recorded so far, by any thread. Starts at 0.
#[derive(Debug, Default)]
pub struct Maximum {
    max: AtomicU64,
}

impl Maximum {
    /// A maximum of nothing yet: 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `value`. When this returns, [`Maximum::get`] is at least
    /// `value`, whatever other threads recorded meanwhile.
    pub fn record(&self, value: u64) {
        self.update(|current| (value > current).then_some(value));
    }

    /// Replaces the stored value `v` with `change(v)`, unless that is `None`,
    /// in one step that no other thread's update can slip into: when another
    /// thread changed the value first, `change` is called again with the
    /// value it stored. The compare-and-swap loop behind every lock-free
    /// update; `AtomicU64::fetch_update` is the standard library's version.
    pub fn update(&self, mut change: impl FnMut(u64) -> Option<u64>) {
        // Relaxed throughout: the maximum is one value and publishes nothing.
        let mut current = self.max.load(Relaxed);
        while let Some(new) = change(current) {
            match self.max.compare_exchange(current, new, Relaxed, Relaxed) {
                Ok(_) => return,
                // Another thread got in first: decide again from what it wrote.
                Err(actual) => current = actual,
            }
        }
    }

    /// The largest value recorded so far.
    pub fn get(&self) -> u64 {
        // Relaxed: a single value; nothing else is read through it.
        self.max.load(Relaxed)
    }
}

/// A value that one thread writes once and other threads read, with a flag
/// that says when it is there.
#[derive(Debug, Default)]
pub struct Published {
    value: AtomicU64,
    ready: AtomicBool,
}

impl Published {
    /// Nothing published yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `value`, then raises the flag, so that a reader who sees the
    /// flag also sees the value. Call it once.
    pub fn publish(&self, value: u64) {
        // Relaxed: the Release store below is what makes this visible.
        self.value.store(value, Relaxed);
        // Release: every write above happens before a reader's Acquire load
        // that sees `true`.
        self.ready.store(true, Release);
    }

    /// The value if it was published, `None` before.
    pub fn read(&self) -> Option<u64> {
        // Acquire: pairs with publish's Release, so the value written before
        // the flag is visible after it.
        // Read both, then decide.
        let value = self.value.load(Relaxed);
        if self.ready.load(Acquire) {
            Some(value)
        } else {
            None
        }
    }
}
