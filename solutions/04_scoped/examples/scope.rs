//! Scoped threads that borrow a local vector, one element each: run with
//! `cargo run --release --example scope` in `solutions/`.

use std::thread;

fn main() {
    // ANCHOR: scope
    let words = vec!["spawn", "scope", "join", "chunks_mut"];
    let mut lengths = vec![0; words.len()];
    thread::scope(|s| {
        // Each thread borrows one word (shared) and one slot (exclusive).
        for (word, length) in words.iter().zip(lengths.iter_mut()) {
            s.spawn(move || *length = word.len());
        }
    }); // every thread spawned on `s` has been joined here
    println!("{words:?} have {lengths:?} letters"); // both still ours
    // ANCHOR_END: scope
}
