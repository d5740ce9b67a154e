//! `cargo course bench pool`: what a task costs on a thread of its own, on
//! the pool and on rayon, and what the pool buys for CPU-bound work.

use std::hint::black_box;
use std::thread;

use pool::ThreadPool;
use testkit::bench;

const TINY_TASKS: usize = 10_000;
const CPU_TASKS: u64 = 64;
const CPU_TASK_SIZE: u64 = 2_000_000;

/// A task too small to be worth a thread: one multiplication.
fn tiny(i: usize) -> usize {
    black_box(i).wrapping_mul(31)
}

/// A CPU-bound task: chapter 1's sum of squares.
fn crunch(n: u64) -> u64 {
    let mut total: u64 = 0;
    for i in 0..n {
        let i = black_box(i);
        total = total.wrapping_add(i.wrapping_mul(i));
    }
    total
}

fn main() {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let pool = ThreadPool::new(cores, 1_024);

    let group = "10,000 tiny tasks";
    bench::time(
        group,
        "a thread per task",
        bench::median(5, || {
            let handles: Vec<_> = (0..TINY_TASKS)
                .map(|i| thread::spawn(move || tiny(i)))
                .collect();
            for handle in handles {
                black_box(handle.join().expect("a tiny task panicked"));
            }
        }),
    );
    bench::time(
        group,
        &format!("our pool, {cores} workers: submit, then result"),
        bench::median(5, || {
            let handles: Vec<_> = (0..TINY_TASKS)
                .map(|i| pool.submit(move || tiny(i)))
                .collect();
            for handle in handles {
                black_box(handle.result().expect("a tiny task panicked"));
            }
        }),
    );
    bench::time(
        group,
        "our pool: map",
        bench::median(5, || {
            black_box(pool.map(tiny, 0..TINY_TASKS));
        }),
    );
    bench::time(
        group,
        "rayon: a spawn per task in a scope",
        bench::median(5, || {
            rayon::scope(|scope| {
                for i in 0..TINY_TASKS {
                    scope.spawn(move |_| {
                        black_box(tiny(i));
                    });
                }
            });
        }),
    );
    bench::time(
        group,
        "no threads: a plain loop",
        bench::median(5, || {
            for i in 0..TINY_TASKS {
                black_box(tiny(i));
            }
        }),
    );
    bench::note(
        group,
        "each task is one multiplication: every row measures the cost of handing \
         work to a thread, and the plain loop shows that such work is best not \
         handed over at all",
    );

    let group = "64 CPU-bound tasks of crunch(2,000,000)";
    bench::time(
        group,
        "one thread",
        bench::median(5, || {
            for _ in 0..CPU_TASKS {
                black_box(crunch(CPU_TASK_SIZE));
            }
        }),
    );
    bench::time(
        group,
        &format!("our pool, {cores} workers"),
        bench::median(5, || {
            let sums = pool.map(crunch, (0..CPU_TASKS).map(|_| CPU_TASK_SIZE));
            black_box(sums);
        }),
    );
    bench::note(
        group,
        &format!(
            "{cores} cores: the best possible speed-up is {cores}×, and 0.9 × \
             {cores} is a good result"
        ),
    );
}
