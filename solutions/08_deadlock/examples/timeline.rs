//! `cargo course timeline deadlock`: two threads making opposite transfers
//! between two accounts, drawn from real runs. First each transfer locks the
//! account it takes money from first: each ends up holding one account and
//! waiting for the other, which with `lock()` would last for ever; here the
//! wait has a deadline, only so that the demonstration ends. Then the same
//! transfers take their locks lower id first, as the solution's
//! `Bank::transfer` does: one waits its turn, then both go through.
//!
//! Each account has a lane of its own that shows which transfer holds it, so
//! that a transfer's hold and its wait can be seen side by side.

use std::sync::{Barrier, MutexGuard, TryLockError};
use std::thread;
use std::time::{Duration, Instant};

use deadlock::{Bank, Refused};
use timeline::{Figure, Recording};
use tracing::{Span, info_span};

const START: [u64; 2] = [100, 100];
/// Two opposite transfers: from, to, amount.
const TRANSFERS: [(usize, usize, u64); 2] = [(0, 1, 30), (1, 0, 10)];
/// What a transfer does between its two locks, so that the holds show.
const WORK: Duration = Duration::from_millis(10);
/// Moving the money takes nanoseconds; a sleep makes it wide enough to see.
const MOVING: Duration = Duration::from_millis(2);
/// How much later the second transfer sets off than the first.
const LATER: Duration = Duration::from_millis(1);
/// How long the first figure waits for its second lock. `lock()` has no
/// deadline: without this one the program would never end.
const DEADLINE: Duration = Duration::from_millis(150);

/// An account's guard with the span that draws it held, in the account's lane.
struct Held<'a> {
    // Fields drop in order: the lock is released, then the span ends.
    guard: MutexGuard<'a, u64>,
    _span: Span,
}

/// A span in the lane of `account` showing transfer `from` holding it. It is
/// never entered, so it lasts from its creation to its drop. Span names are
/// fixed when compiling, hence one `info_span!` per name.
fn held_by(from: usize, account: usize) -> Span {
    let lane = format!("account {account}");
    let lane = lane.as_str();
    match from {
        0 => info_span!("held by transfer 0→1", lane),
        _ => info_span!("held by transfer 1→0", lane),
    }
}

fn waiting_for(account: usize) -> Span {
    match account {
        0 => info_span!("waiting for account 0"),
        _ => info_span!("waiting for account 1"),
    }
}

/// Locks `account` for transfer `from` as `deadlock::lock` does, and draws
/// a wait only when there is one.
fn take(bank: &Bank, from: usize, account: usize) -> Held<'_> {
    let mutex = bank.account(account);
    let guard = match mutex.try_lock() {
        Ok(guard) => guard,
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => {
            let _waiting = waiting_for(account).entered();
            deadlock::lock(mutex)
        }
    };
    Held {
        guard,
        _span: held_by(from, account),
    }
}

/// Like `take`, but gives up when `DEADLINE` has passed; the caller draws
/// the wait. A real program that waits like this should let go of all it
/// holds and retry; this one only needs to end.
fn take_before_deadline(
    bank: &Bank,
    from: usize,
    account: usize,
) -> Option<Held<'_>> {
    let mutex = bank.account(account);
    let start = Instant::now();
    let guard = loop {
        match mutex.try_lock() {
            Ok(guard) => break guard,
            Err(TryLockError::Poisoned(poisoned)) => break poisoned.into_inner(),
            Err(TryLockError::WouldBlock) if start.elapsed() < DEADLINE => {
                thread::sleep(Duration::from_millis(1));
            }
            Err(TryLockError::WouldBlock) => return None,
        }
    };
    Some(Held {
        guard,
        _span: held_by(from, account),
    })
}

/// A transfer's own work. Moving the money has the same name as the work
/// between the locks: each name gets its colour in the order the names
/// first appear, so a name that only the second figure had would shift the
/// colours of the names after it.
fn working(time: Duration) {
    let _working = info_span!("working on the transfer").entered();
    thread::sleep(time);
}

/// The end of `Bank::transfer`: check, compute, then write.
fn move_money(
    source: &mut u64,
    target: &mut u64,
    amount: u64,
) -> Result<(), Refused> {
    working(MOVING);
    if *source < amount {
        return Err(Refused::InsufficientFunds);
    }
    let credited = *target + amount;
    *source -= amount;
    *target = credited;
    Ok(())
}

