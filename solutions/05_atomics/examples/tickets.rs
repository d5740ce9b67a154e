//! A compare-and-swap loop for a different rule than the exercise's: sell
//! tickets until a limit, never one too many. Run with
//! `cargo run --release --example tickets` in `solutions/`.

use std::sync::Barrier;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::thread;

// ANCHOR: sell
/// Sells the next ticket if fewer than `limit` were sold, and returns its
/// number. `fetch_add` cannot do this: it would add first and check after.
fn sell(sold: &AtomicU64, limit: u64) -> Option<u64> {
    // Relaxed: the count is the only thing shared; it publishes nothing.
    let mut current = sold.load(Relaxed);
    loop {
        if current >= limit {
            return None; // sold out: nothing to write
        }
        match sold.compare_exchange(current, current + 1, Relaxed, Relaxed) {
            Ok(_) => return Some(current), // no one got in between
            Err(actual) => current = actual, // someone did: decide again
        }
    }
}
// ANCHOR_END: sell

fn main() {
    let sold = AtomicU64::new(0);
    let start = Barrier::new(8);
    let mine: Vec<usize> = thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    (0..50).filter_map(|_| sell(&sold, 100)).count()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a seller panicked"))
            .collect()
    });
    println!(
        "8 sellers tried 400 sales of 100 tickets: sold {} ({mine:?} each)",
        mine.iter().sum::<usize>()
    );
}
