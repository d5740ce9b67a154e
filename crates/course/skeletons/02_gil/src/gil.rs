//! A toy global interpreter lock: one lock that an interpreter thread must
//! hold to run bytecode, handed over fairly after a switch interval.
//!
//! This file is given: the exercise is the interpreter's side, in `lib.rs`.
//! Chapter 6 shows how to build a lock like this one yourself.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

/// A fair global interpreter lock.
///
/// Threads are served in the order they asked (a ticket queue), so a thread
/// that releases the lock and asks again goes to the back of the line. A
/// plain `Mutex` makes no such promise: the releasing thread, already running
/// on a core, usually takes it straight back while the woken waiter is still
/// being scheduled, and the waiters starve.
#[derive(Debug)]
pub struct Gil {
    state: Mutex<State>,
    turn: Condvar,
    switch_interval: Duration,
}

#[derive(Debug)]
struct State {
    holder: Option<ThreadId>,
    next_ticket: u64,
    now_serving: u64,
    waiting: usize,
    held_since: Instant,
    last_holder: Option<ThreadId>,
    handovers: u64,
    early_releases: u64,
}

/// Proof that the current thread holds the GIL; dropping it releases the GIL.
#[derive(Debug)]
#[must_use = "the GIL is released as soon as the guard is dropped"]
pub struct GilGuard<'g> {
    gil: &'g Gil,
}

impl Gil {
    /// A GIL that asks its holder to hand over after `switch_interval`, like
    /// CPython's `sys.setswitchinterval` (5 ms by default there).
    pub fn new(switch_interval: Duration) -> Self {
        Gil {
            state: Mutex::new(State {
                holder: None,
                next_ticket: 0,
                now_serving: 0,
                waiting: 0,
                held_since: Instant::now(),
                last_holder: None,
                handovers: 0,
                early_releases: 0,
            }),
            turn: Condvar::new(),
            switch_interval,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every update of the state is complete before anything can panic,
        // so a poisoned lock still holds consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for the GIL, in the order threads asked for it, and takes it.
    ///
    /// # Panics
    ///
    /// If the current thread already holds the GIL: it would wait for itself
    /// for ever.
    pub fn acquire(&self) -> GilGuard<'_> {
        self.wait_for_turn();
        GilGuard { gil: self }
    }

    fn wait_for_turn(&self) {
        let me = thread::current().id();
        let mut state = self.state();
        assert!(
            state.holder != Some(me),
            "this thread already holds the GIL: drop its guard before acquiring it \
             again (a second acquire would wait for itself for ever)"
        );
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.waiting += 1;
        let mut state = self
            .turn
            .wait_while(state, |s| s.now_serving != ticket)
            .unwrap_or_else(PoisonError::into_inner);
        state.waiting -= 1;
        state.holder = Some(me);
        state.held_since = Instant::now();
        if state.last_holder.is_some_and(|last| last != me) {
            state.handovers += 1;
        }
        state.last_holder = Some(me);
    }

    /// The switch interval this GIL was made with.
    pub fn switch_interval(&self) -> Duration {
        self.switch_interval
    }

    /// The thread holding the GIL right now, if any.
    pub fn holder(&self) -> Option<ThreadId> {
        self.state().holder
    }

    /// Whether the calling thread holds the GIL.
    pub fn is_held_by_current_thread(&self) -> bool {
        self.holder() == Some(thread::current().id())
    }

    /// How many times the GIL passed from one thread to another.
    pub fn handovers(&self) -> u64 {
        self.state().handovers
    }

    /// How many times a holder let the GIL go while another thread was
    /// waiting for it, before holding it a whole switch interval. A thread
    /// that hands over only when asked does this at most once: when it
    /// finishes.
    pub fn early_releases(&self) -> u64 {
        self.state().early_releases
    }

    fn release(&self) {
        let mut state = self.state();
        if state.waiting > 0 && state.held_since.elapsed() < self.switch_interval {
            state.early_releases += 1;
        }
        state.holder = None;
        state.now_serving += 1;
        // Every waiter checks whether its ticket is up; only one's is.
        self.turn.notify_all();
    }
}

impl<'g> GilGuard<'g> {
    /// The GIL this guard holds.
    pub fn gil(&self) -> &'g Gil {
        self.gil
    }

    /// Whether the holder should hand the GIL over now: another thread is
    /// waiting for it and this one has held it for a whole switch interval.
    pub fn should_switch(&self) -> bool {
        let state = self.gil.state();
        state.waiting > 0 && state.held_since.elapsed() >= self.gil.switch_interval
    }

    /// Hands the GIL to the next waiting thread and queues for it again,
    /// returning when it is this thread's turn once more.
    pub fn switch(&mut self) {
        self.gil.release();
        self.gil.wait_for_turn();
    }
}

impl Drop for GilGuard<'_> {
    fn drop(&mut self) {
        self.gil.release();
    }
}