/// The mistake: `from` first, then `to`. Returns whether the money moved.
fn from_first(
    bank: &Bank,
    (from, to, amount): (usize, usize, u64),
    both_hold: &Barrier,
    both_tried: &Barrier,
) -> bool {
    let mut source = take(bank, from, from);
    working(WORK);
    let waiting = waiting_for(to).entered();
    // Both transfers hold their first account before either asks for its
    // second: the unlucky moment every run, instead of now and then.
    both_hold.wait();
    let target = take_before_deadline(bank, from, to);
    drop(waiting);
    let moved = match target {
        Some(mut target) => {
            move_money(&mut source.guard, &mut target.guard, amount).is_ok()
        }
        None => {
            println!(
                "transfer {from}→{to} gave up waiting for account {to} after \
                 {DEADLINE:?}, holding account {from} all along"
            );
            false
        }
    };
    // Neither lets go before both have given up: an account released early
    // would let the other transfer through just before its own deadline.
    both_tried.wait();
    moved
}

/// The cure: `Bank::transfer`'s lock order, lower id first, and the same
/// work between the two locks. `transfer` carries no spans, so this copy
/// takes its locks where they can be drawn; its order must stay exactly
/// that of `transfer`.
fn lower_first(
    bank: &Bank,
    (from, to, amount): (usize, usize, u64),
) -> Result<(), Refused> {
    let (low, high) = if from < to { (from, to) } else { (to, from) };
    let mut low_held = take(bank, from, low);
    working(WORK);
    let mut high_held = take(bank, from, high);
    let (source, target) = if from < to {
        (&mut *low_held.guard, &mut *high_held.guard)
    } else {
        (&mut *high_held.guard, &mut *low_held.guard)
    };
    move_money(source, target, amount)
}

/// Runs each of `TRANSFERS` on a thread of its own, named after it. The
/// second sets off `LATER` than the first, so that the same transfer locks
/// first in every run and each name keeps its colour from figure to figure.
fn on_two_threads<T: Send>(run: impl Fn((usize, usize, u64)) -> T + Sync) -> Vec<T> {
    thread::scope(|s| {
        let handles: Vec<_> = TRANSFERS
            .into_iter()
            .zip([Duration::ZERO, LATER])
            .map(|((from, to, amount), later)| {
                let run = &run;
                thread::Builder::new()
                    .name(format!("transfer {from}→{to}"))
                    .spawn_scoped(s, move || {
                        thread::sleep(later);
                        run((from, to, amount))
                    })
                    .expect("a thread can be started")
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("no transfer panics"))
            .collect()
    })
}

fn balances(bank: &Bank) -> Vec<u64> {
    (0..bank.len())
        .map(|id| *deadlock::lock(bank.account(id)))
        .collect()
}

/// The longest wait in `recording`, in milliseconds.
fn longest_wait(recording: &Recording) -> f64 {
    recording
        .slices
        .iter()
        .filter(|slice| slice.name.starts_with("waiting"))
        .map(|slice| slice.end.saturating_sub(slice.start).as_secs_f64() * 1e3)
        .fold(0.0, f64::max)
}

fn main() -> std::io::Result<()> {
    let command = "cargo course timeline deadlock";

    let bank = Bank::new(&START);
    let (moved, deadlocked) = timeline::record(|| {
        let (both_hold, both_tried) = (Barrier::new(2), Barrier::new(2));
        on_two_threads(|transfer| {
            from_first(&bank, transfer, &both_hold, &both_tried)
        })
    });
    assert_eq!(
        moved,
        [false, false],
        "each transfer holds one account and waits for the other: a deadlock"
    );
    assert_eq!(
        balances(&bank),
        START,
        "a transfer that gave up moved nothing"
    );
    println!(
        "from-account first: {:.1} ms, of which {:.1} ms waiting",
        deadlocked.span().as_secs_f64() * 1e3,
        longest_wait(&deadlocked)
    );
    deadlocked.write(&Figure {
        name: "deadlock-opposite_order",
        title: "From-account first: both would wait for ever; the demo gives \
                    up after 150 ms",
        command,
        axis: None,
    })?;

    let bank = Bank::new(&START);
    let (results, ordered) =
        timeline::record(|| on_two_threads(|transfer| lower_first(&bank, transfer)));
    assert!(
        results.iter().all(Result::is_ok),
        "both transfers go through: {results:?}"
    );
    let reference = Bank::new(&START);
    for (from, to, amount) in TRANSFERS {
        reference
            .transfer(from, to, amount)
            .expect("the balances cover both transfers");
    }
    assert_eq!(
        balances(&bank),
        balances(&reference),
        "the drawn copy moves the money as Bank::transfer does"
    );
    println!(
        "lower id first: {:.1} ms, of which {:.1} ms waiting",
        ordered.span().as_secs_f64() * 1e3,
        longest_wait(&ordered)
    );
    ordered.write(&Figure {
        name: "deadlock-ordered",
        title: "Lower id first: one waits its turn, then both go through",
        command,
        // The same axis as the first figure, so the two compare at a glance.
        axis: Some(deadlocked.span()),
    })?;
    Ok(())
}
