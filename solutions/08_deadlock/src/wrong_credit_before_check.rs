//! Chapter 8, [Deadlock](../../../src/08_deadlock.md): a bank whose accounts
//! each have their own lock, transfers that cannot deadlock, the dining
//! philosophers, and a ledger that keeps working after a thread panicked
//! while holding one of its locks.
//!
//! Mistake: transfer credits the target before it checks the source's balance, so a refused transfer still creates money.
//! Expect: must change nothing

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;

/// Why a transfer was refused. A refused transfer changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// There is no account with this id.
    UnknownAccount(usize),
    /// The account to take the money from holds less than the amount.
    InsufficientFunds,
}

/// Accounts, each behind a lock of its own, so that transfers between
/// different accounts run at the same time. An account's id is its position.
#[derive(Debug)]
pub struct Bank {
    accounts: Vec<Mutex<u64>>,
}

impl Bank {
    /// A bank with one account per balance.
    pub fn new(balances: &[u64]) -> Self {
        Bank {
            accounts: balances.iter().map(|&b| Mutex::new(b)).collect(),
        }
    }

    /// How many accounts the bank has.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether the bank has no accounts at all.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// The lock of one account, for audits, and for the tests, which hold it
    /// to see what your code does meanwhile. Panics for an unknown id.
    pub fn account(&self, id: usize) -> &Mutex<u64> {
        &self.accounts[id]
    }

    /// Moves `amount` from account `from` to account `to`.
    ///
    /// Takes the two accounts' locks in one global order, the lower id first,
    /// whichever way the money goes, so that two opposite transfers cannot
    /// each hold one account and wait for the other. Refuses, changing
    /// nothing, an unknown id and an amount larger than `from`'s balance. A
    /// transfer from an account to itself changes nothing. Keeps working on
    /// accounts whose lock is poisoned.
    pub fn transfer(
        &self,
        from: usize,
        to: usize,
        amount: u64,
    ) -> Result<(), Refused> {
        for id in [from, to] {
            if id >= self.accounts.len() {
                return Err(Refused::UnknownAccount(id));
            }
        }
        if from == to {
            // Locking the same Mutex twice would wait for ourselves forever.
            return Ok(());
        }
        // One global order for every transfer: the lower id first. Two
        // transfers can then never each hold the lock the other one needs.
        let (low, high) = if from < to { (from, to) } else { (to, from) };
        let mut low_guard = lock(&self.accounts[low]);
        let mut high_guard = lock(&self.accounts[high]);
        let (source, target) = if from < to {
            (&mut *low_guard, &mut *high_guard)
        } else {
            (&mut *high_guard, &mut *low_guard)
        };
        *target += amount;
        if *source < amount {
            return Err(Refused::InsufficientFunds);
        }
        *source -= amount;
        Ok(())
    }

    /// The sum of every balance, as one consistent snapshot: holds every
    /// account's lock at once, taken in id order, while it adds.
    pub fn total(&self) -> u64 {
        // Every guard stays alive until the sum is done: a transfer cannot move
        // money from an account already counted to one not yet counted.
        let guards: Vec<MutexGuard<'_, u64>> =
            self.accounts.iter().map(lock).collect();
        guards.iter().map(|balance| **balance).sum()
    }
}

/// Takes `mutex`'s lock, also when it is poisoned (a thread panicked while
/// holding it). That is safe here because every update of a balance is
/// written only after all its checks passed: a panic cannot leave half a
/// transfer behind.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One philosopher's dinner: philosopher `seat` eats `meals` times. Before
/// each meal they pick up the two forks beside them, `forks[seat]` and
/// `forks[(seat + 1) % forks.len()]`, the lower-numbered one first, and call
/// `eat(seat)` while holding both.
pub fn philosopher<F: Fn(usize)>(
    seat: usize,
    forks: &[Mutex<()>],
    meals: usize,
    eat: &F,
) {
    let left = seat;
    let right = (seat + 1) % forks.len();
    let (first, second) = if left < right {
        (left, right)
    } else {
        (right, left)
    };
    for _ in 0..meals {
        // Named guards live to the end of the loop body; `let _ = ...` would
        // drop each one at once.
        let _first = lock(&forks[first]);
        let _second = lock(&forks[second]);
        eat(seat);
    }
}

/// The whole dinner: `seats` philosophers round a table with `seats` forks
/// (at least two), each philosopher on a thread of its own, eating `meals`
/// times. Returns when every philosopher has eaten every meal.
pub fn dine<F: Fn(usize) + Sync>(seats: usize, meals: usize, eat: F) {
    let forks: Vec<Mutex<()>> = (0..seats).map(|_| Mutex::new(())).collect();
    thread::scope(|scope| {
        for seat in 0..seats {
            let (forks, eat) = (&forks, &eat);
            scope.spawn(move || philosopher(seat, forks, meals, eat));
        }
    });
}
