//! Two threads, two locks, opposite orders: a deadlock on purpose. Run with
//! `cargo run --example deadlock` in `solutions/`; it reports the deadlock
//! after a second instead of hanging.

use std::process;
use std::sync::{Mutex, mpsc};
use std::thread;
use std::time::Duration;

fn main() {
    static A: Mutex<u64> = Mutex::new(100);
    static B: Mutex<u64> = Mutex::new(100);
    let (done, finished) = mpsc::channel();

    // ANCHOR: opposite_order
    let one = done.clone();
    thread::spawn(move || {
        let a = A.lock().expect("no panic while holding A");
        thread::sleep(Duration::from_millis(50)); // let the other take B
        let b = B.lock().expect("no panic while holding B"); // waits for ever
        one.send(*a + *b).expect("main is listening");
    });
    thread::spawn(move || {
        let b = B.lock().expect("no panic while holding B");
        thread::sleep(Duration::from_millis(50)); // let the other take A
        let a = A.lock().expect("no panic while holding A"); // waits for ever
        done.send(*a + *b).expect("main is listening");
    });
    // ANCHOR_END: opposite_order

    match finished.recv_timeout(Duration::from_secs(1)) {
        Ok(sum) => println!("no deadlock this time: {sum}"),
        Err(_) => {
            println!("deadlock: one thread holds A and waits for B, the other");
            println!("holds B and waits for A. Nothing will ever release either.");
            process::exit(1);
        }
    }
}
