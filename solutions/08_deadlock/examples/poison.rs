//! A thread panics between two writes while holding a lock. Run with
//! `cargo run --example poison` in `solutions/`.

use std::sync::{Arc, Mutex};
use std::thread;

fn main() {
    // Two balances that must always add up to 200.
    let ledger = Arc::new(Mutex::new([100_u64, 100]));

    // ANCHOR: poisoned
    let crashing = {
        let ledger = Arc::clone(&ledger);
        thread::spawn(move || {
            let mut balances = ledger.lock().expect("nobody has panicked yet");
            balances[0] -= 30;
            panic!("crashed between the two writes"); // balances[1] += 30 never runs
        })
    };
    assert!(crashing.join().is_err(), "the thread panicked");

    match ledger.lock() {
        Ok(balances) => println!("not poisoned: {balances:?}"),
        Err(poisoned) => {
            // The guard is inside the error: the data is there, but suspect.
            let balances = poisoned.into_inner();
            let total: u64 = balances.iter().sum();
            println!("poisoned: {balances:?} adds up to {total}, not 200");
        }
    }
    // ANCHOR_END: poisoned

    // ANCHOR: clear_poison
    // Once the data is known to be right again, say so:
    *ledger
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = [70, 130];
    ledger.clear_poison();
    println!("poisoned after repair: {}", ledger.is_poisoned());
    // ANCHOR_END: clear_poison
}
