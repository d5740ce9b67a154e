//! The spec for chapter 10. Run with `cargo test -p with_rayon`.
//!
//! A sequential version of each function computes the same values, so the
//! tests also watch how the work ran. They hand your functions inputs whose
//! `as_ref`, `into` or `cmp` report which thread called them, or wait there
//! until several threads are inside at once. Each test runs on a rayon pool
//! of its own, of a known size, inside a watchdog.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::thread::{self, ThreadId};
use std::time::Duration;

use rayon::{ThreadPool, ThreadPoolBuilder};
use testkit::{Rendezvous, ThreadLog, watchdog};
use with_rayon::{
    CpuPool, SEQUENTIAL_CUTOFF, block_sums, parallel_sort, word_frequencies,
};

const WATCH: Duration = Duration::from_secs(5);

/// How long work waits for its partners before it reports that they were not
/// running alongside it.
const TOGETHER: Duration = Duration::from_millis(1_500);

/// A rayon pool for one test. The large stacks let a deeply recursive sort
/// fail by its slowness, with a message, instead of overflowing a stack.
fn pool_of(threads: usize) -> ThreadPool {
    ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(64 << 20)
        .build()
        .expect("could not build a rayon pool for the test")
}

/// A text that notes which thread reads it, and may wait there for others.
struct Text {
    words: String,
    log: Arc<ThreadLog>,
    meet: Option<Arc<Rendezvous>>,
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.log.record();
        if let Some(meet) = &self.meet {
            meet.arrive();
        }
        &self.words
    }
}

fn texts(
    n: usize,
    log: &Arc<ThreadLog>,
    meet: Option<&Arc<Rendezvous>>,
) -> Vec<Text> {
    (0..n)
        .map(|i| Text {
            words: format!("rayon splits work {}", ["evenly", "lazily"][i % 2]),
            log: Arc::clone(log),
            meet: meet.map(Arc::clone),
        })
        .collect()
}

fn counts(pairs: &[(&str, usize)]) -> HashMap<String, usize> {
    pairs.iter().map(|(w, n)| (w.to_string(), *n)).collect()
}

#[test]
fn word_frequencies_counts_every_word_of_every_text() {
    let (found, none, many) =
        watchdog(WATCH, "word_frequencies never returned", || {
            let texts = ["The cat sat.", "the CAT ran", "", "it's a cat's life"];
            let many = vec!["to be or not to be"; 1_000];
            (
                word_frequencies(&texts),
                word_frequencies::<&str>(&[]),
                word_frequencies(&many),
            )
        });
    let expected = counts(&[
        ("the", 2),
        ("cat", 2),
        ("sat", 1),
        ("ran", 1),
        ("it's", 1),
        ("a", 1),
        ("cat's", 1),
        ("life", 1),
    ]);
    assert_eq!(
        found, expected,
        "word_frequencies must add up the counts of every text: count each one \
         with count_words and combine the maps with add_counts"
    );
    assert!(
        none.is_empty(),
        "no texts have no words, but word_frequencies found {none:?}: the reduce's \
         identity is an empty HashMap"
    );
    assert_eq!(
        many,
        counts(&[("to", 2_000), ("be", 2_000), ("or", 1_000), ("not", 1_000)]),
        "1,000 copies of one text: every copy's counts must be added once"
    );
}

/// Four threads, eight texts: reading a text waits until four texts are being
/// read at once, which only happens if they are counted side by side.
#[test]
fn word_frequencies_counts_texts_side_by_side() {
    let found = watchdog(WATCH, "word_frequencies never returned", || {
        let log = Arc::new(ThreadLog::new());
        let meet = Arc::new(Rendezvous::with_deadline(
            4,
            TOGETHER,
            "The texts were counted one at a time: iterate with texts.par_iter(), \
             not .iter(), so that rayon counts them on all of its threads, and \
             count each text into a map of its own (count_words) instead of into \
             one map behind a shared lock, which the texts then wait for in turn.",
        ));
        let texts = texts(8, &log, Some(&meet));
        pool_of(4).install(|| word_frequencies(&texts))
    });
    assert_eq!(
        found,
        counts(&[
            ("rayon", 8),
            ("splits", 8),
            ("work", 8),
            ("evenly", 4),
            ("lazily", 4)
        ]),
        "word_frequencies must add up the counts of every text"
    );
}

