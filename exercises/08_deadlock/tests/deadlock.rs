//! The spec for chapter 8. Run with `cargo test -p deadlock`.
//!
//! A deadlock needs two threads to meet at the wrong moment, so a wrong lock
//! order passes most runs. Several tests therefore hold a lock themselves,
//! start your code on a thread that runs into it, wait until that thread is
//! blocked, and then look at which other locks it is holding.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Barrier, Mutex, TryLockError, mpsc};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use deadlock::{Bank, Refused, dine, philosopher};
use testkit::{DEADLINE, ThreadLog, ThreadWatch, eventually, panic_text, watchdog};

const TRANSFER_CYCLE: &str = "the transfers deadlocked: one held account a and \
    waited for b while another held b and waited for a, a cycle that nothing can \
    break. Take the two locks in one global order, the lower id first, whichever \
    way the money goes, and in total() too. (A transfer from an account to \
    itself must return before locking: a Mutex is not reentrant.)";

const CALL_STUCK: &str = "a single call, with no other thread around, never \
    returned: it waits for a lock that nobody will release. Does it lock the \
    same account twice, or keep a guard from an earlier call alive?";

const DINNER_CYCLE: &str = "the dinner deadlocked: each philosopher held one fork \
    and waited for the neighbour's, round the table, a cycle. Pick up the \
    lower-numbered fork first: then the last philosopher reaches for fork 0 \
    first, and the circle is broken.";

fn balances(bank: &Bank) -> Vec<u64> {
    (0..bank.len())
        .map(|id| match bank.account(id).lock() {
            Ok(balance) => *balance,
            Err(poisoned) => *poisoned.into_inner(),
        })
        .collect()
}

/// Runs `work` under a watchdog, and turns a panic inside it into a failure
/// that says which call panicked and why that is wrong.
fn without_panic<T: Send + 'static>(
    call: &str,
    advice: &str,
    on_timeout: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> T {
    let outcome: Result<T, Box<dyn Any + Send>> =
        watchdog(DEADLINE, on_timeout, || {
            panic::catch_unwind(AssertUnwindSafe(work))
        });
    outcome.unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("(no message)");
        if message.starts_with("not yet implemented") {
            panic::resume_unwind(payload);
        }
        panic!("{call} panicked ({message}): {advice}")
    })
}

#[test]
fn a_transfer_moves_money_from_one_account_to_another() {
    let bank = Arc::new(Bank::new(&[100, 50]));
    let outcome = {
        let bank = Arc::clone(&bank);
        watchdog(DEADLINE, CALL_STUCK, move || {
            (bank.transfer(0, 1, 30), bank.transfer(1, 0, 80))
        })
    };
    assert_eq!(
        outcome,
        (Ok(()), Ok(())),
        "both transfers were covered by the balance and had to succeed"
    );
    assert_eq!(
        balances(&bank),
        [150, 0],
        "[100, 50], then 30 from 0 to 1, then 80 from 1 to 0, must leave [150, 0]: \
         take the amount from `from` and add it to `to`"
    );
}

#[test]
fn a_transfer_that_would_overdraw_changes_nothing() {
    let bank = Arc::new(Bank::new(&[100, 50]));
    let refused = {
        let bank = Arc::clone(&bank);
        without_panic(
            "transfer(1, 0, 51) from an account holding 50",
            "check the balance first and return Err(Refused::InsufficientFunds)",
            CALL_STUCK,
            move || bank.transfer(1, 0, 51),
        )
    };
    assert_eq!(
        refused,
        Err(Refused::InsufficientFunds),
        "account 1 holds 50, so taking 51 from it must be refused"
    );
    assert_eq!(
        balances(&bank),
        [100, 50],
        "a refused transfer must change nothing: check the balance before you \
         write either account"
    );
}

