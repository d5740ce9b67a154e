//! Chapter 10, [rayon](../../../src/10_rayon.md): data parallelism with
//! rayon: a map-reduce with `par_iter`, a divide-and-conquer sort with
//! `rayon::join`, blocks of a slice with `par_chunks`, and a pool of a fixed
//! size used through `install`.
//!
//! Mistake: CpuPool::sort calls parallel_sort directly, so the sort runs on rayon's global pool.
//! Expect: CpuPool::sort ran on rayon's global pool

use std::collections::HashMap;

use rayon::prelude::*;
use rayon::{ThreadPool, ThreadPoolBuilder};

/// Below this length, [`parallel_sort`] sorts on the current thread: handing
/// a few thousand elements to another thread costs more than sorting them.
pub const SEQUENTIAL_CUTOFF: usize = 2_048;

/// How often each word occurs across all `texts`: the map-reduce of the
/// articles' word count, with each text counted on whichever thread is free.
pub fn word_frequencies<T: AsRef<str> + Sync>(
    texts: &[T],
) -> HashMap<String, usize> {
    texts
        .par_iter()
        .map(|text| count_words(text.as_ref()))
        .reduce(HashMap::new, add_counts)
}

/// Sorts `v` like `v.sort()` does, by merge sort: the two halves are sorted
/// side by side with `rayon::join`, then merged. Slices up to
/// [`SEQUENTIAL_CUTOFF`] elements are sorted on the current thread.
pub fn parallel_sort<T: Ord + Copy + Send>(v: &mut [T]) {
    if v.len() <= SEQUENTIAL_CUTOFF {
        v.sort();
        return;
    }
    let middle = v.len() / 2;
    let (left, right) = v.split_at_mut(middle);
    rayon::join(|| parallel_sort(left), || parallel_sort(right));
    let merged = merge(left, right);
    v.copy_from_slice(&merged);
}

/// The sum of each block of `block` consecutive elements of `data`, in
/// order; the last block may be shorter. Blocks are summed side by side.
///
/// # Panics
///
/// When `block` is 0.
pub fn block_sums<T: Copy + Into<u64> + Sync>(data: &[T], block: usize) -> Vec<u64> {
    data.par_chunks(block)
        .map(|chunk| chunk.iter().map(|&x| x.into()).sum())
        .collect()
}

/// A rayon pool of a fixed size for CPU-bound work, built once and reused by
/// every call: the `ProcessPoolExecutor(max_workers=n)` of the articles,
/// with threads instead of processes.
pub struct CpuPool {
    pool: ThreadPool,
}

impl CpuPool {
    /// Starts a pool of exactly `threads` threads.
    pub fn new(threads: usize) -> CpuPool {
        let pool = ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("cpu-pool-{i}"))
            .build()
            .expect("could not start the pool's threads");
        CpuPool { pool }
    }

    /// [`word_frequencies`], run on this pool's threads only.
    pub fn word_frequencies<T: AsRef<str> + Sync>(
        &self,
        texts: &[T],
    ) -> HashMap<String, usize> {
        self.pool.install(|| word_frequencies(texts))
    }

    /// [`parallel_sort`], run on this pool's threads only.
    pub fn sort<T: Ord + Copy + Send>(&self, v: &mut [T]) {
        parallel_sort(v);
    }
}

/// The words of `text`: runs of letters, digits and apostrophes, lowercased.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
}

/// How often each word occurs in one text.
pub fn count_words(text: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for word in words(text) {
        *counts.entry(word).or_insert(0) += 1;
    }
    counts
}

/// Adds the counts of `b` into `a` and returns it: the "reduce" of a
/// map-reduce over word counts. Folds the smaller map into the larger one.
pub fn add_counts(
    a: HashMap<String, usize>,
    b: HashMap<String, usize>,
) -> HashMap<String, usize> {
    let (mut into, from) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    for (word, n) in from {
        *into.entry(word).or_insert(0) += n;
    }
    into
}

/// Merges two sorted slices into one sorted `Vec`. On equal elements the
/// left one comes first, which keeps the sort stable.
pub fn merge<T: Ord + Copy>(left: &[T], right: &[T]) -> Vec<T> {
    let mut merged = Vec::with_capacity(left.len() + right.len());
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if right[j] < left[i] {
            merged.push(right[j]);
            j += 1;
        } else {
            merged.push(left[i]);
            i += 1;
        }
    }
    merged.extend_from_slice(&left[i..]);
    merged.extend_from_slice(&right[j..]);
    merged
}
