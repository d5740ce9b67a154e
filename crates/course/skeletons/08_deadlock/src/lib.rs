//! Chapter 8, [Deadlock](../../../src/08_deadlock.md): a bank whose accounts
//! each have their own lock, transfers that cannot deadlock, the dining
//! philosophers, and a ledger that keeps working after a thread panicked
//! while holding one of its locks.
//!
//! Locks taken in the wrong order still pass most runs: a deadlock needs two
//! threads to meet at the wrong moment. So the tests do not wait for bad luck.
//! They hold a lock themselves, let your code run into it, and look at which
//! other locks your waiting thread is holding.

use std::sync::{Mutex, MutexGuard};

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
        let _ = (from, to, amount);
        todo!(
            "check both ids, return early when from == to, lock the lower id \
             first and then the other (with `lock`), check the balance, then move \
             the money"
        )
    }

    /// The sum of every balance, as one consistent snapshot: holds every
    /// account's lock at once, taken in id order, while it adds.
    pub fn total(&self) -> u64 {
        todo!(
            "lock every account in id order (with `lock`), keep all the guards, \
             then add up the balances"
        )
    }
}

/// Takes `mutex`'s lock, also when it is poisoned (a thread panicked while
/// holding it). That is safe here because every update of a balance is
/// written only after all its checks passed: a panic cannot leave half a
/// transfer behind.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    let _ = mutex;
    todo!(
        "call mutex.lock() and, when it is Err(PoisonError), take the guard out of \
         the error instead of panicking"
    )
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
    let _ = (seat, forks, meals, eat);
    todo!(
        "for each meal: lock the lower-numbered of the two forks, then the other, \
         keep both guards alive while you call eat(seat)"
    )
}

/// The whole dinner: `seats` philosophers round a table with `seats` forks
/// (at least two), each philosopher on a thread of its own, eating `meals`
/// times. Returns when every philosopher has eaten every meal.
pub fn dine<F: Fn(usize) + Sync>(seats: usize, meals: usize, eat: F) {
    let _ = (seats, meals, eat);
    todo!(
        "make `seats` forks (Mutex<()>), then run `philosopher` for every seat on \
         a scoped thread of its own"
    )
}