/// A deterministic stream of numbers (xorshift), so a failure can be rerun.
fn random_values(n: usize, seed: u64) -> Vec<i64> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as i64
        })
        .collect()
}

/// Compares with the standard sort without printing a hundred thousand
/// numbers: names the first place where the two differ.
fn check_sorted(name: &str, input: &[i64], sorted_by_you: &[i64]) {
    let mut expected = input.to_vec();
    expected.sort();
    assert_eq!(
        sorted_by_you.len(),
        expected.len(),
        "{name}: the sort changed the number of elements"
    );
    if let Some(i) = (0..expected.len()).find(|&i| sorted_by_you[i] != expected[i]) {
        let window = i.saturating_sub(2)..(i + 3).min(expected.len());
        panic!(
            "{name} ({} elements): your sort does not match the standard sort from \
             index {i}: yours has {:?}, the standard sort {:?} there. Check the \
             split (split_at_mut(len / 2)), that both halves are sorted, and that \
             merge(left, right) is copied back into v",
            expected.len(),
            &sorted_by_you[window.clone()],
            &expected[window],
        );
    }
}

#[test]
fn the_sort_matches_the_standard_sort_on_random_inputs() {
    let c = SEQUENTIAL_CUTOFF;
    let lengths = [0, 1, 2, 3, 100, c - 1, c, c + 1, 2 * c + 3, 10_007, 100_000];
    let outcomes = watchdog(
        WATCH,
        "the sort of random inputs never finished: does the recursion stop at \
         SEQUENTIAL_CUTOFF, and does each call split its slice in two?",
        move || {
            let pool = pool_of(4);
            lengths
                .iter()
                .enumerate()
                .map(|(i, &n)| {
                    let input = random_values(n, 0x5EED + i as u64);
                    let mut v = input.clone();
                    pool.install(|| parallel_sort(&mut v));
                    (format!("random input {i}"), input, v)
                })
                .collect::<Vec<_>>()
        },
    );
    for (name, input, sorted_by_you) in outcomes {
        check_sorted(&name, &input, &sorted_by_you);
    }
}

/// Inputs that have broken many hand-written sorts: already sorted, reversed,
/// all equal, few distinct values, and the extremes of the type. A quicksort
/// that always picks the first element as its pivot takes quadratic time on
/// the first two, which the watchdog turns into a message.
#[test]
fn the_sort_matches_the_standard_sort_on_adversarial_inputs() {
    let n = 50_000_i64;
    let inputs: Vec<(&str, Vec<i64>)> = vec![
        ("already sorted", (0..n).collect()),
        ("reversed", (0..n).rev().collect()),
        ("all equal", vec![7; n as usize]),
        ("two values", (0..n).map(|i| i % 2).collect()),
        (
            "organ pipe",
            (0..n).map(|i| n / 2 - (i - n / 2).abs()).collect(),
        ),
        ("sawtooth", (0..n).map(|i| i % 1_000).collect()),
        (
            "sorted, then one small",
            (0..n).map(|i| if i == n - 1 { -1 } else { i }).collect(),
        ),
        (
            "extremes",
            (0..n)
                .map(|i| [i64::MAX, i64::MIN, 0, -1][(i % 4) as usize])
                .collect(),
        ),
    ];
    let outcomes = watchdog(
        WATCH,
        "the sort of sorted, reversed or repetitive input took more than 5 s: a \
         quicksort whose pivot is the first element is quadratic on such input; \
         this chapter's sort splits each slice in the middle and merges",
        move || {
            let pool = pool_of(4);
            inputs
                .into_iter()
                .map(|(name, input)| {
                    let mut v = input.clone();
                    pool.install(|| parallel_sort(&mut v));
                    (name, input, v)
                })
                .collect::<Vec<_>>()
        },
    );
    for (name, input, sorted_by_you) in outcomes {
        check_sorted(name, &input, &sorted_by_you);
    }
}

