//! The spec for chapter 5. Run with `cargo test -p atomics`.
//!
//! A race does not lose updates every time: it needs two threads to meet at
//! the wrong moment. The tests make that moment happen in two ways. Some
//! start eight threads together (they meet at a rendezvous first) and keep
//! them on the same atomic long enough to overlap many times, a few rounds
//! over. Others stage the race step by step: another thread writes while
//! `update` is between its read and its write, every time. A correct
//! solution passes on any machine, however busy.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::thread;
use std::time::Duration;

use atomics::{Counter, Maximum, Published};
use testkit::{AbandonOnPanic, DEADLINE, Rendezvous, watchdog};

const THREADS: u64 = 8;
/// Rounds of the tests that wait for threads to meet by chance.
const ROUNDS: u64 = 3;

/// Starts `THREADS` scoped threads that meet before they run `work(k)`, so
/// that they hammer the shared value at the same time.
fn together(work: impl Fn(u64) + Sync) {
    let start = Rendezvous::new(
        THREADS as usize,
        "the test's own threads could not start together; is the machine \
         overloaded?",
    );
    thread::scope(|s| {
        for k in 0..THREADS {
            let (start, work) = (&start, &work);
            s.spawn(move || {
                start.arrive();
                work(k);
            });
        }
    });
}

#[test]
fn one_thread_counts_every_increment() {
    let counter = Counter::new();
    assert_eq!(counter.get(), 0, "a new counter starts at zero");
    for _ in 0..1_000 {
        counter.increment();
    }
    assert_eq!(
        counter.get(),
        1_000,
        "1,000 calls to increment on one thread should count 1,000: add exactly \
         one each time"
    );
}

/// 8 threads × 100,000 increments, ten rounds: a load followed by a store
/// loses thousands of them whenever two threads overlap. On a busy machine
/// the threads of one round may happen to run one after another; over ten
/// rounds they do not.
#[test]
fn eight_threads_lose_no_increment() {
    const PER_THREAD: u64 = 100_000;
    const ROUNDS: u64 = 10;
    watchdog(
        DEADLINE,
        "eight threads incrementing 100,000 times each never finished: does \
         increment wait for something?",
        || {
            for round in 1..=ROUNDS {
                let counter = Counter::new();
                together(|_| {
                    for _ in 0..PER_THREAD {
                        counter.increment();
                    }
                });
                let expected = THREADS * PER_THREAD;
                let total = counter.get();
                assert_eq!(
                    total,
                    expected,
                    "round {round}: 8 threads × 100,000 increments counted {total}, \
                     so {lost} updates were lost. A load followed by a store lets \
                     another thread's increment land in between and be \
                     overwritten: use one read-modify-write, fetch_add",
                    lost = expected as i128 - total as i128,
                );
            }
        },
    );
}

#[test]
fn the_maximum_of_one_thread_is_its_largest_value() {
    let max = Maximum::new();
    assert_eq!(max.get(), 0, "a new maximum starts at zero");
    for value in [3, 9, 4, 9, 1] {
        max.record(value);
    }
    assert_eq!(
        max.get(),
        9,
        "after recording 3, 9, 4, 9 and 1 the maximum is 9: record may only ever \
         raise the stored value, never lower it"
    );
}