#[test]
fn a_transfer_with_an_unknown_account_changes_nothing() {
    let bank = Arc::new(Bank::new(&[100, 50]));
    let refused = {
        let bank = Arc::clone(&bank);
        without_panic(
            "a transfer with the unknown account 7",
            "the bank has accounts 0 and 1; check both ids before you lock anything \
             and return Err(Refused::UnknownAccount(id))",
            CALL_STUCK,
            move || (bank.transfer(0, 7, 10), bank.transfer(7, 1, 10)),
        )
    };
    assert_eq!(
        refused,
        (
            Err(Refused::UnknownAccount(7)),
            Err(Refused::UnknownAccount(7))
        ),
        "account 7 does not exist, as sender or as receiver"
    );
    assert_eq!(
        balances(&bank),
        [100, 50],
        "a refused transfer must change nothing"
    );
}

#[test]
fn a_transfer_to_the_same_account_does_not_lock_it_twice() {
    let bank = Arc::new(Bank::new(&[100, 50, 70]));
    let outcome = {
        let bank = Arc::clone(&bank);
        watchdog(
            DEADLINE,
            "transfer(2, 2, 10) never returned: std's Mutex is not reentrant, so a \
             thread that locks the same account twice waits for itself forever. \
             Return early when from == to, before taking a second lock.",
            move || bank.transfer(2, 2, 10),
        )
    };
    assert_eq!(
        outcome,
        Ok(()),
        "moving money from an account to itself is allowed and changes nothing"
    );
    assert_eq!(
        balances(&bank),
        [100, 50, 70],
        "transfer(2, 2, 10) changed a balance"
    );
}

/// Holds account 0's lock, then starts `transfer(1, 0, 10)`. The transfer
/// must block, and while it waits for account 0 it must hold nothing else: a
/// transfer that took account 1 first holds it, and an opposite transfer
/// would then wait for it forever. Accounts 2 and 3 must stay usable too.
#[test]
fn a_transfer_waiting_for_an_account_holds_no_other() {
    let bank = Arc::new(Bank::new(&[100, 100, 100, 100]));
    let held = bank
        .account(0)
        .lock()
        .expect("nothing has panicked holding account 0 yet");
    let waiting = spawn_watched({
        let bank = Arc::clone(&bank);
        move || bank.transfer(1, 0, 10)
    });
    let waiting = waiting.wait_until_blocked(
        "transfer(1, 0, 10) did not wait for account 0, which another thread held: \
         it finished, or kept running for 2 s. Lock both accounts (with `lock`, \
         which blocks until the account is free) before changing them.",
    );
    match bank.account(1).try_lock() {
        Err(TryLockError::WouldBlock) => panic!(
            "transfer(1, 0, 10) locked account 1 and then waited for account 0, \
             which another thread held. If that thread now wants account 1 (a \
             transfer from 0 to 1), each holds what the other needs and both wait \
             forever: a cycle. Lock the lower id first, whichever way the money \
             goes."
        ),
        Ok(_) | Err(TryLockError::Poisoned(_)) => {}
    }
    let elsewhere = {
        let bank = Arc::clone(&bank);
        watchdog(
            DEADLINE,
            "transfer(2, 3, 5) could not run while transfer(1, 0, 10) waited for \
             account 0, although accounts 2 and 3 were free: there is one lock for \
             the whole bank. Lock only the two accounts a transfer touches.",
            move || bank.transfer(2, 3, 5),
        )
    };
    assert_eq!(
        elsewhere,
        Ok(()),
        "transfer(2, 3, 5) had the money to succeed"
    );
    drop(held);
    let outcome = waiting.join(CALL_STUCK);
    assert_eq!(
        outcome,
        Ok(()),
        "transfer(1, 0, 10) had the money to succeed"
    );
    assert_eq!(balances(&bank), [110, 90, 95, 105]);
}

