//! The spec for chapter 4. Run with `cargo test -p scoped`.
//!
//! The `work` functions below borrow their instruments (a thread log, a
//! rendezvous) straight from the test's stack: scoped threads need no `Arc`.

use std::panic;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use scoped::{map_chunks, update_chunks};
use testkit::{DEADLINE, Rendezvous, ThreadLog, eventually, panic_text, watchdog};

/// How long a chunk waits for the others at the rendezvous. Shorter than the
/// watchdog's [`DEADLINE`], so the rendezvous reports a miss first.
const CHUNK_WAIT: Duration = Duration::from_secs(3);

/// The most likely reason the chunks did not all run at once.
const ONE_BY_ONE: &str = "spawn a scoped thread for every chunk before joining \
     any: calling work on the calling thread, or joining each thread right after \
     spawning it, works through the chunks one by one";

/// Slice lengths and thread counts: even splits, uneven remainders, more
/// threads than elements, and a single thread.
const SHAPES: [(usize, usize); 7] =
    [(12, 4), (10, 4), (1001, 7), (5, 4), (3, 8), (1, 1), (7, 1)];

/// Checks the chunks `work` saw, in the order their results came back.
fn check_chunks(function: &str, len: usize, threads: usize, chunks: &[Vec<usize>]) {
    let longest_allowed = len.div_ceil(threads);
    assert!(
        chunks.len() <= threads,
        "{function} cut {len} elements for {threads} threads into {} chunks: make at \
         most `threads` chunks of len.div_ceil(threads) = {longest_allowed} elements \
         each (dividing with / rounds down, and the remainder becomes an extra \
         chunk; one chunk per element is not one per thread either)",
        chunks.len()
    );
    for chunk in chunks {
        assert!(
            !chunk.is_empty() && chunk.len() <= longest_allowed,
            "{function} gave work a chunk of {} elements for {len} elements on \
             {threads} threads: every chunk holds between 1 and len.div_ceil(threads) \
             = {longest_allowed} elements",
            chunk.len()
        );
    }
    let seen: Vec<usize> = chunks.concat();
    let expected: Vec<usize> = (0..len).collect();
    assert!(
        seen == expected,
        "{function} on {len} elements with {threads} threads handed work these \
         chunks, in the order of their results: {chunks:?}; every element must be in \
         exactly one chunk (the remainder too), and the results must come back in \
         chunk order (join the handles in the order you spawned them)"
    );
}

#[test]
fn map_chunks_hands_out_every_element_once_in_order_in_at_most_threads_chunks() {
    watchdog(
        DEADLINE,
        "map_chunks did not return, with a work function that only copies its chunk",
        || {
            for (len, threads) in SHAPES {
                let data: Vec<usize> = (0..len).collect();
                let chunks =
                    map_chunks(&data, threads, |chunk: &[usize]| chunk.to_vec());
                check_chunks("map_chunks", len, threads, &chunks);
            }
        },
    );
}

/// The four chunks of 40 elements finish last to first: each waits until
/// every chunk after it has finished. Results gathered as the threads finish
/// (from a channel, say) would come back reversed.
#[test]
fn map_chunks_returns_results_in_chunk_order_when_the_last_chunk_finishes_first() {
    let firsts = watchdog(
        DEADLINE,
        &format!("map_chunks did not return: {ONE_BY_ONE}"),
        || {
            let data: Vec<usize> = (0..40).collect();
            let finished = AtomicUsize::new(0);
            map_chunks(&data, 4, |chunk: &[usize]| {
                let index = chunk[0] / 10;
                // Chunks cut some other way are the other tests' business.
                if chunk.len() == 10 && index < 4 {
                    let my_turn = 3 - index;
                    let came =
                        eventually(CHUNK_WAIT, || finished.load(SeqCst) == my_turn);
                    assert!(
                        came,
                        "chunk {index} waited in vain for the chunks after it to \
                         finish: {ONE_BY_ONE}"
                    );
                    finished.fetch_add(1, SeqCst);
                }
                chunk[0]
            })
        },
    );
    assert_eq!(
        firsts.len(),
        4,
        "map_chunks returned {} results for 40 elements on 4 threads: cut the slice \
         into chunks of len.div_ceil(threads) = 10 elements, one result per chunk",
        firsts.len()
    );
    assert_eq!(
        firsts,
        [0, 10, 20, 30],
        "map_chunks returned the results of the chunks starting at {firsts:?}, while \
         the chunks finished last to first: return them in chunk order, by joining \
         the handles in the order you spawned them (not as the threads finish)"
    );
}