/// The threads draw the values they record from a shared ticket counter, so
/// whichever threads are running at the moment hold the newest, largest
/// values and race each other to store them: nearly every call competes
/// with another thread's call to replace the same maximum. Right after
/// `record(v)` returns, `get()` must be at least `v`, because a correct
/// maximum never goes down.
#[test]
fn a_recorded_value_is_never_lost_under_contention() {
    const PER_THREAD: u64 = 50_000;
    watchdog(
        DEADLINE,
        "eight threads recording 50,000 values each never finished: does the \
         compare_exchange loop retry for ever when the stored value is already \
         larger? Stop as soon as it is at least your value, and after a failed \
         exchange retry from the value compare_exchange returns",
        || {
            for round in 1..=ROUNDS {
                let max = Maximum::new();
                let tickets = AtomicU64::new(0);
                let overtaken = AtomicU64::new(0);
                let example = AtomicU64::new(0);
                together(|_| {
                    for _ in 0..PER_THREAD {
                        let value = tickets.fetch_add(1, Relaxed) + 1;
                        max.record(value);
                        let now = max.get();
                        if now < value {
                            overtaken.fetch_add(1, Relaxed);
                            example.store(value << 32 | now, Relaxed);
                        }
                    }
                });
                let overtaken = overtaken.into_inner();
                let example = example.into_inner();
                assert_eq!(
                    overtaken,
                    0,
                    "round {round}: {overtaken} times, get() was below a value that \
                     record had just stored (for example {now} right after \
                     record({value}) returned). The maximum went down or record \
                     gave up: when compare_exchange fails it returns the value \
                     another thread stored; compare yours with that and try again \
                     while yours is larger (a loop, not a single attempt)",
                    value = example >> 32,
                    now = example & 0xFFFF_FFFF,
                );
                let largest = THREADS * PER_THREAD;
                assert_eq!(
                    max.get(),
                    largest,
                    "round {round}: the largest value recorded was {largest}, but \
                     get() says {got}: a record that lost a race must retry, not \
                     give up (a loop, not a single attempt)",
                    got = max.get(),
                );
            }
        },
    );
}

/// What the tests that stage a race say when `update` never returns.
const STUCK_IN_THE_LOOP: &str = "update or record never returned: does the \
     compare_exchange loop retry for ever? Stop when change(current) is None or the \
     exchange succeeds, and after a failed exchange retry from the value \
     compare_exchange returns (the old one will never match again)";

/// Runs `update(change)` on another thread and, while its `change` is
/// between reading the maximum and returning, records `meanwhile` here: the
/// moment a race would need, made to happen every time. Returns the values
/// `change` was called with.
fn update_interrupted_by(max: &Maximum, new: u64, meanwhile: u64) -> Vec<u64> {
    // Shorter than the watchdog's deadline, so that their messages win.
    let wait = Duration::from_secs(2);
    let has_read = Rendezvous::with_deadline(
        2,
        wait,
        "update never called `change` with the current value: load it and \
         pass it to change",
    );
    let interrupted =
        Rendezvous::with_deadline(2, wait, "the interrupting record never finished");
    let mut seen = Vec::new();
    thread::scope(|s| {
        s.spawn(|| {
            // If this thread panics (a todo!, say), the main thread stops
            // waiting for it at once.
            let _abandon = (AbandonOnPanic(&has_read), AbandonOnPanic(&interrupted));
            max.update(|current| {
                seen.push(current);
                if seen.len() == 1 {
                    has_read.arrive();
                    interrupted.arrive();
                }
                (new > current).then_some(new)
            });
        });
        let _abandon = AbandonOnPanic(&interrupted);
        has_read.arrive();
        max.record(meanwhile);
        interrupted.arrive();
    });
    seen
}

/// Another thread stores a smaller value after `update` read the maximum
/// but before it writes: its compare_exchange must fail, and it must try
/// again from the value now there.
#[test]
fn an_update_that_lost_a_race_tries_again() {
    let (seen, max) = watchdog(DEADLINE, STUCK_IN_THE_LOOP, || {
        let max = Maximum::new();
        let seen = update_interrupted_by(&max, 10, 5);
        (seen, max.get())
    });
    assert_eq!(
        max, 10,
        "update(10) read 0, then another thread recorded 5 before update wrote; \
         the maximum should end at 10 but is {max}. The compare_exchange from 0 \
         fails because the value is now 5: retry with the value it returns (a \
         loop, not a single attempt)"
    );
    assert_eq!(
        seen.first(),
        Some(&0),
        "update should call change with the value it read first, 0, but the calls \
         were {seen:?}"
    );
    assert!(
        seen.contains(&5),
        "after losing the race, update should call change again with the value \
         the other thread stored, 5, but the calls were {seen:?}: use the value \
         compare_exchange returns in Err"
    );
}

