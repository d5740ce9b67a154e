//! Threads started first and joined after, and what `join` hands back: run
//! with `cargo run --release --example spawn_join` in `solutions/`.

use std::thread;
use std::time::{Duration, Instant};

fn main() {
    // ANCHOR: spawn_then_join
    let start = Instant::now();
    let handles: Vec<thread::JoinHandle<u64>> = (0..10)
        .map(|i| {
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(100)); // waiting, like I/O
                i * i // the thread's value, handed to whoever joins it
            })
        })
        .collect(); // all ten are running before the first join below
    for handle in handles {
        let value = handle.join().expect("a sleeping thread does not panic");
        print!("{value} ");
    }
    println!("in {:?}", start.elapsed()); // about 100 ms, not 1 s
    // ANCHOR_END: spawn_then_join

    // ANCHOR: join_a_panic
    let handle = thread::spawn(|| -> u64 { panic!("no data for this task") });
    match handle.join() {
        Ok(value) => println!("the thread returned {value}"),
        Err(payload) => {
            let text = payload.downcast_ref::<&str>();
            println!("the thread panicked: {text:?}");
        }
    }
    // ANCHOR_END: join_a_panic

    // ANCHOR: named
    let handle = thread::Builder::new()
        .name("crawler-2".to_owned())
        .spawn(|| thread::current().name().map(str::to_owned))
        .expect("the operating system refused to start a thread");
    let name = handle.join().expect("reading a name does not panic");
    println!("the thread was called {name:?}"); // Some("crawler-2")
    // ANCHOR_END: named
}