/// An element whose comparisons wait (once) until two threads compare at the
/// same moment: a sort that never hands half of its work to another thread
/// cannot get past its first comparison.
#[derive(Debug, Clone, Copy)]
struct Key {
    value: u32,
    meet: &'static Rendezvous,
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        self.meet.arrive();
        self.value.cmp(&other.value)
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl Eq for Key {}

#[test]
fn the_sort_compares_on_several_threads_at_once() {
    let sorted = watchdog(WATCH, "parallel_sort never returned", || {
        // Leaked: the keys are `Copy`, so they hold a plain reference.
        let meet: &'static Rendezvous = Box::leak(Box::new(
            Rendezvous::with_deadline(
                2,
                TOGETHER,
                "parallel_sort compared on one thread only: sort the two halves inside \
             rayon::join, so that an idle thread can take one of them",
            ),
        ));
        let mut keys: Vec<Key> = random_values(10 * SEQUENTIAL_CUTOFF, 42)
            .into_iter()
            .map(|x| Key {
                value: x as u32,
                meet,
            })
            .collect();
        pool_of(4).install(|| parallel_sort(&mut keys));
        keys.iter().map(|k| k.value).collect::<Vec<u32>>()
    });
    assert!(
        sorted.windows(2).all(|w| w[0] <= w[1]),
        "parallel_sort must leave the keys in ascending order"
    );
}

/// A slice below the cut-off, sorted from a thread outside any rayon pool:
/// every comparison must happen on that thread. A sort that calls
/// `rayon::join` for it hands the halves to rayon's global pool instead.
#[test]
fn a_short_slice_is_sorted_on_the_calling_thread() {
    let (compared_on, caller, sorted) =
        watchdog(WATCH, "parallel_sort never returned", || {
            let log: &'static ThreadLog = Box::leak(Box::new(ThreadLog::new()));
            let mut keys: Vec<Logged> = random_values(SEQUENTIAL_CUTOFF / 2, 11)
                .into_iter()
                .map(|value| Logged { value, log })
                .collect();
            parallel_sort(&mut keys);
            let sorted = keys.windows(2).all(|w| w[0].value <= w[1].value);
            (log.threads(), thread::current().id(), sorted)
        });
    assert!(
        sorted,
        "parallel_sort must leave the keys in ascending order"
    );
    assert!(
        compared_on.iter().all(|&thread| thread == caller),
        "parallel_sort of {} elements, fewer than SEQUENTIAL_CUTOFF, compared on \
         {} threads: below the cut-off, sort on the current thread with v.sort(). \
         A recursion that splits down to single elements pays a join and an \
         allocation per element, far more than the sorting itself",
        SEQUENTIAL_CUTOFF / 2,
        compared_on.len()
    );
}

#[test]
fn block_sums_add_up_each_block_in_order() {
    let outcomes = watchdog(WATCH, "block_sums never returned", || {
        let data: Vec<u32> = (0..1_000).collect();
        let bytes: Vec<u8> = (0..=255).collect();
        let pool = pool_of(4);
        pool.install(|| {
            (
                block_sums(&data, 64),
                block_sums(&data, 1),
                block_sums(&data, 5_000),
                block_sums::<u32>(&[], 8),
                block_sums(&bytes, 100),
                block_sums(&[u32::MAX; 4], 4),
            )
        })
    });
    let (by_64, by_1, one_block, empty, bytes, large) = outcomes;
    let data: Vec<u64> = (0..1_000).collect();
    let expected: Vec<u64> = data.chunks(64).map(|c| c.iter().sum()).collect();
    assert_eq!(
        by_64, expected,
        "blocks of 64 over 0..1000: 16 sums, in order, the last of the 40 leftover \
         elements: use par_chunks(block) and collect, which keeps the order"
    );
    assert_eq!(by_1, data, "blocks of 1 are the elements themselves");
    assert_eq!(
        one_block,
        [499_500],
        "a block longer than the data is one block"
    );
    assert!(empty.is_empty(), "no data has no blocks, not {empty:?}");
    assert_eq!(
        bytes,
        [4_950, 14_950, 12_740],
        "bytes 0..=255 in blocks of 100"
    );
    assert_eq!(
        large,
        [4 * u64::from(u32::MAX)],
        "convert each element to u64 before adding, or the sum overflows"
    );
}