/// Holds account 0's lock, starts `transfer(1, 0, 60)`, and while it waits
/// for account 0 lets `transfer(1, 2, 50)` take most of account 1's money.
/// The first transfer must then be refused: a balance checked before both
/// locks are held may be stale by the time the money moves.
#[test]
fn a_transfer_checks_the_balance_while_holding_both_locks() {
    let bank = Arc::new(Bank::new(&[100, 100, 100]));
    let held = bank
        .account(0)
        .lock()
        .expect("nothing has panicked holding account 0 yet");
    let waiting = spawn_watched({
        let bank = Arc::clone(&bank);
        move || match panic::catch_unwind(AssertUnwindSafe(|| {
            bank.transfer(1, 0, 60)
        })) {
            // A skeleton's todo!() fails the test with its own message.
            Err(payload)
                if panic_text(&*payload).starts_with("not yet implemented") =>
            {
                panic::resume_unwind(payload)
            }
            outcome => outcome,
        }
    });
    let waiting = waiting.wait_until_blocked(
        "transfer(1, 0, 60) did not wait for account 0, which another thread held: \
         it finished, or kept running for 2 s. Lock both accounts (with `lock`, \
         which blocks until the account is free) before changing them.",
    );
    if let Err(TryLockError::WouldBlock) = bank.account(1).try_lock() {
        panic!(
            "transfer(1, 0, 60) held account 1 while it waited for account 0: lock \
             the lower id first, whichever way the money goes."
        );
    }
    let meanwhile = {
        let bank = Arc::clone(&bank);
        watchdog(
            DEADLINE,
            "transfer(1, 2, 50) could not run while transfer(1, 0, 60) waited for \
             account 0, although accounts 1 and 2 were free: is there one lock for \
             the whole bank? Lock only the two accounts a transfer touches.",
            move || bank.transfer(1, 2, 50),
        )
    };
    assert_eq!(
        meanwhile,
        Ok(()),
        "transfer(1, 2, 50) had the money to succeed"
    );
    drop(held);
    let outcome = waiting.join(CALL_STUCK);
    assert!(
        matches!(outcome, Ok(Err(Refused::InsufficientFunds))),
        "transfer(1, 0, 60) looked at account 1's balance (100) before it held both \
         locks; by the time it moved the money, another transfer had left 50 there, \
         and it {}. Check the balance while holding both locks, right before you \
         write.",
        match outcome {
            Ok(Ok(())) => "went ahead anyway".to_owned(),
            Ok(Err(refused)) => format!("returned Err({refused:?})"),
            Err(_) => "panicked (its message is above)".to_owned(),
        }
    );
    assert_eq!(
        balances(&bank),
        [100, 50, 150],
        "a refused transfer must change nothing"
    );
}

/// Holds account 2's lock, then starts `total()`. While it waits for account
/// 2, it must still hold accounts 0 and 1: a total that reads one account at
/// a time can count money twice, or not at all, when a transfer runs between
/// two of its reads.
#[test]
fn total_holds_every_account_while_it_adds() {
    let bank = Arc::new(Bank::new(&[100, 200, 300, 400]));
    let held = bank
        .account(2)
        .lock()
        .expect("nothing has panicked holding account 2 yet");
    let waiting = spawn_watched({
        let bank = Arc::clone(&bank);
        move || bank.total()
    });
    let waiting = waiting.wait_until_blocked(
        "total() did not wait for account 2, which another thread held: it \
         finished, or kept running for 2 s. It must lock every account (with \
         `lock`, which blocks until the account is free) to read its balance.",
    );
    if let Err(TryLockError::WouldBlock) = bank.account(3).try_lock() {
        panic!(
            "total() held account 3 while it waited for account 2: it locks the \
             accounts from the highest id down, the opposite of the transfers' \
             order, so a transfer holding 2 and waiting for 3 deadlocks with it. \
             Lock every account in id order, the lowest first."
        );
    }
    for id in [0, 1] {
        if let Ok(_free) = bank.account(id).try_lock() {
            panic!(
                "total() had let go of account {id} while it waited for account 2: \
                 a transfer from {id} to 3 could run in between, and its money \
                 would be counted twice. Lock every account in id order, keep all \
                 the guards, then add."
            );
        }
    }
    drop(held);
    let total = waiting.join(CALL_STUCK);
    assert_eq!(total, 1000, "the four balances add up to 1000");
}

