//! The spec for chapter 7. Run with `cargo test -p channels`.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use channels::{as_completed, fan_in, pipeline};
use testkit::{DEADLINE, Rendezvous, ThreadLog, ThreadWatch, watchdog};

/// How long a test waits for tasks that must be in flight together.
const MEETING: Duration = Duration::from_secs(3);

const FAN_IN_STUCK: &str = "fan_in never returned, although every producer had \
    finished: the collector's loop ends only when every Sender is gone, and a \
    Sender is still alive. Is the original `tx` you cloned for the producers \
    still in scope? drop(tx) before collecting.";

const AS_COMPLETED_STUCK: &str = "iterating over the Receiver from as_completed \
    never ended: it ends only when every Sender is gone. Give each task's thread \
    its own clone of the Sender and let the original go out of scope when \
    as_completed returns.";

const PIPELINE_STUCK: &str = "pipeline never finished: the Receiver's loop ends \
    only when the producer's Sender is gone (move it into the producer thread), \
    and a producer blocked on a full sync_channel can only finish if you consume \
    before you join it.";

/// Producers that each send `count` numbers: producer `p` sends
/// `p * 1000 + i` for `i` in `0..count`, in that order.
fn numbered_producers(
    producers: u32,
    count: u32,
) -> Vec<impl FnOnce(Sender<u32>) + Send + 'static> {
    (0..producers)
        .map(move |p| {
            move |tx: Sender<u32>| {
                for i in 0..count {
                    tx.send(p * 1000 + i).expect(
                        "fan_in dropped its Receiver while a producer was still \
                         sending: keep receiving until every Sender is gone",
                    );
                }
            }
        })
        .collect()
}

#[test]
fn fan_in_returns_every_item_once() {
    let items = watchdog(DEADLINE, FAN_IN_STUCK, || {
        fan_in(numbered_producers(4, 250))
    });
    let mut sorted = items.clone();
    sorted.sort_unstable();
    let expected: Vec<u32> = (0..4)
        .flat_map(|p| (0..250).map(move |i| p * 1000 + i))
        .collect();
    assert_eq!(
        sorted.len(),
        expected.len(),
        "4 producers sent 250 items each, and fan_in returned {} items: collect \
         everything the Receiver yields, from every producer",
        sorted.len()
    );
    assert!(
        sorted == expected,
        "fan_in returned 1000 items, but not each of the 1000 sent exactly once: \
         collect from the one Receiver all producers share"
    );
    for p in 0..4 {
        let from_p: Vec<u32> =
            items.iter().copied().filter(|x| x / 1000 == p).collect();
        let sent: Vec<u32> = (0..250).map(|i| p * 1000 + i).collect();
        assert!(
            from_p == sent,
            "producer {p}'s items came back out of the order it sent them in: \
             return them in the order the Receiver yields them, without sorting \
             or regrouping"
        );
    }
}

#[test]
fn fan_in_ends_when_the_producers_send_nothing() {
    let none = watchdog(DEADLINE, FAN_IN_STUCK, || fan_in(numbered_producers(3, 0)));
    assert!(
        none.is_empty(),
        "three producers sent nothing, yet fan_in returned {none:?}"
    );
    let no_producers =
        watchdog(DEADLINE, FAN_IN_STUCK, || fan_in(numbered_producers(0, 10)));
    assert!(
        no_producers.is_empty(),
        "with no producers at all, fan_in returned {no_producers:?}"
    );
}

/// The producer sends its item only once the thread running fan_in has
/// stopped to wait for it (asleep in the kernel, as in `recv`). A collector
/// that takes what is in the channel right now and stops (`try_iter`,
/// `try_recv`) has found it empty and given up by then.
#[test]
fn fan_in_waits_for_a_producer_that_sends_late() {
    let items = watchdog(DEADLINE, FAN_IN_STUCK, || {
        let collector = ThreadWatch::this_thread();
        let late = move |tx: Sender<u32>| {
            collector.wait_until_asleep(Duration::from_secs(2));
            // The late item finds nobody listening if fan_in gave up early.
            let _ = tx.send(7);
        };
        fan_in(vec![late])
    });
    assert_eq!(
        items,
        [7],
        "the producer sent 7 once fan_in's thread had stopped to wait, and fan_in \
         returned {items:?}: keep receiving until every Sender is gone (rx.iter(), \
         or recv() in a loop); try_iter and try_recv stop at the first moment the \
         channel is empty, and do not wait for the producers"
    );
}

