//! `cargo course bench deadlock`: what taking two locks in a global order
//! costs (one comparison), and what a lock per account buys over one lock for
//! the whole bank, with many accounts and with few.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;

use deadlock::{Bank, Refused, lock};
use testkit::bench;

const THREADS: usize = 4;
const TRANSFERS: usize = 400_000;

/// The same transfer as the solution's, but with its locks in argument order:
/// deadlock-prone with several threads, and only measured on one.
fn transfer_in_argument_order(
    accounts: &[Mutex<u64>],
    from: usize,
    to: usize,
    amount: u64,
) -> Result<(), Refused> {
    for id in [from, to] {
        if id >= accounts.len() {
            return Err(Refused::UnknownAccount(id));
        }
    }
    if from == to {
        return Ok(());
    }
    let mut source = lock(&accounts[from]);
    let mut target = lock(&accounts[to]);
    if *source < amount {
        return Err(Refused::InsufficientFunds);
    }
    let credited = *target + amount;
    *source -= amount;
    *target = credited;
    Ok(())
}

/// The whole bank behind one lock: no order to get wrong, no parallelism.
struct OneLockBank(Mutex<Vec<u64>>);

impl OneLockBank {
    fn transfer(&self, from: usize, to: usize, amount: u64) -> Result<(), Refused> {
        let mut balances: MutexGuard<'_, Vec<u64>> =
            self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for id in [from, to] {
            if id >= balances.len() {
                return Err(Refused::UnknownAccount(id));
            }
        }
        if balances[from] < amount {
            return Err(Refused::InsufficientFunds);
        }
        balances[from] -= amount;
        balances[to] += amount;
        Ok(())
    }
}

/// Random (from, to, amount) triples: xorshift, so that every run and every
/// variant makes the same transfers.
fn transfers(seed: u64, accounts: usize, count: usize) -> Vec<(usize, usize, u64)> {
    let mut state = 0x9E37_79B9_7F4A_7C15 ^ seed;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let from = (next() % accounts as u64) as usize;
            let to = (next() % accounts as u64) as usize;
            (from, to, next() % 50 + 1)
        })
        .collect()
}

/// Runs `THREADS` threads, each making its share of `TRANSFERS` transfers.
fn on_threads(accounts: usize, transfer: impl Fn(usize, usize, u64) + Sync) {
    let plans: Vec<_> = (0..THREADS)
        .map(|t| transfers(t as u64 + 1, accounts, TRANSFERS / THREADS))
        .collect();
    thread::scope(|s| {
        for plan in &plans {
            let transfer = &transfer;
            s.spawn(move || {
                for &(from, to, amount) in plan {
                    transfer(from, to, amount);
                }
            });
        }
    });
}

fn main() {
    let group = "400,000 transfers on one thread: the cost of the order";
    let plan = transfers(7, 1_000, TRANSFERS);
    let accounts: Vec<Mutex<u64>> = (0..1_000).map(|_| Mutex::new(1_000)).collect();
    bench::time(
        group,
        "argument order (deadlocks on several threads)",
        bench::median(5, || {
            for &(from, to, amount) in &plan {
                let _ = std::hint::black_box(transfer_in_argument_order(
                    &accounts, from, to, amount,
                ));
            }
        }),
    );
    let bank = Bank::new(&[1_000; 1_000]);
    bench::time(
        group,
        "lower id first",
        bench::median(5, || {
            for &(from, to, amount) in &plan {
                let _ = std::hint::black_box(bank.transfer(from, to, amount));
            }
        }),
    );
    bench::note(
        group,
        "the order adds one comparison per transfer: expect the rows within noise",
    );

    for (accounts, spelled) in [(1_000, "1,000"), (4, "4")] {
        let group =
            format!("400,000 transfers on {THREADS} threads, {spelled} accounts");
        let one_lock = OneLockBank(Mutex::new(vec![1_000; accounts]));
        bench::time(
            &group,
            "one lock for the whole bank",
            bench::median(5, || {
                on_threads(accounts, |from, to, amount| {
                    let _ = one_lock.transfer(from, to, amount);
                });
            }),
        );
        let bank = Bank::new(&vec![1_000; accounts]);
        bench::time(
            &group,
            "a lock per account, lower id first",
            bench::median(5, || {
                on_threads(accounts, |from, to, amount| {
                    let _ = bank.transfer(from, to, amount);
                });
            }),
        );
        let one_lock_total: u64 = one_lock.0.lock().expect("no panic").iter().sum();
        bench::note(
            &group,
            &format!(
                "money in the banks after every run: {one_lock_total} and {}, as at \
                 the start: nothing created or lost",
                bank.total()
            ),
        );
    }
}