/// An element that waits (once) until four blocks are being summed at once.
#[derive(Debug, Clone, Copy)]
struct Reading {
    value: u32,
    meet: &'static Rendezvous,
}

impl From<Reading> for u64 {
    fn from(reading: Reading) -> u64 {
        reading.meet.arrive();
        u64::from(reading.value)
    }
}

#[test]
fn block_sums_adds_blocks_side_by_side() {
    let sums = watchdog(WATCH, "block_sums never returned", || {
        let meet: &'static Rendezvous = Box::leak(Box::new(
            Rendezvous::with_deadline(
                4,
                TOGETHER,
                "the blocks were summed one at a time: use data.par_chunks(block), not \
             .chunks(block), so that rayon sums them on all of its threads",
            ),
        ));
        let data: Vec<Reading> =
            (0..32).map(|value| Reading { value, meet }).collect();
        pool_of(4).install(|| block_sums(&data, 8))
    });
    assert_eq!(sums, [28, 92, 156, 220], "the sums of 0..32 in blocks of 8");
}

fn global_pool_threads() -> HashSet<ThreadId> {
    rayon::broadcast(|_| thread::current().id())
        .into_iter()
        .collect()
}

/// A text that notes the size of the rayon pool that reads it.
struct SizedText {
    log: Arc<ThreadLog>,
    sizes: Arc<std::sync::Mutex<HashSet<usize>>>,
}

impl AsRef<str> for SizedText {
    fn as_ref(&self) -> &str {
        self.log.record();
        self.sizes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(rayon::current_num_threads());
        "how big is this pool"
    }
}

/// Which threads read a few texts on `cpu`, and the sizes of the pools they
/// belonged to.
fn pool_seen_by(cpu: &CpuPool) -> (HashSet<ThreadId>, HashSet<usize>) {
    let log = Arc::new(ThreadLog::new());
    let sizes = Arc::default();
    let texts: Vec<SizedText> = (0..6)
        .map(|_| SizedText {
            log: Arc::clone(&log),
            sizes: Arc::clone(&sizes),
        })
        .collect();
    cpu.word_frequencies(&texts);
    let sizes = sizes
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    (log.threads(), sizes)
}