#[test]
fn opposite_transfers_never_deadlock() {
    let bank = Arc::new(Bank::new(&[500, 500]));
    let start = Arc::new(Barrier::new(2));
    watchdog(DEADLINE, TRANSFER_CYCLE, {
        let bank = Arc::clone(&bank);
        move || {
            let threads: Vec<_> = [(0, 1), (1, 0)]
                .into_iter()
                .map(|(from, to)| {
                    let (bank, start) = (Arc::clone(&bank), Arc::clone(&start));
                    thread::spawn(move || {
                        start.wait();
                        for _ in 0..5_000 {
                            // Refused when the account runs dry: that is fine.
                            let _ = bank.transfer(from, to, 1);
                        }
                    })
                })
                .collect();
            for thread in threads {
                thread.join().expect(
                    "a transfer panicked (its message is above): a refused transfer \
                     returns Err, it never panics",
                );
            }
        }
    });
    let after = balances(&bank);
    assert_eq!(
        after.iter().sum::<u64>(),
        1000,
        "after transfers back and forth the balances are {after:?}: money was \
         created or destroyed. Check and change both balances while holding both \
         locks."
    );
}

/// A small random-number generator, so the test needs no crate: xorshift.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Adds one to its counter when dropped, panic or not.
struct CountOnDrop(Arc<AtomicUsize>);

impl Drop for CountOnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Four threads make 1,000 random transfers each among five accounts while a
/// fifth thread keeps asking for the total, which must never change.
#[test]
fn random_transfers_on_four_threads_finish_and_conserve_the_total() {
    const ACCOUNTS: usize = 5;
    let bank = Arc::new(Bank::new(&[1000; ACCOUNTS]));
    let done = Arc::new(AtomicUsize::new(0));
    let (totals, after) = watchdog(DEADLINE, TRANSFER_CYCLE, {
        let bank = Arc::clone(&bank);
        move || {
            let start = Arc::new(Barrier::new(5));
            let tellers: Vec<_> = (0..4u64)
                .map(|seed| {
                    let (bank, start, done) =
                        (Arc::clone(&bank), Arc::clone(&start), Arc::clone(&done));
                    thread::spawn(move || {
                        // Counts this teller as done even if a transfer panics,
                        // so that the auditor below always stops.
                        let _done = CountOnDrop(done);
                        let mut state = 0x9E37_79B9_7F4A_7C15 ^ (seed + 1);
                        start.wait();
                        for _ in 0..1_000 {
                            let from = (next_random(&mut state) % 5) as usize;
                            let to = (next_random(&mut state) % 5) as usize;
                            let amount = next_random(&mut state) % 50 + 1;
                            let _ = bank.transfer(from, to, amount);
                        }
                    })
                })
                .collect();
            let auditor = {
                let (bank, done) = (Arc::clone(&bank), Arc::clone(&done));
                thread::spawn(move || {
                    start.wait();
                    let mut totals = Vec::new();
                    while done.load(SeqCst) < 4 {
                        totals.push(bank.total());
                    }
                    totals
                })
            };
            for teller in tellers {
                teller.join().expect(
                    "a transfer panicked (its message is above): a refused transfer \
                     returns Err, it never panics",
                );
            }
            let totals = auditor.join().expect("total() panicked");
            (totals, bank.total())
        }
    });
    if let Some(wrong) = totals.iter().find(|&&t| t != 5000) {
        panic!(
            "total() returned {wrong} while transfers were running, but the bank \
             always holds 5000: total() must hold every account's lock at once \
             (taken in id order) while it adds, or it counts a transfer's money \
             twice or not at all"
        );
    }
    assert_eq!(
        after, 5000,
        "after 4,000 transfers the accounts hold {after} instead of 5000: money was \
         created or destroyed. Check and change both balances while holding both \
         locks."
    );
}

