//! Chapter 2, [A GIL by hand](../../../src/02_gil.md): the interpreter side of
//! a global interpreter lock: hold it while running steps, hand it over when
//! the switch interval says so, release it around blocking work.
//!
//! Mistake: allow_threads drops the guard but takes the GIL back before running the blocking work.
//! Expect: only after it returns

// The given lock, shared with the exercise rather than copied.
#[path = "../../../exercises/02_gil/src/gil.rs"]
pub mod gil;

pub use gil::{Gil, GilGuard};

/// Runs `steps` bytecode steps of one interpreter thread, calling `step(i)`
/// for `i` in `0..steps`, the way CPython's evaluation loop does:
///
/// - every step runs while this thread holds `gil`;
/// - between two steps, when [`GilGuard::should_switch`] says another thread
///   has been waiting for a whole switch interval, hand the GIL over with
///   [`GilGuard::switch`];
/// - the GIL is released when the function returns.
pub fn run_steps(gil: &Gil, steps: u64, mut step: impl FnMut(u64)) {
    // ANCHOR: run_steps
    // A named guard lives to the end of the scope; `let _ = gil.acquire()`
    // would release the GIL on the same line.
    let mut guard = gil.acquire();
    for i in 0..steps {
        // Asking costs a lock of the GIL's own state, so CPython too only
        // checks between bytecodes, never inside one.
        if guard.should_switch() {
            guard.switch();
        }
        step(i);
    }
    // ANCHOR_END: run_steps
}

/// Runs `blocking` with the GIL released and returns holding it again, like
/// PyO3's `Python::allow_threads` or CPython releasing the GIL around a
/// `read()`: other interpreter threads run while this one waits.
///
/// Takes the guard by value and gives a new one back, so the type system
/// shows the GIL is not held in between.
pub fn allow_threads<'g, T>(
    guard: GilGuard<'g>,
    blocking: impl FnOnce() -> T,
) -> (GilGuard<'g>, T) {
    // ANCHOR: allow_threads
    let gil = guard.gil();
    drop(guard);
    let guard = gil.acquire();
    let value = blocking();
    (guard, value)
    // ANCHOR_END: allow_threads
}
