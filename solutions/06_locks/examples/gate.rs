//! The shape of every condition-variable wait, on the simplest state there
//! is: a gate that opens once. Run with `cargo run --example gate` in
//! `solutions/`.

use std::sync::{Condvar, Mutex};
use std::thread;

// ANCHOR: gate
/// Threads wait at the gate until someone opens it.
struct Gate {
    open: Mutex<bool>, // the state the condition is about
    opened: Condvar,   // where threads sleep until it changes
}

impl Gate {
    fn wait(&self) {
        let mut open = self.open.lock().expect("not poisoned");
        while !*open {
            // Unlocks, sleeps until notified, locks again, then we look again.
            open = self.opened.wait(open).expect("not poisoned");
        }
    }

    fn open(&self) {
        *self.open.lock().expect("not poisoned") = true; // change the state...
        self.opened.notify_all(); // ...then wake everyone who waits for it
    }
}
// ANCHOR_END: gate

fn main() {
    let gate = Gate {
        open: Mutex::new(false),
        opened: Condvar::new(),
    };
    thread::scope(|s| {
        for i in 0..3 {
            let gate = &gate;
            s.spawn(move || {
                gate.wait();
                println!("thread {i} went through");
            });
        }
        println!("opening the gate");
        gate.open();
    });
}
