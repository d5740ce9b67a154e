//! Chapter 5, [Races and atomics](../../../src/05_atomics.md): a counter, a
//! running maximum and a published value, shared by many threads through
//! atomics instead of a lock.
//!
//! Each of these looks right when one thread runs it, and a racy version
//! even looks right most of the time with many. The tests run eight threads
//! at once, several rounds over, and check what a lost update spoils: exact
//! totals, and that a value just recorded is never beaten by a smaller one.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64};

/// A counter that many threads increment at once.
///
#[doc = include_str!("data_race.md")]
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
        todo!(
            "add one to `self.count` in a single atomic read-modify-write \
             (fetch_add), not a load followed by a store"
        )
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
        let _ = value;
        todo!(
            "call self.update with a closure that returns Some(value) when value \
             is larger than the current maximum, and None otherwise"
        )
    }

    /// Replaces the stored value `v` with `change(v)`, unless that is `None`,
    /// in one step that no other thread's update can slip into: when another
    /// thread changed the value first, `change` is called again with the
    /// value it stored.
    pub fn update(&self, change: impl FnMut(u64) -> Option<u64>) {
        let _ = change;
        todo!(
            "load the current value; while change(current) gives Some(new), try \
             compare_exchange(current, new, ..): stop on Ok, and on Err retry \
             with the value it returns"
        )
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
        let _ = value;
        todo!(
            "store the value first (Relaxed), then set `ready` to true with \
             Release, and write a one-line comment saying why each ordering"
        )
    }

    /// The value if it was published, `None` before.
    pub fn read(&self) -> Option<u64> {
        let _ = (&self.value, &self.ready);
        todo!(
            "load `ready` with Acquire; if it is true, return the value \
             (a Relaxed load is enough after that Acquire), otherwise None"
        )
    }
}