/// Every producer arrives at a rendezvous that opens only when all four are
/// in flight at the same moment: a fan_in that runs them one at a time fails
/// here with the rendezvous's message, whatever the machine's speed.
#[test]
fn fan_in_runs_every_producer_at_the_same_time() {
    let meeting = Arc::new(Rendezvous::with_deadline(
        4,
        MEETING,
        "fan_in must start every producer before it waits for any of them: is it \
         joining each producer's thread right after spawning it, or calling the \
         producers one after another?",
    ));
    let producers: Vec<_> = (0..4u32)
        .map(|p| {
            let meeting = Arc::clone(&meeting);
            move |tx: Sender<u32>| {
                meeting.arrive();
                tx.send(p).expect("fan_in dropped its Receiver too early");
            }
        })
        .collect();
    let mut items = watchdog(DEADLINE, FAN_IN_STUCK, || fan_in(producers));
    items.sort_unstable();
    assert_eq!(
        items,
        [0, 1, 2, 3],
        "four producers sent one item each while all four were running at once"
    );
}

type Producer = Box<dyn FnOnce(Sender<&'static str>) + Send>;

/// Two producers take turns through a handshake, so their items arrive in a
/// known order: a1, then b1, then a2. Collecting producer by producer (all of
/// a's items, then b's) would return a1, a2, b1.
#[test]
fn fan_in_keeps_the_order_items_arrived_in() {
    let (a_done, b_may_send) = mpsc::channel::<()>();
    let (b_done, a_may_send) = mpsc::channel::<()>();
    let a: Producer = Box::new(move |tx| {
        tx.send("a1")
            .expect("fan_in dropped its Receiver too early");
        a_done.send(()).expect("producer b is gone");
        a_may_send.recv_timeout(MEETING).expect(
            "producer a waited for producer b in vain: fan_in must run every \
             producer at the same time, not one after another",
        );
        tx.send("a2")
            .expect("fan_in dropped its Receiver too early");
    });
    let b: Producer = Box::new(move |tx| {
        b_may_send.recv_timeout(MEETING).expect(
            "producer b waited for producer a in vain: fan_in must run every \
             producer at the same time, not one after another",
        );
        tx.send("b1")
            .expect("fan_in dropped its Receiver too early");
        b_done.send(()).expect("producer a is gone");
    });
    let items = watchdog(DEADLINE, FAN_IN_STUCK, || fan_in(vec![a, b]));
    assert_eq!(
        items,
        ["a1", "b1", "a2"],
        "the items arrived as a1, b1, a2 (the producers took turns): fan_in must \
         return them in arrival order, from one channel shared by all producers, \
         not producer by producer"
    );
}

/// Producer 1 panics at once; producer 2 takes its time (it waits for a word
/// from the test that only comes after fan_in has returned, or else gives up
/// after a while). fan_in must pass the panic on, but only after producer 2
/// has finished too.
#[test]
fn a_panicking_producer_makes_fan_in_panic() {
    let finished = Arc::new(AtomicUsize::new(0));
    let (fan_in_returned, returned) = mpsc::channel::<()>();
    let returned = Arc::new(Mutex::new(returned));
    let producers: Vec<_> = (0..3u32)
        .map(|p| {
            let (finished, returned) =
                (Arc::clone(&finished), Arc::clone(&returned));
            move |tx: Sender<u32>| {
                if p == 1 {
                    panic!(
                        "producer 1 fails on purpose: this panic is part of the test"
                    );
                }
                if p == 2 {
                    let returned =
                        returned.lock().expect("only producer 2 locks it");
                    // A correct fan_in is still waiting for this producer, so
                    // the word never comes: this wait times out.
                    let _ = returned.recv_timeout(Duration::from_millis(200));
                }
                tx.send(p).expect("fan_in dropped its Receiver too early");
                finished.fetch_add(1, SeqCst);
            }
        })
        .collect();
    let outcome: Result<Vec<u32>, Box<dyn Any + Send>> =
        watchdog(DEADLINE, FAN_IN_STUCK, || {
            panic::catch_unwind(AssertUnwindSafe(|| fan_in(producers)))
        });
    let finished = finished.load(SeqCst);
    let _ = fan_in_returned.send(());
    assert_eq!(
        finished, 2,
        "fan_in returned while only {finished} of the 2 producers that do not \
         panic had run to the end: it must pass a producer's panic on only after \
         the others have finished, so collect until every Sender is gone and join \
         the producers after that, not before"
    );
    if let Ok(items) = outcome {
        panic!(
            "fan_in returned {items:?} as if nothing had happened, but producer 1 \
             panicked: keep the JoinHandles, join them after collecting and pass a \
             panic on (std::panic::resume_unwind), or use thread::scope, which \
             does that for you"
        );
    }
}

type Task = Box<dyn FnOnce() -> &'static str + Send>;

/// The slow task waits until the test has received the fast task's result,
/// so a Receiver that yields results in the order the tasks were given
/// cannot pass. If the slow task waits in vain (because `as_completed` only
/// returned after every task had finished), it gives up after a while and
/// says so.
#[test]
fn as_completed_hands_over_a_fast_result_before_a_slow_one() {
    let (open_gate, gate) = mpsc::channel::<()>();
    let waited_in_vain = Arc::new(AtomicBool::new(false));
    let slow: Task = {
        let waited_in_vain = Arc::clone(&waited_in_vain);
        Box::new(move || {
            if gate.recv_timeout(MEETING).is_err() {
                waited_in_vain.store(true, SeqCst);
            }
            "slow"
        })
    };
    let fast: Task = Box::new(|| "fast");
    let (first, rest) = watchdog(DEADLINE, AS_COMPLETED_STUCK, move || {
        let results = as_completed(vec![slow, fast]);
        let first = results.recv().expect(
            "the Receiver from as_completed closed before yielding any result: \
             each task's thread must send its result through a clone of the Sender",
        );
        // The slow task may be gone already; then there is nobody to tell.
        let _ = open_gate.send(());
        let rest: Vec<&str> = results.iter().collect();
        (first, rest)
    });
    assert_eq!(
        first, "fast",
        "the first result from as_completed was the slow task's, but the fast task \
         finished long before: each task should send its own result the moment it \
         finishes, not be joined in the order the tasks were given"
    );
    assert!(
        !waited_in_vain.load(SeqCst),
        "the slow task waited {MEETING:?} for the caller to see the fast task's \
         result, in vain: as_completed must return the Receiver at once, while the \
         tasks run, instead of waiting for them to finish"
    );
    assert_eq!(
        rest,
        ["slow"],
        "after the fast result, as_completed must yield the slow one and then end"
    );
}

#[test]
fn as_completed_runs_every_task_at_once_and_yields_each_result_once() {
    let meeting = Arc::new(Rendezvous::with_deadline(
        5,
        MEETING,
        "as_completed must start every task on a thread of its own before any \
         finishes: are the tasks run one after another?",
    ));
    let log = Arc::new(ThreadLog::new());
    let tasks: Vec<_> = (0..5u32)
        .map(|t| {
            let (meeting, log) = (Arc::clone(&meeting), Arc::clone(&log));
            move || {
                log.record();
                meeting.arrive();
                t
            }
        })
        .collect();
    let mut results = watchdog(DEADLINE, AS_COMPLETED_STUCK, || {
        as_completed(tasks).iter().collect::<Vec<u32>>()
    });
    results.sort_unstable();
    assert_eq!(
        results,
        [0, 1, 2, 3, 4],
        "as_completed must yield each of the 5 tasks' results exactly once, then end"
    );
    assert_eq!(
        log.threads().len(),
        5,
        "the 5 tasks ran on {} threads: start one thread per task",
        log.threads().len()
    );
}

#[test]
fn pipeline_returns_every_item_in_order() {
    for bound in [0, 1, 4] {
        let out = watchdog(DEADLINE, PIPELINE_STUCK, move || {
            pipeline(0..500u32, bound, |x| x * 3)
        });
        let expected: Vec<u32> = (0..500).map(|x| x * 3).collect();
        assert!(
            out == expected,
            "pipeline(0..500, bound {bound}, |x| x * 3) returned {} results, not \
             500 in the source's order: consume every item the Receiver yields, in \
             the order it yields them",
            out.len()
        );
    }
}

#[test]
fn pipeline_reads_the_source_on_a_thread_of_its_own() {
    let log = Arc::new(ThreadLog::new());
    let source = {
        let log = Arc::clone(&log);
        (0..50u32).inspect(move |_| log.record())
    };
    let (read_here, consumed) = watchdog(DEADLINE, PIPELINE_STUCK, move || {
        let consumed = pipeline(source, 2, |x| x).len();
        (log.includes_current(), consumed)
    });
    assert_eq!(
        consumed, 50,
        "pipeline must consume all 50 items of the source"
    );
    assert!(
        !read_here,
        "the source was read on the consumer's thread, so producing and consuming \
         took turns instead of overlapping: move the source into a producer thread \
         and send its items through the channel"
    );
}

/// The producer counts the items it made; the consumer counts the items it
/// took. With a channel of `bound` slots, the producer can be at most
/// `bound + 1` ahead: `bound` items queued and one in its hand, waiting to be
/// sent. On the first item, the consumer waits until the producer thread has
/// stopped running (it is blocked on the full channel, or it has finished), so
/// a producer without backpressure has all the time it needs to run ahead.
/// A bound of 0 is a channel that holds nothing: each item is handed over.
#[test]
fn the_producer_never_runs_more_than_the_bound_ahead() {
    for bound in [3, 0] {
        let worst =
            watchdog(DEADLINE, PIPELINE_STUCK, move || furthest_ahead(bound));
        assert!(
            worst >= 1,
            "the producer was never ahead of the consumer: run it on its own thread"
        );
    }
}

/// Runs a pipeline of 60 items with `bound` and returns how far the producer
/// was ahead at most; panics if it was ever further than `bound + 1`.
fn furthest_ahead(bound: usize) -> usize {
    let produced = Arc::new(AtomicUsize::new(0));
    let producer = Arc::new(Mutex::new(None::<ThreadWatch>));
    let source = {
        let (produced, producer) = (Arc::clone(&produced), Arc::clone(&producer));
        (0..60usize).inspect(move |&i| {
            if i == 0 {
                *producer.lock().expect("no other thread panics here") =
                    Some(ThreadWatch::this_thread());
            }
            produced.fetch_add(1, SeqCst);
        })
    };
    let mut taken = 0;
    let mut worst = 0;
    pipeline(source, bound, |item| {
        taken += 1;
        if taken == 1 {
            let producer = producer.lock().expect("no other thread panics here");
            if let Some(producer) = producer.as_ref() {
                // Asleep: blocked on the full channel, as far ahead as it can get.
                producer.wait_until_asleep(Duration::from_secs(2));
            }
        }
        let made = produced.load(SeqCst);
        let ahead = made - taken;
        let allowed = bound + 1;
        assert!(
            ahead != allowed + 1,
            "when the consumer took item number {taken}, the producer had already \
             made {made}: it ran {ahead} ahead with a bound of {bound}, one more \
             than the {bound} queued plus one in hand allowed. The channel holds \
             one item too many: pass `bound` itself to mpsc::sync_channel(bound), \
             0 included (a channel of 0 hands each item straight over)."
        );
        assert!(
            ahead <= allowed,
            "when the consumer took item number {taken}, the producer had already \
             made {made}: it ran {ahead} ahead with a bound of {bound}. There is \
             no backpressure: send() on an mpsc::channel() never waits. Use \
             mpsc::sync_channel(bound), whose send() waits while `bound` items are \
             queued, and consume each item as it arrives instead of collecting \
             them all first."
        );
        worst = worst.max(ahead);
        item
    });
    worst
}
