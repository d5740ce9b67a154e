//! Chapter 6, [Locks and condition variables](../../../src/06_locks.md): a
//! bounded blocking queue built from a `Mutex` and two `Condvar`s, and a
//! read-mostly cache behind an `RwLock`.
//!
//! Mistake: close wakes the consumers waiting in pop but forgets the producers waiting in push.
//! Expect: not_full as well

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Condvar, Mutex, MutexGuard, RwLock};

/// A first-in, first-out queue of at most `capacity` items that many threads
/// share: `push` waits while it is full, `pop` waits while it is empty, and
/// `close` ends the waiting. Python's `queue.Queue(maxsize=capacity)`, with
/// `shutdown()`.
#[derive(Debug)]
pub struct BoundedQueue<T> {
    state: Mutex<State<T>>,
    /// Signalled when an item arrives or the queue closes.
    not_empty: Condvar,
    /// Signalled when an item leaves or the queue closes.
    not_full: Condvar,
    capacity: usize,
}

/// Everything the lock guards: the items and whether the queue is closed.
#[derive(Debug)]
struct State<T> {
    items: VecDeque<T>,
    closed: bool,
}

impl<T> BoundedQueue<T> {
    /// An open, empty queue that holds at most `capacity` items.
    ///
    /// # Panics
    ///
    /// If `capacity` is 0: nothing could ever be pushed.
    pub fn new(capacity: usize) -> Self {
        assert!(
            capacity > 0,
            "a queue of capacity 0 could never take an item"
        );
        BoundedQueue {
            state: Mutex::new(State {
                items: VecDeque::with_capacity(capacity),
                closed: false,
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            capacity,
        }
    }

    /// The most items the queue holds at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many items are waiting in the queue right now.
    pub fn len(&self) -> usize {
        self.lock().items.len()
    }

    /// Whether no item is waiting right now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes the lock. A thread that panicked while holding it poisons it
    /// (chapter 8); here that can only be a bug, so it panics in turn.
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state
            .lock()
            .expect("a thread panicked while holding the queue's lock")
    }

    /// Adds `item` at the back, first waiting while the queue is full.
    /// Returns `Err(item)`, handing the item back, if the queue is closed,
    /// also when it closes while this call waits.
    pub fn push(&self, item: T) -> Result<(), T> {
        let mut state = self.lock();
        // `while`, not `if`: another producer may fill the space between the
        // signal and this thread taking the lock, and wake-ups can be spurious.
        while state.items.len() >= self.capacity && !state.closed {
            // Releases the lock while asleep and takes it again before
            // returning, so the condition is checked under the lock.
            state = self.not_full.wait(state).expect("not poisoned");
        }
        if state.closed {
            return Err(item);
        }
        state.items.push_back(item);
        // One item arrived, so one waiting consumer can proceed.
        self.not_empty.notify_one();
        Ok(())
    }

    /// Takes the item at the front, first waiting while the queue is empty
    /// and open. Returns `None` once the queue is closed and drained.
    pub fn pop(&self) -> Option<T> {
        let mut state = self.lock();
        while state.items.is_empty() && !state.closed {
            state = self.not_empty.wait(state).expect("not poisoned");
        }
        // Empty here means closed: None. Otherwise, closed or not, drain.
        let item = state.items.pop_front()?;
        // One place came free, so one waiting producer can proceed.
        self.not_full.notify_one();
        Some(item)
    }

    /// Closes the queue: later pushes fail, pops drain what is left and then
    /// return `None`, and every thread waiting in `push` or `pop` wakes up.
    pub fn close(&self) {
        self.lock().closed = true;
        // Every waiter must see the change, not one: notify_all on both.
        self.not_empty.notify_all();
    }
}

/// A map from keys to values that are costly to compute, shared by many
/// threads that mostly read it.
///
/// Readers of values already there share the lock; a missing value is
/// computed with no lock held, so one slow computation never stalls readers
/// of other keys.
#[derive(Debug)]
pub struct Cache<K, V> {
    map: RwLock<HashMap<K, V>>,
}

impl<K: Hash + Eq, V: Clone> Default for Cache<K, V> {
    fn default() -> Self {
        Cache {
            map: RwLock::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq, V: Clone> Cache<K, V> {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many values the cache holds.
    pub fn len(&self) -> usize {
        self.map
            .read()
            .expect("no thread panics holding the lock")
            .len()
    }

    /// Whether the cache holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value for `key`: a clone of the cached one, or else `compute()`,
    /// stored for next time. Two threads that miss the same key at once may
    /// both compute it; both return the value stored first.
    pub fn get_or_compute(&self, key: K, compute: impl FnOnce() -> V) -> V {
        // The common case, under the shared read lock: other readers too.
        if let Some(value) = self
            .map
            .read()
            .expect("no thread panics holding the lock")
            .get(&key)
        {
            return value.clone();
        }
        // The read guard is gone (it lived only for the `if let`): compute
        // with no lock held, so readers and other computations go on.
        let value = compute();
        let mut map = self.map.write().expect("no thread panics holding the lock");
        // Another thread may have stored this key since the read: keep its
        // value, so that every caller sees the same one.
        map.entry(key).or_insert(value).clone()
    }
}
