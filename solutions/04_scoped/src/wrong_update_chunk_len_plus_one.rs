//! Chapter 4, [Scoped threads and data parallelism](../../../src/04_scoped.md):
//! cut a borrowed slice into chunks and give each chunk a scoped thread of its
//! own, to compute one result per chunk (`map_chunks`) or to change the
//! elements in place (`update_chunks`).
//!
//! Mistake: update_chunks cuts chunks of len / threads + 1, one too long when threads divides len, so fewer threads run than asked.
//! Expect: len.div_ceil(threads)
//!
//! Why scoped threads: the closure given to `thread::spawn` must own what it
//! uses, because the thread may outlive the function that started it. This
//! does not compile:
//!
//! ```compile_fail,E0373
#![doc = include_str!("../../../exercises/04_scoped/src/compile_fail/spawn_borrows_a_local.rs")]
//! ```

use std::panic;
use std::thread;

/// Cuts `data` into chunks of `data.len().div_ceil(threads)` elements (the
/// last chunk may be shorter), calls `work` on each chunk on a scoped thread
/// of its own, and returns the chunks' results in chunk order.
///
/// Every thread is spawned before any is joined, so the chunks are worked on
/// at the same time. An empty slice needs no thread and gives no results; a
/// slice shorter than `threads` gets one chunk, and one thread, per element.
/// `threads` must be at least 1.
pub fn map_chunks<T, R, F>(data: &[T], threads: usize, work: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&[T]) -> R + Sync,
{
    // ANCHOR: map_chunks
    if data.is_empty() {
        return Vec::new(); // no chunks, and chunks(0) would panic
    }
    let chunk_len = data.len().div_ceil(threads);
    // A shared reference is `Copy`, so each `move` closure gets its own copy
    // of `&work` instead of trying to move `work` itself into every thread.
    let work = &work;
    thread::scope(|s| {
        let handles: Vec<_> = data
            .chunks(chunk_len)
            .map(|chunk| s.spawn(move || work(chunk)))
            .collect();
        // Joined in spawning order, so results come back in chunk order; a
        // chunk that panicked re-raises its own panic, message intact.
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap_or_else(|p| panic::resume_unwind(p)))
            .collect()
    })
    // ANCHOR_END: map_chunks
}

/// Cuts `data` into chunks as [`map_chunks`] does and calls `work` on each
/// chunk, which may change its elements, on a scoped thread of its own. Every
/// element is in exactly one chunk, so it is changed by exactly one thread.
pub fn update_chunks<T, F>(data: &mut [T], threads: usize, work: F)
where
    T: Send,
    F: Fn(&mut [T]) + Sync,
{
    // ANCHOR: update_chunks
    if data.is_empty() {
        return;
    }
    let chunk_len = data.len() / threads + 1;
    let work = &work;
    // `chunks_mut` hands out non-overlapping `&mut` chunks, so each thread
    // may change its own chunk while the others change theirs. The scope
    // joins every thread before it returns, and panics if any of them did.
    thread::scope(|s| {
        for chunk in data.chunks_mut(chunk_len) {
            s.spawn(move || work(chunk));
        }
    });
    // ANCHOR_END: update_chunks
}

/// CPU-bound work: the sum of the squares below `n` (the articles' `crunch`).
///
/// `black_box` stops the compiler from replacing the loop with the closed
/// formula, which would turn a benchmark into a no-op.
pub fn crunch(n: u64) -> u64 {
    let mut total: u64 = 0;
    for i in 0..n {
        let i = std::hint::black_box(i);
        total = total.wrapping_add(i.wrapping_mul(i));
    }
    total
}