/// Twelve texts on a `CpuPool` of three: reading a text waits until three are
/// being read at once, and notes the thread. The threads must be the pool's
/// three, and none of rayon's global pool. A first, quick call asks the pool
/// its size, so that a pool of the default size fails on any machine.
#[test]
fn a_cpu_pool_runs_its_work_on_its_own_threads_only() {
    let (threads, global, on_caller, found) = watchdog(
        WATCH,
        "CpuPool::word_frequencies never returned",
        || {
            let global = global_pool_threads();
            let cpu = CpuPool::new(3);
            let (read_on, sizes) = pool_seen_by(&cpu);
            assert!(
                read_on.is_disjoint(&global),
                "CpuPool::word_frequencies ran on rayon's global pool: run it inside \
                 self.pool.install(...), otherwise par_iter uses the global pool"
            );
            assert!(
                sizes.iter().all(|&size| size == 3),
                "CpuPool::new(3) ran the work on a rayon pool of {sizes:?} threads: \
                 build it with ThreadPoolBuilder::new().num_threads(threads); \
                 without num_threads, rayon starts one thread per core"
            );
            let log = Arc::new(ThreadLog::new());
            let meet = Arc::new(Rendezvous::with_deadline(
                3,
                TOGETHER,
                "CpuPool::new(3) did not count texts on three threads at once: run \
                 the work inside self.pool.install(...), on a pool built with \
                 num_threads(threads). (If word_frequencies_counts_texts_side_by_side \
                 fails too, fix word_frequencies first.)",
            ));
            let found = cpu.word_frequencies(&texts(12, &log, Some(&meet)));
            (log.threads(), global, log.includes_current(), found)
        },
    );
    assert_eq!(
        found,
        counts(&[
            ("rayon", 12),
            ("splits", 12),
            ("work", 12),
            ("evenly", 6),
            ("lazily", 6)
        ]),
        "CpuPool::word_frequencies must count like word_frequencies"
    );
    assert!(
        !on_caller,
        "some texts were counted on the calling thread: run the work inside \
         self.pool.install(...), which moves it onto the pool"
    );
    assert!(
        threads.is_disjoint(&global),
        "the work ran on rayon's global pool: run it inside self.pool.install(...), \
         otherwise par_iter uses the global pool"
    );
    assert_eq!(
        threads.len(),
        3,
        "CpuPool::new(3) counted texts on {} threads: build it with \
         ThreadPoolBuilder::new().num_threads(threads)",
        threads.len()
    );
}

/// A sort key that notes the thread of every comparison.
#[derive(Debug, Clone, Copy)]
struct Logged {
    value: i64,
    log: &'static ThreadLog,
}

impl Ord for Logged {
    fn cmp(&self, other: &Self) -> Ordering {
        self.log.record();
        self.value.cmp(&other.value)
    }
}

impl PartialOrd for Logged {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Logged {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl Eq for Logged {}

/// Two calls on one `CpuPool` of three: a count and a sort. Together they
/// must have run on the same three threads.
#[test]
fn a_cpu_pool_reuses_its_threads_on_every_call() {
    let (counted_on, sorted_on, sorted) = watchdog(
        WATCH,
        "the CpuPool's calls never returned",
        || {
            let global = global_pool_threads();
            let cpu = CpuPool::new(3);
            let log = Arc::new(ThreadLog::new());
            let meet = Arc::new(Rendezvous::with_deadline(
                3,
                TOGETHER,
                "CpuPool::new(3) did not count texts on three threads at once: run \
                 the work inside self.pool.install(...), on a pool built with \
                 num_threads(threads). (If word_frequencies_counts_texts_side_by_side \
                 fails too, fix word_frequencies first.)",
            ));
            cpu.word_frequencies(&texts(6, &log, Some(&meet)));
            let sort_log: &'static ThreadLog = Box::leak(Box::new(ThreadLog::new()));
            let mut keys: Vec<Logged> = random_values(3 * SEQUENTIAL_CUTOFF, 7)
                .into_iter()
                .map(|value| Logged {
                    value,
                    log: sort_log,
                })
                .collect();
            cpu.sort(&mut keys);
            let sorted = keys.windows(2).all(|w| w[0].value <= w[1].value);
            assert!(
                sort_log.threads().is_disjoint(&global),
                "CpuPool::sort ran on rayon's global pool: wrap its call in \
                 self.pool.install(...) too, like word_frequencies"
            );
            (log.threads(), sort_log.threads(), sorted)
        },
    );
    assert!(
        sorted,
        "CpuPool::sort must leave the keys in ascending order"
    );
    let all: HashSet<ThreadId> = counted_on.union(&sorted_on).copied().collect();
    assert!(
        sorted_on.is_subset(&counted_on) && all.len() == 3,
        "two calls on one CpuPool::new(3) ran on {} different threads: build the \
         rayon ThreadPool once, in new(), and install into it on every call. A \
         ThreadPool per call starts fresh threads every time, and pays for it",
        all.len()
    );
}
