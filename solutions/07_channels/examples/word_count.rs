//! Three producers and one consumer, talking through a channel: run with
//! `cargo run --example word_count` in `solutions/`.

use std::sync::mpsc;
use std::thread;

const CHAPTERS: [&str; 3] = [
    "threads share memory\nchannels share messages",
    "a sender can be cloned\na receiver cannot",
    "the loop ends\nwhen the last sender is gone",
];

fn main() {
    // ANCHOR: producers_and_consumer
    let (tx, rx) = mpsc::channel();
    for (n, text) in CHAPTERS.into_iter().enumerate() {
        let tx = tx.clone(); // one Sender per producer
        thread::spawn(move || {
            for line in text.lines() {
                tx.send((n, line)).expect("the consumer is still listening");
            }
        }); // this producer's Sender is dropped here, when it is done
    }
    drop(tx); // the original: without this line, the loop below never ends

    let mut words = 0;
    for (n, line) in rx {
        // Lines arrive in the order they were sent, whoever sent them.
        println!("producer {n}: {line}");
        words += line.split_whitespace().count();
    }
    println!("{words} words");
    // ANCHOR_END: producers_and_consumer
}