const POISONED_ADVICE: &str = "a thread panicked while holding that account's \
    lock, so lock() returns Err(PoisonError), and unwrap() turns it into a new \
    panic. The ledger is still consistent (a transfer writes nothing until all \
    its checks have passed), so take the guard anyway: \
    .unwrap_or_else(PoisonError::into_inner).";

/// Poisons an account's lock the way a crashing thread would: it panics while
/// holding the lock, having changed nothing.
fn poison(bank: &Arc<Bank>, id: usize) {
    let crashing = {
        let bank = Arc::clone(bank);
        thread::spawn(move || {
            let _guard = bank.account(id).lock();
            panic!(
                "an auditor crashes while holding account {id}: this panic is part \
                 of the test"
            );
        })
    };
    assert!(
        crashing.join().is_err() && bank.account(id).is_poisoned(),
        "the test could not poison account {id}'s lock"
    );
}

#[test]
fn a_poisoned_account_still_takes_transfers() {
    let bank = Arc::new(Bank::new(&[100, 100, 100, 100]));
    poison(&bank, 1);
    let outcome = {
        let bank = Arc::clone(&bank);
        without_panic(
            "a transfer with account 1, whose lock is poisoned,",
            POISONED_ADVICE,
            CALL_STUCK,
            move || (bank.transfer(0, 1, 10), bank.transfer(1, 2, 30)),
        )
    };
    assert_eq!(
        outcome,
        (Ok(()), Ok(())),
        "both transfers were covered by the balance: a poisoned lock is no reason \
         to refuse them"
    );
    assert_eq!(
        balances(&bank),
        [90, 80, 130, 100],
        "[100, 100, 100, 100], then 10 from 0 to 1 and 30 from 1 to 2"
    );
}

#[test]
fn total_counts_a_poisoned_account() {
    let bank = Arc::new(Bank::new(&[100, 200, 300, 400]));
    poison(&bank, 3);
    let total = {
        let bank = Arc::clone(&bank);
        without_panic(
            "total() with account 3's lock poisoned",
            POISONED_ADVICE,
            CALL_STUCK,
            move || bank.total(),
        )
    };
    assert_eq!(
        total, 1000,
        "the four balances add up to 1000, the poisoned account's 400 included: \
         skipping an account whose lock is poisoned loses its money"
    );
}

fn forks(count: usize) -> Arc<Vec<Mutex<()>>> {
    Arc::new((0..count).map(|_| Mutex::new(())).collect())
}

#[test]
fn a_philosopher_eats_holding_both_forks() {
    let forks = forks(5);
    let meals = Arc::new(Mutex::new(Vec::new()));
    {
        let (forks, meals) = (Arc::clone(&forks), Arc::clone(&meals));
        watchdog(DEADLINE, DINNER_CYCLE, move || {
            let eat = |seat: usize| {
                let free: Vec<usize> = [2, 3]
                    .into_iter()
                    .filter(|&f| {
                        !matches!(forks[f].try_lock(), Err(TryLockError::WouldBlock))
                    })
                    .collect();
                meals.lock().expect("eat does not panic").push((seat, free));
            };
            philosopher(2, &forks, 3, &eat);
        });
    }
    let meals = meals.lock().expect("eat does not panic");
    assert_eq!(
        meals.len(),
        3,
        "philosopher(2, forks, 3, eat) called eat {} times instead of 3",
        meals.len()
    );
    for (seat, free) in meals.iter() {
        assert_eq!(
            *seat, 2,
            "philosopher 2 called eat({seat}): pass your own seat"
        );
        assert!(
            free.is_empty(),
            "philosopher 2 ate while fork(s) {free:?} lay on the table: keep both \
             forks' guards alive while eating. A guard that is not kept in a \
             variable (a bare `lock(...);` statement) is dropped at once; bind it \
             to a name such as `_left`."
        );
    }
}