/// Another thread stores a larger value after `update` read the maximum but
/// before it writes: a plain store would bring the maximum down.
#[test]
fn an_update_never_overwrites_a_value_it_did_not_see() {
    let (seen, max) = watchdog(DEADLINE, STUCK_IN_THE_LOOP, || {
        let max = Maximum::new();
        let seen = update_interrupted_by(&max, 5, 10);
        (seen, max.get())
    });
    assert_eq!(
        max, 10,
        "update(5) read 0, then another thread recorded 10 before update wrote; \
         the maximum should stay 10 but is {max}, and change was called with \
         {seen:?} only: update overwrote a value it never saw. A load followed by \
         a store cannot tell that the value changed in between; \
         compare_exchange(current, new) can, and when it fails, call change again \
         with the value it returns instead of retrying the old answer"
    );
}

#[test]
fn nothing_is_read_before_it_is_published() {
    let published = Published::new();
    assert_eq!(
        published.read(),
        None,
        "read() before publish() must be None: check the ready flag first"
    );
}

#[test]
fn a_published_value_is_read_back() {
    let published = Published::new();
    published.publish(42);
    for _ in 0..2 {
        assert_eq!(
            published.read(),
            Some(42),
            "after publish(42), every read() returns Some(42): store the value, \
             then set the flag to true"
        );
    }
    let zero = Published::new();
    zero.publish(0);
    assert_eq!(
        zero.read(),
        Some(0),
        "after publish(0), read() must return Some(0): 0 is a value like any other, \
         so let the ready flag, not the value, say whether something was published"
    );
}

/// A writer publishes values one after another, each in its own
/// `Published`, while a reader on another thread reads each one, polling
/// until it appears. The writer pauses for at most a spin between values,
/// so the reader often reads a slot at the very moment the writer publishes
/// it. A reader that sees the flag must see the value written before it. A
/// flag raised before its value (or a value read before its flag) leaves a
/// window of a few instructions when it does not; it takes many tries to
/// land in it, so the test makes up to `ROUNDS × VALUES` of them, and stops
/// at the first miss. (A missing Release or Acquire alone cannot be seen on
/// x86, whose every store is a release and every load an acquire.)
#[test]
fn a_reader_that_sees_the_flag_sees_the_value() {
    const VALUES: usize = 20_000;
    const ROUNDS: usize = 100;
    watchdog(
        DEADLINE,
        "the reader never saw some published value: does publish set the flag \
         to true, and does read check it?",
        || {
            for round in 0..ROUNDS {
                // Rounds with and without a pause meet the window in
                // different ways; together they find it within a few.
                publish_and_read(VALUES, round % 2);
            }
        },
    );
}

fn publish_and_read(values: usize, pause: usize) {
    let slots: Vec<Published> = (0..values).map(|_| Published::new()).collect();
    let start = Rendezvous::new(
        2,
        "the writer and the reader could not start together; is the machine \
         overloaded?",
    );
    thread::scope(|s| {
        s.spawn(|| {
            start.arrive();
            for (i, slot) in slots.iter().enumerate() {
                for _ in 0..pause {
                    std::hint::spin_loop();
                }
                slot.publish(i as u64 + 1);
            }
        });
        s.spawn(|| {
            start.arrive();
            for (i, slot) in slots.iter().enumerate() {
                let mut polls = 0_u32;
                let seen = loop {
                    match slot.read() {
                        Some(value) => break value,
                        // Poll tightly while the writer is likely running;
                        // give way if it is not.
                        None if polls < 1_000 => std::hint::spin_loop(),
                        None => thread::yield_now(),
                    }
                    polls += 1;
                };
                assert_eq!(
                    seen,
                    i as u64 + 1,
                    "value {i}: read() returned Some({seen}) but {want} was \
                     published. The reader saw the flag before the value: in \
                     publish, store the value first and raise the flag after it \
                     (Release); in read, load the flag first (Acquire) and the \
                     value only after it",
                    want = i + 1,
                );
            }
        });
    });
}
