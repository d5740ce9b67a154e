//! `cargo course bench locks`: how a bounded queue's capacity changes its
//! throughput, and when an `RwLock` beats a `Mutex` for a read-heavy map.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Mutex, RwLock};
use std::thread;

use locks::BoundedQueue;
use testkit::bench;

const RUNS: usize = 5;
const ITEMS: u64 = 20_000;

/// Passes `ITEMS` numbers from 2 producers to 2 consumers through a queue
/// of `capacity`, and checks that each arrived once.
fn pass_through(capacity: usize) {
    let queue = BoundedQueue::new(capacity);
    let total: u64 = thread::scope(|s| {
        let queue = &queue;
        let producers: Vec<_> = (0..2)
            .map(|p| {
                s.spawn(move || {
                    for i in (p..ITEMS).step_by(2) {
                        queue.push(i).expect("the queue is open while producing");
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(move || {
                    let mut sum = 0;
                    while let Some(i) = queue.pop() {
                        sum += i;
                    }
                    sum
                })
            })
            .collect();
        for producer in producers {
            producer.join().expect("a producer panicked");
        }
        queue.close();
        consumers
            .into_iter()
            .map(|c| c.join().expect("a consumer panicked"))
            .sum()
    });
    assert_eq!(total, ITEMS * (ITEMS - 1) / 2, "every item arrives once");
}

/// The operations a map behind a lock must offer the read-heavy benchmark.
trait SharedMap: Sync {
    fn read(&self, key: u64) -> u64;
    fn write(&self, key: u64);
}

/// Each value is a list of `len` numbers; a read sums one list while the
/// lock is held, so `len` sets how long a reader holds it.
fn filled(len: usize) -> HashMap<u64, Vec<u64>> {
    (0..1_000).map(|k| (k, vec![k; len])).collect()
}

impl SharedMap for Mutex<HashMap<u64, Vec<u64>>> {
    fn read(&self, key: u64) -> u64 {
        let map = self.lock().expect("not poisoned");
        map.get(&key).map_or(0, |v| v.iter().sum())
    }
    fn write(&self, key: u64) {
        let mut map = self.lock().expect("not poisoned");
        if let Some(v) = map.get_mut(&key) {
            v[0] += 1;
        }
    }
}

impl SharedMap for RwLock<HashMap<u64, Vec<u64>>> {
    fn read(&self, key: u64) -> u64 {
        let map = self.read().expect("not poisoned");
        map.get(&key).map_or(0, |v| v.iter().sum())
    }
    fn write(&self, key: u64) {
        let mut map = self.write().expect("not poisoned");
        if let Some(v) = map.get_mut(&key) {
            v[0] += 1;
        }
    }
}

/// 4 threads, each doing `ops` operations of which one in a hundred writes.
fn read_heavy(map: &impl SharedMap, ops: u64) {
    thread::scope(|s| {
        for t in 0..4_u64 {
            s.spawn(move || {
                let mut key = t * 7919;
                for i in 0..ops {
                    key = (key * 31 + 17) % 1_000;
                    if i % 100 == 0 {
                        map.write(key);
                    } else {
                        black_box(map.read(key));
                    }
                }
            });
        }
    });
}

fn main() {
    let group = "20,000 items, 2 producers → 2 consumers, by capacity";
    for capacity in [1, 4, 16, 64, 1_024] {
        bench::time(
            group,
            &format!("capacity {capacity}"),
            bench::median(RUNS, || pass_through(capacity)),
        );
    }
    bench::note(
        group,
        "capacity 1 hands over every item with a wake-up; with more room, both \
         sides run in bursts and wake each other less often. Capacity is also \
         the memory and the lag you allow",
    );

    for (group, len, ops) in [
        (
            "4 threads, 99% reads, short reads (sum 4 numbers)",
            4,
            200_000,
        ),
        (
            "4 threads, 99% reads, long reads (sum 10,000 numbers)",
            10_000,
            5_000,
        ),
    ] {
        let mutex = Mutex::new(filled(len));
        let rwlock = RwLock::new(filled(len));
        bench::time(
            group,
            "Mutex<HashMap>",
            bench::median(RUNS, || read_heavy(&mutex, ops)),
        );
        bench::time(
            group,
            "RwLock<HashMap>",
            bench::median(RUNS, || read_heavy(&rwlock, ops)),
        );
    }
    bench::note(
        "4 threads, 99% reads, long reads (sum 10,000 numbers)",
        "readers can only overlap while they hold the lock, and only on free \
         cores: an RwLock gains when reads are long, and costs a little more \
         than a Mutex per lock taken",
    );
}
