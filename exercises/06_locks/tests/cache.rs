//! The spec for chapter 6's read-mostly cache. Run with `cargo test -p locks`.
//!
//! The cache hands out clones of its values, and a value can only be cloned
//! while the lock that guards the map is held. So the tests store values
//! whose `clone` waits at a rendezvous: if four readers can all be inside
//! `clone` at once, they hold the read lock together. Computations meet at
//! rendezvous too, which proves that no lock is held while they run.

use std::panic;
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::thread;
use std::time::Duration;

use locks::Cache;
use testkit::{AbandonOnPanic, DEADLINE, Rendezvous, watchdog};

/// Shorter than the watchdog's deadline, so a rendezvous reports first.
const MEETING: Duration = Duration::from_secs(3);

#[test]
fn a_missing_value_is_computed_once_and_then_served_from_the_cache() {
    let (first, second, calls, len) = watchdog(
        DEADLINE,
        "get_or_compute never returned for a missing key: do you still hold the \
         read guard when you ask for the write lock? An RwLock's writer waits for \
         every reader to leave, this thread included",
        || {
            let cache = Cache::new();
            let calls = AtomicUsize::new(0);
            let first = cache.get_or_compute("answer", || {
                calls.fetch_add(1, SeqCst);
                42
            });
            let second = cache.get_or_compute("answer", || {
                calls.fetch_add(1, SeqCst);
                0
            });
            (first, second, calls.into_inner(), cache.len())
        },
    );
    assert_eq!(
        first, 42,
        "a missing key's value is what compute returned, 42; got {first}"
    );
    assert_eq!(
        calls, 1,
        "compute ran {calls} times for one key: store its value under the write lock \
         and serve it from the map next time"
    );
    assert_eq!(
        second, 42,
        "the second call must return the cached value, 42, not {second}"
    );
    assert_eq!(len, 1, "one key was asked for, so the cache holds 1 value");
}

/// A value whose `clone` waits at a rendezvous once the meeting is armed.
#[derive(Debug)]
struct Probe {
    meeting: Arc<Meeting>,
}

#[derive(Debug)]
struct Meeting {
    armed: AtomicBool,
    readers: Rendezvous,
}

impl Clone for Probe {
    fn clone(&self) -> Self {
        if self.meeting.armed.load(SeqCst) {
            self.meeting.readers.arrive();
        }
        Probe {
            meeting: Arc::clone(&self.meeting),
        }
    }
}

#[test]
fn several_readers_hold_the_read_lock_at_once() {
    const READERS: usize = 4;
    watchdog(
        DEADLINE,
        "four readers of a cached value never finished",
        || {
            let meeting = Arc::new(Meeting {
                armed: AtomicBool::new(false),
                readers: Rendezvous::with_deadline(
                    READERS,
                    MEETING,
                    "Readers of a cached value took turns: look it up under the \
                     shared read lock (RwLock::read), which many threads hold at \
                     once, not a Mutex or the write lock",
                ),
            });
            let cache = Cache::new();
            let probe = Probe {
                meeting: Arc::clone(&meeting),
            };
            cache.get_or_compute("shared", || probe);
            meeting.armed.store(true, SeqCst);
            thread::scope(|s| {
                let readers: Vec<_> = (0..READERS)
                    .map(|_| {
                        s.spawn(|| {
                            cache.get_or_compute("shared", || {
                                panic!(
                                    "the value for \"shared\" was already cached, yet \
                                     compute ran: look the key up first"
                                )
                            })
                        })
                    })
                    .collect();
                for reader in readers {
                    if let Err(payload) = reader.join() {
                        panic::resume_unwind(payload);
                    }
                }
            });
        },
    );
}