#[test]
fn update_chunks_changes_every_element_exactly_once() {
    watchdog(
        DEADLINE,
        "update_chunks did not return, with a work function that only adds one",
        || {
            for (len, threads) in SHAPES {
                let mut data = vec![0_u32; len];
                let lengths = Mutex::new(Vec::new());
                update_chunks(&mut data, threads, |chunk: &mut [u32]| {
                    lengths
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(chunk.len());
                    for x in chunk {
                        *x += 1;
                    }
                });
                if let Some((i, times)) =
                    data.iter().enumerate().find(|(_, times)| **times != 1)
                {
                    panic!(
                        "update_chunks on {len} elements with {threads} threads \
                         changed element {i} {times} times: every element belongs to \
                         exactly one chunk, so cut the slice with \
                         chunks_mut(len.div_ceil(threads)) and the remainder lands in \
                         the last chunk"
                    );
                }
                let lengths =
                    lengths.into_inner().unwrap_or_else(PoisonError::into_inner);
                let calls = lengths.len();
                let longest_allowed = len.div_ceil(threads);
                if let Some(bad) = lengths
                    .iter()
                    .find(|&&chunk| chunk == 0 || chunk > longest_allowed)
                {
                    panic!(
                        "update_chunks gave work a chunk of {bad} elements for {len} \
                         elements on {threads} threads: every chunk holds between 1 \
                         and len.div_ceil(threads) = {longest_allowed} elements, so \
                         that all the threads asked for get a share"
                    );
                }
                assert!(
                    calls <= threads,
                    "update_chunks called work {calls} times for {threads} threads on \
                     {len} elements: make at most `threads` chunks of \
                     len.div_ceil(threads) elements (dividing with / rounds down; one \
                     chunk per element is not one per thread either)"
                );
            }
        },
    );
}

/// What a run on 1,000 elements with 4 threads looked like from inside `work`.
struct Seen {
    threads: usize,
    ran_on_caller: bool,
    elements: usize,
}

fn check_four_threads(function: &str, seen: Seen) {
    assert!(
        !seen.ran_on_caller,
        "{function} called work on the calling thread: spawn a scoped thread for \
         each chunk with s.spawn(..) inside std::thread::scope"
    );
    assert_eq!(
        seen.threads, 4,
        "{function} was asked for 4 threads on 1,000 elements and ran work on {} \
         threads: spawn one scoped thread per chunk, not one per element, and cut \
         the slice into len.div_ceil(threads) = 250-element chunks",
        seen.threads
    );
    assert_eq!(
        seen.elements, 1_000,
        "{function} handed work {} of the 1,000 elements: every element belongs to \
         exactly one chunk",
        seen.elements
    );
}

/// Each chunk meets the others at a rendezvous that opens only when all four
/// are being worked on at once; the log counts the threads that did it.
#[test]
fn map_chunks_runs_the_chunks_on_exactly_the_requested_threads_all_at_once() {
    let seen = watchdog(
        DEADLINE,
        &format!("map_chunks did not return: {ONE_BY_ONE}"),
        || {
            let data: Vec<u64> = (0..1_000).collect();
            let log = ThreadLog::new();
            let all_running = Rendezvous::with_deadline(4, CHUNK_WAIT, ONE_BY_ONE);
            let lengths = map_chunks(&data, 4, |chunk: &[u64]| {
                log.record();
                all_running.arrive();
                chunk.len()
            });
            Seen {
                threads: log.threads().len(),
                ran_on_caller: log.includes_current(),
                elements: lengths.iter().sum(),
            }
        },
    );
    check_four_threads("map_chunks", seen);
}

#[test]
fn update_chunks_runs_the_chunks_on_exactly_the_requested_threads_all_at_once() {
    let seen = watchdog(
        DEADLINE,
        &format!("update_chunks did not return: {ONE_BY_ONE}"),
        || {
            let mut data = vec![0_u64; 1_000];
            let log = ThreadLog::new();
            let all_running = Rendezvous::with_deadline(4, CHUNK_WAIT, ONE_BY_ONE);
            update_chunks(&mut data, 4, |chunk: &mut [u64]| {
                log.record();
                all_running.arrive();
                for x in chunk {
                    *x += 1;
                }
            });
            Seen {
                threads: log.threads().len(),
                ran_on_caller: log.includes_current(),
                elements: data.iter().sum::<u64>() as usize,
            }
        },
    );
    check_four_threads("update_chunks", seen);
}

#[test]
fn an_empty_slice_needs_no_thread_and_gives_no_results() {
    let outcome = watchdog(DEADLINE, "the empty slice never finished", || {
        panic::catch_unwind(|| {
            let calls = AtomicUsize::new(0);
            let results = map_chunks(&[] as &[u32], 4, |chunk: &[u32]| {
                calls.fetch_add(1, Relaxed);
                chunk.len()
            });
            let mut nothing: [u32; 0] = [];
            update_chunks(&mut nothing, 4, |_: &mut [u32]| {
                calls.fetch_add(1, Relaxed);
            });
            (results, calls.into_inner())
        })
    });
    let (results, calls) = outcome.unwrap_or_else(|payload| {
        panic!(
            "a call on an empty slice panicked (\"{}\"): len.div_ceil(threads) is 0 \
             there, and chunks(0) panics, so return early when the slice is empty",
            panic_text(&*payload)
        )
    });
    assert!(
        results.is_empty() && calls == 0,
        "an empty slice has no chunks, yet work ran {calls} times and map_chunks \
         returned {results:?}: return early, with no thread and no results"
    );
}
