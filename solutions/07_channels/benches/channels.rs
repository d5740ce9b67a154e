//! `cargo course bench channels`: what handing an item through a channel
//! costs, bounded and unbounded, with one producer or many, and how far a
//! producer runs ahead of a slow consumer with and without a bound.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{Acquire, Release};
use std::sync::mpsc::{self, Sender};
use std::thread;
use std::time::{Duration, Instant};

use channels::{fan_in, pipeline};
use testkit::bench;

const ITEMS: usize = 100_000;

/// Moves `items` numbers from a producer thread to this thread through an
/// unbounded channel.
fn unbounded(items: usize) -> usize {
    let (tx, rx) = mpsc::channel();
    let producer = thread::spawn(move || {
        for i in 0..items {
            tx.send(i).expect("the consumer is still listening");
        }
    });
    let count = rx.iter().count();
    producer.join().expect("the producer panicked");
    count
}

/// A producer that sends `count` numbers through the Sender it is given.
fn producer(count: usize) -> impl FnOnce(Sender<usize>) + Send + 'static {
    move |tx| {
        for i in 0..count {
            tx.send(i).expect("the consumer is still listening");
        }
    }
}

/// Sends `items` as fast as possible to a consumer that works about 2 µs per
/// item, and returns the most items that were sent but not yet taken.
fn peak_backlog(items: usize, bound: Option<usize>) -> usize {
    let taken = Arc::new(AtomicUsize::new(0));
    let send: Box<dyn Fn(usize) + Send> = match bound {
        Some(bound) => {
            let (tx, rx) = mpsc::sync_channel(bound);
            spawn_slow_consumer(rx.into_iter(), Arc::clone(&taken));
            Box::new(move |i| tx.send(i).expect("the consumer is listening"))
        }
        None => {
            let (tx, rx) = mpsc::channel();
            spawn_slow_consumer(rx.into_iter(), Arc::clone(&taken));
            Box::new(move |i| tx.send(i).expect("the consumer is listening"))
        }
    };
    let mut peak = 0;
    for i in 0..items {
        send(i);
        // Acquire: pairs with the consumer's Release, so the count is current.
        peak = peak.max(i + 1 - taken.load(Acquire));
    }
    peak
}

fn spawn_slow_consumer(
    items: impl Iterator<Item = usize> + Send + 'static,
    taken: Arc<AtomicUsize>,
) {
    thread::spawn(move || {
        for _ in items {
            taken.fetch_add(1, Release);
            let start = Instant::now();
            while start.elapsed() < Duration::from_micros(2) {
                std::hint::spin_loop();
            }
        }
    });
}

fn main() {
    let group = "100,000 items, one producer thread, one consumer";
    bench::time(
        group,
        "mpsc::channel() (unbounded)",
        bench::median(5, || {
            std::hint::black_box(unbounded(ITEMS));
        }),
    );
    for bound in [1024, 16, 1, 0] {
        bench::time(
            group,
            &format!("sync_channel({bound})"),
            // Three runs: with a bound of 0 or 1 each run takes a while.
            bench::median(3, || {
                std::hint::black_box(pipeline(0..ITEMS, bound, |x| x));
            }),
        );
    }
    bench::note(
        group,
        "a small bound makes the two threads take turns: each send may wait for a \
         receive, and the waiting thread must be woken",
    );

    let group = "100,000 items from several producers into one consumer (fan_in)";
    for producers in [1, 2, 4, 8] {
        bench::time(
            group,
            &format!("{producers} producer(s)"),
            bench::median(5, || {
                let each = ITEMS / producers;
                let all: Vec<_> = (0..producers).map(|_| producer(each)).collect();
                std::hint::black_box(fan_in(all));
            }),
        );
    }
    bench::note(
        group,
        "the producers only send, so more of them mostly adds contention on the \
         one channel; fan-in pays off when producing is the slow part",
    );

    let group = "a slow consumer (2 µs per item): most items waiting at once";
    let items = 20_000;
    for (label, bound) in [
        ("mpsc::channel() (unbounded)", None),
        ("sync_channel(16)", Some(16)),
    ] {
        let peak = peak_backlog(items, bound);
        bench::value(group, label, peak as f64, &format!("of {items} items"));
    }
    bench::note(
        group,
        "without a bound the backlog, and the memory it takes, grows with the \
         input; with one it stays at the bound, plus the item in each thread's hand",
    );
}