#[test]
fn computing_a_missing_value_does_not_block_readers_of_other_keys() {
    watchdog(
        DEADLINE,
        "a reader of a cached key waited for another key's computation: compute \
         the missing value with no lock held, and take the write lock only to \
         store it",
        || {
            let cache = Cache::new();
            cache.get_or_compute("ready", || 1);
            let started = Rendezvous::with_deadline(
                2,
                MEETING,
                "compute for a missing key never ran: call it when the key is \
                 not in the map",
            );
            let read_meanwhile = Rendezvous::with_deadline(
                2,
                MEETING,
                "While one key's value was being computed, reading another, \
                 cached key had to wait: compute the missing value with no lock \
                 held (not under the write lock), and take the write lock only to \
                 store it",
            );
            thread::scope(|s| {
                let computing = s.spawn(|| {
                    // If get_or_compute panics (a todo!, say), the reader
                    // stops waiting for this thread at once.
                    let _abandon =
                        (AbandonOnPanic(&started), AbandonOnPanic(&read_meanwhile));
                    cache.get_or_compute("slow", || {
                        started.arrive();
                        read_meanwhile.arrive();
                        2
                    })
                });
                let reader = s.spawn(|| {
                    let _abandon = AbandonOnPanic(&read_meanwhile);
                    started.arrive();
                    let value = cache.get_or_compute("ready", || 0);
                    read_meanwhile.arrive();
                    value
                });
                // The computing thread's message names the mistake: report it
                // first, before the reader's (which may be a poisoned lock).
                let slow =
                    computing.join().unwrap_or_else(|p| panic::resume_unwind(p));
                let ready =
                    reader.join().unwrap_or_else(|p| panic::resume_unwind(p));
                assert_eq!(
                    slow, 2,
                    "a missing key's value is what compute returned"
                );
                assert_eq!(ready, 1, "a cached key's value is the one stored");
            });
        },
    );
}

/// While one thread computes a missing key, another stores a different
/// missing key, which takes the write lock: possible only if the first holds
/// no lock at all while it computes, not even the read lock.
#[test]
fn computing_a_missing_value_does_not_block_storing_another() {
    watchdog(
        DEADLINE,
        "storing a key while another key's value was being computed never \
         finished: compute the missing value with no lock held",
        || {
            let cache = Cache::new();
            let started = Rendezvous::with_deadline(
                2,
                MEETING,
                "compute for a missing key never ran: call it when the key is \
                 not in the map",
            );
            let stored_meanwhile = Rendezvous::with_deadline(
                2,
                MEETING,
                "While one key's value was being computed, another thread could \
                 not store a different key: compute with no lock held, not under \
                 the read lock either (let the read guard go before computing), \
                 and take the write lock only to store the value",
            );
            thread::scope(|s| {
                let computing = s.spawn(|| {
                    let _abandon = (
                        AbandonOnPanic(&started),
                        AbandonOnPanic(&stored_meanwhile),
                    );
                    cache.get_or_compute("slow", || {
                        started.arrive();
                        stored_meanwhile.arrive();
                        1
                    })
                });
                let storing = s.spawn(|| {
                    let _abandon = AbandonOnPanic(&stored_meanwhile);
                    started.arrive();
                    let value = cache.get_or_compute("quick", || 2);
                    stored_meanwhile.arrive();
                    value
                });
                let slow =
                    computing.join().unwrap_or_else(|p| panic::resume_unwind(p));
                let quick =
                    storing.join().unwrap_or_else(|p| panic::resume_unwind(p));
                assert_eq!(
                    (slow, quick),
                    (1, 2),
                    "each missing key's value is what its compute returned"
                );
            });
        },
    );
}

/// Two threads miss the same key and compute it at the same time (they meet
/// inside `compute`, which also proves no lock is held there). Each computes
/// a different value; whichever is stored first must be what both get.
#[test]
fn two_threads_that_miss_the_same_key_get_the_same_value() {
    let (results, cached, len) = watchdog(
        DEADLINE,
        "two threads that missed the same key never finished",
        || {
            let cache = Cache::new();
            let computed = AtomicU64::new(0);
            let both_computing = Rendezvous::with_deadline(
                2,
                MEETING,
                "Two threads that missed the same key could not compute at the \
                 same time: compute with no lock held, and take the write lock \
                 only to store the value",
            );
            let results = thread::scope(|s| {
                let threads: Vec<_> = (0..2)
                    .map(|_| {
                        s.spawn(|| {
                            cache.get_or_compute("key", || {
                                let mine = computed.fetch_add(1, SeqCst) + 1;
                                both_computing.arrive();
                                mine
                            })
                        })
                    })
                    .collect();
                threads
                    .into_iter()
                    .map(|t| t.join().unwrap_or_else(|p| panic::resume_unwind(p)))
                    .collect::<Vec<_>>()
            });
            let cached = cache.get_or_compute("key", || 0);
            (results, cached, cache.len())
        },
    );
    assert_eq!(
        results[0], results[1],
        "two threads that missed the same key got {} and {}: by the time one takes \
         the write lock, the other may have stored the key already. Keep the value \
         stored first and return it (entry(key).or_insert(value)), so that every \
         caller sees the same one",
        results[0], results[1]
    );
    assert_eq!(
        cached, results[0],
        "the cache must hold the value both threads returned"
    );
    assert_eq!(len, 1, "one key was asked for, so the cache holds 1 value");
}