/// Holds a fork, then starts a philosopher whose first fork it is, and checks
/// that the philosopher waits holding nothing. Seat 4 must reach for fork 0
/// before fork 4; seat 1 for fork 1 before fork 2.
#[test]
fn a_hungry_philosopher_holds_no_fork_while_waiting() {
    for (seat, first, second) in [(4, 0, 4), (1, 1, 2)] {
        let forks = forks(5);
        let held = forks[first].lock().expect("no philosopher has panicked");
        let eaten = Arc::new(AtomicBool::new(false));
        let hungry = spawn_watched({
            let (forks, eaten) = (Arc::clone(&forks), Arc::clone(&eaten));
            move || philosopher(seat, &forks, 1, &|_| eaten.store(true, SeqCst))
        });
        let hungry = hungry.wait_until_blocked(&format!(
            "philosopher {seat} did not wait for fork {first}, which someone else \
             held: they ate, or kept running for 2 s. Lock both forks (with \
             `lock`, which blocks until the fork is free) before eating."
        ));
        if let Err(TryLockError::WouldBlock) = forks[second].try_lock() {
            panic!(
                "philosopher {seat} picked up fork {second} and then waited for \
                 fork {first}. If every philosopher keeps one fork while waiting \
                 for the next, they wait round the table forever: a cycle. Pick up \
                 the lower-numbered fork first (for philosopher {seat}: fork \
                 {first}, then fork {second})."
            );
        }
        drop(held);
        hungry.join(DINNER_CYCLE);
        assert!(
            eaten.load(SeqCst),
            "philosopher {seat} never ate their meal"
        );
    }
}

#[test]
fn five_philosophers_eat_every_meal_and_neighbours_never_together() {
    const SEATS: usize = 5;
    const MEALS: usize = 200;
    let eating: Arc<Vec<AtomicBool>> =
        Arc::new((0..SEATS).map(|_| AtomicBool::new(false)).collect());
    let counts: Arc<Vec<AtomicUsize>> =
        Arc::new((0..SEATS).map(|_| AtomicUsize::new(0)).collect());
    let clash = Arc::new(Mutex::new(None::<(usize, usize)>));
    let log = Arc::new(ThreadLog::new());
    {
        let (eating, counts, clash, log) = (
            Arc::clone(&eating),
            Arc::clone(&counts),
            Arc::clone(&clash),
            Arc::clone(&log),
        );
        watchdog(DEADLINE, DINNER_CYCLE, move || {
            dine(SEATS, MEALS, move |seat| {
                log.record();
                eating[seat].store(true, SeqCst);
                for neighbour in [(seat + SEATS - 1) % SEATS, (seat + 1) % SEATS] {
                    if eating[neighbour].load(SeqCst) {
                        *clash.lock().expect("eat does not panic") =
                            Some((seat, neighbour));
                    }
                }
                // Stay at the table a moment, so that a neighbour who does
                // not wait for the shared fork is likely to be seen.
                for _ in 0..200 {
                    std::hint::spin_loop();
                }
                counts[seat].fetch_add(1, SeqCst);
                eating[seat].store(false, SeqCst);
            });
        });
    }
    if let Some((a, b)) = *clash.lock().expect("eat does not panic") {
        panic!(
            "philosophers {a} and {b}, neighbours, ate at the same time, sharing a \
             fork: each must hold both of their forks' guards while eating"
        );
    }
    for (seat, count) in counts.iter().enumerate() {
        let count = count.load(SeqCst);
        assert_eq!(
            count, MEALS,
            "philosopher {seat} ate {count} meals instead of {MEALS}"
        );
    }
    let threads = log.threads().len();
    assert_eq!(
        threads, SEATS,
        "the {SEATS} philosophers ate on {threads} threads: give each philosopher a \
         thread of its own"
    );
}

