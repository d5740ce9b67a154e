//! How long a `MutexGuard` lives: to the end of a `let` statement, or to the
//! end of a `while let` block. Run with `cargo run --example guard_scope` in
//! `solutions/`.

use std::sync::Mutex;

fn main() {
    let queue = Mutex::new(vec!["a", "b"]);
    // ANCHOR: let_statement
    loop {
        let next = queue.lock().unwrap().pop(); // the guard is dropped here
        let Some(job) = next else { break };
        // Running the job: is the queue still locked?
        println!(
            "let:       {job}, queue locked: {}",
            queue.try_lock().is_err()
        );
    }
    // ANCHOR_END: let_statement

    let queue = Mutex::new(vec!["a", "b"]);
    // ANCHOR: while_let
    while let Some(job) = queue.lock().unwrap().pop() {
        // The guard lives until the end of this block.
        println!(
            "while let: {job}, queue locked: {}",
            queue.try_lock().is_err()
        );
    }
    // ANCHOR_END: while_let
}
