//! `cargo course bench rayon`: sequential against rayon for a map-reduce and
//! a sort, a sort without a cut-off, and what blocking does to a small pool.

use std::collections::HashMap;
use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use rayon::ThreadPoolBuilder;
use rayon::prelude::*;
use testkit::bench;
use with_rayon::{add_counts, count_words, merge, parallel_sort, word_frequencies};

const TEXTS: usize = 2_000;
const WORDS_PER_TEXT: usize = 1_000;
const SORTED: usize = 2_000_000;
const WAITS: usize = 16;
const WAIT: Duration = Duration::from_millis(50);

/// Deterministic pseudo-random numbers (xorshift): the same input every run.
fn numbers(n: usize, seed: u64) -> Vec<u64> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        })
        .collect()
}

/// Texts of words drawn from a vocabulary of 5,000.
fn texts() -> Vec<String> {
    let picks = numbers(TEXTS * WORDS_PER_TEXT, 9);
    picks
        .chunks(WORDS_PER_TEXT)
        .map(|chunk| {
            let words: Vec<String> =
                chunk.iter().map(|p| format!("w{}", p % 5_000)).collect();
            words.join(" ")
        })
        .collect()
}

/// The same merge sort as the exercise's, recursing down to single elements:
/// correct, and a lesson in what a task costs.
fn sort_without_cutoff<T: Ord + Copy + Send>(v: &mut [T]) {
    if v.len() <= 1 {
        return;
    }
    let (left, right) = v.split_at_mut(v.len() / 2);
    rayon::join(|| sort_without_cutoff(left), || sort_without_cutoff(right));
    let merged = merge(left, right);
    v.copy_from_slice(&merged);
}

fn main() {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());

    let group = "word frequencies of 2,000 texts of 1,000 words";
    let texts = texts();
    bench::time(
        group,
        "sequential: iter, fold",
        bench::median(5, || {
            let counts = texts
                .iter()
                .map(|text| count_words(text))
                .fold(HashMap::new(), add_counts);
            black_box(counts);
        }),
    );
    bench::time(
        group,
        &format!("rayon: par_iter, reduce ({cores} threads)"),
        bench::median(5, || {
            black_box(word_frequencies(&texts));
        }),
    );
    bench::note(
        group,
        &format!("{cores} cores: 0.9 × {cores} is a good speed-up for rayon"),
    );

    let group = "sorting 2,000,000 numbers";
    let input = numbers(SORTED, 3);
    let sort_with = |sort: &dyn Fn(&mut [u64])| {
        bench::median(3, || {
            let mut v = input.clone();
            sort(&mut v);
            black_box(v);
        })
    };
    // The baseline is the same merge sort with one thread to run it, so the
    // ratio shows what the cores add; slice::sort, a better algorithm, is
    // the reference a real program would compare with.
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread rayon pool can be built");
    bench::time(
        group,
        "parallel_sort on a 1-thread pool (baseline)",
        sort_with(&|v| one_thread.install(|| parallel_sort(v))),
    );
    bench::time(
        group,
        "parallel_sort: join, cut-off at 2,048",
        sort_with(&|v| parallel_sort(v)),
    );
    bench::time(group, "slice::sort, one thread", sort_with(&|v| v.sort()));
    bench::time(
        group,
        "join without a cut-off",
        sort_with(&|v| sort_without_cutoff(v)),
    );
    bench::time(group, "rayon's par_sort", sort_with(&|v| v.par_sort()));
    bench::note(
        group,
        "each row includes copying the input (the same for all); without a \
         cut-off, most of the time goes to millions of tiny tasks and allocations",
    );

    let group = "16 waits of 50 ms (blocking I/O)";
    let small = ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool");
    let sized = ThreadPoolBuilder::new()
        .num_threads(WAITS)
        .build()
        .expect("pool");
    let waits = |pool: &rayon::ThreadPool| {
        bench::median(3, || {
            pool.install(|| {
                (0..WAITS).into_par_iter().for_each(|_| thread::sleep(WAIT))
            })
        })
    };
    bench::time(group, "rayon pool of 2 threads", waits(&small));
    bench::time(
        group,
        "rayon pool of 16 threads, sized for I/O",
        waits(&sized),
    );
    bench::time(
        group,
        "16 scoped threads",
        bench::median(3, || {
            thread::scope(|scope| {
                for _ in 0..WAITS {
                    scope.spawn(|| thread::sleep(WAIT));
                }
            })
        }),
    );
    for _ in 0..WAITS {
        small.spawn(|| thread::sleep(WAIT));
    }
    let queued = Instant::now();
    small.install(|| black_box(1 + 1));
    bench::value(
        group,
        "2-thread pool: a tiny job queued behind the waits started after",
        queued.elapsed().as_secs_f64() * 1e3,
        "ms",
    );
    bench::note(
        group,
        "a sleeping thread is a thread the pool cannot use: blocking calls belong \
         on threads sized for waiting, not on rayon's pool, which is sized for cores",
    );
}
