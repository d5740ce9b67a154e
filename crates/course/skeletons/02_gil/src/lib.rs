//! Chapter 2, [A GIL by hand](../../../src/02_gil.md): the interpreter side of
//! a global interpreter lock: hold it while running steps, hand it over when
//! the switch interval says so, release it around blocking work.
//!
//! The tests run several interpreter threads at once and watch the lock: a
//! step that runs without it, a thread that never hands it over, one that
//! hands it over after every step, and a wait that keeps holding it are all
//! visible to them even when every result is right.

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
    let _ = (gil, steps, &mut step);
    todo!(
        "acquire the GIL into a named guard, call step(i) for each i in 0..steps, \
         and between steps switch when guard.should_switch() says so"
    )
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
    let _ = (guard, blocking);
    todo!(
        "remember guard.gil(), drop the guard, run `blocking`, then acquire the \
         GIL again and return the new guard with the value"
    )
}