/// While philosopher 0 eats its first meal, holding forks 0 and 1, its
/// neighbours wait holding nothing (they reach for fork 0 or fork 1 first),
/// so philosopher 2 or 3 can always eat. Philosopher 0 stays at the table
/// until one of them has: that happens at once when the philosophers dine
/// together, and never when each one's thread is joined before the next
/// starts.
#[test]
fn the_philosophers_dine_at_the_same_time() {
    const SEATS: usize = 5;
    let counts: Arc<Vec<AtomicUsize>> =
        Arc::new((0..SEATS).map(|_| AtomicUsize::new(0)).collect());
    let alone = Arc::new(AtomicBool::new(false));
    {
        let (counts, alone) = (Arc::clone(&counts), Arc::clone(&alone));
        watchdog(DEADLINE * 2, DINNER_CYCLE, move || {
            dine(SEATS, 3, move |seat| {
                if seat == 0 && counts[0].load(SeqCst) == 0 {
                    let others_ate = eventually(DEADLINE, || {
                        counts[2].load(SeqCst) + counts[3].load(SeqCst) > 0
                    });
                    alone.store(!others_ate, SeqCst);
                }
                counts[seat].fetch_add(1, SeqCst);
            });
        });
    }
    assert!(
        !alone.load(SeqCst),
        "philosopher 0 sat alone at the table for {DEADLINE:?}: philosophers 2 and \
         3, whose forks were free, never ate meanwhile. Are the philosophers dining \
         one after another? Start every philosopher's thread before you wait for \
         any of them (thread::scope joins them all at its end)."
    );
    for (seat, count) in counts.iter().enumerate() {
        let count = count.load(SeqCst);
        assert_eq!(
            count, 3,
            "philosopher {seat} ate {count} meals instead of 3"
        );
    }
}

/// A thread started by [`spawn_watched`]: its handle, and where the operating
/// system shows its state.
struct Watched<T> {
    handle: JoinHandle<T>,
    watch: ThreadWatch,
}

impl<T: Send + 'static> Watched<T> {
    /// Waits for the thread's result, at most [`DEADLINE`].
    fn join(self, on_timeout: &str) -> T {
        let handle = self.handle;
        watchdog(DEADLINE, on_timeout, move || {
            handle
                .join()
                .unwrap_or_else(|panic| panic::resume_unwind(panic))
        })
    }

    /// Waits until the thread is asleep in the kernel, blocked on a lock: seen
    /// asleep twice in a row, at most 2 s. Fails with `not_blocked` if it
    /// ended instead (after showing its own panic, if it had one) or kept
    /// running. Without `/proc`, it can only give the thread 300 ms.
    fn wait_until_blocked(self, not_blocked: &str) -> Self {
        let asleep = if self.watch.can_see() {
            // Also true once the thread has ended, which is checked next.
            self.watch.wait_until_asleep(Duration::from_secs(2))
        } else {
            thread::sleep(Duration::from_millis(300));
            true
        };
        if self.handle.is_finished() {
            self.join(not_blocked);
            panic!("{not_blocked}");
        }
        assert!(asleep, "{not_blocked}");
        self
    }
}

/// Starts `body` on a new thread that first tells where `/proc` shows its
/// state (Linux only).
fn spawn_watched<T: Send + 'static>(
    body: impl FnOnce() -> T + Send + 'static,
) -> Watched<T> {
    let (tell, told) = mpsc::channel();
    let handle = thread::spawn(move || {
        let _ = tell.send(ThreadWatch::this_thread());
        body()
    });
    let watch = told
        .recv_timeout(DEADLINE)
        .expect("a test thread did not start: is the machine out of memory?");
    Watched { handle, watch }
}
