//! The spec for chapter 6's bounded queue. Run with `cargo test -p locks`.
//!
//! A blocking queue's mistakes hide in its waiting: a push that does not
//! wait, a wake-up nobody sends, a woken thread that does not look again, a
//! wait that spins. Each test puts threads in a known state (blocked on a
//! full queue, blocked on an empty one) and checks what they do next. Where
//! a test must show that something does *not* happen (a push returning
//! while the queue is full), it watches for a while: a correct queue never
//! does it, however long one watches, so a busy machine cannot fail it.

use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use cpu_time::ThreadTime;
use locks::BoundedQueue;
use testkit::{DEADLINE, watchdog};

/// How long a test watches for something a correct queue never does.
const WATCH: Duration = Duration::from_millis(200);
/// How long a test waits for something a correct queue does at once. Shorter
/// than the watchdog's deadline, so that the test's own message is shown.
const PATIENCE: Duration = Duration::from_secs(3);
/// Time for freshly started threads to reach their wait inside the queue.
const SETTLE: Duration = Duration::from_millis(100);

/// Runs `f` on a new thread and returns a receiver for its result.
fn spawn<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> mpsc::Receiver<T> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx
}

#[test]
fn items_come_out_in_the_order_they_went_in() {
    let popped = watchdog(
        DEADLINE,
        "pushing 3 items into a queue of capacity 4, then popping them, never \
         finished: push must not wait while there is room, nor pop while there \
         are items",
        || {
            let queue = BoundedQueue::new(4);
            for item in 1..=3 {
                assert_eq!(
                    queue.push(item),
                    Ok(()),
                    "push({item}) into an open queue with room must return Ok(())"
                );
            }
            assert_eq!(queue.len(), 3, "3 items pushed, none popped: len() is 3");
            (0..3).map(|_| queue.pop()).collect::<Vec<_>>()
        },
    );
    assert_eq!(
        popped,
        [Some(1), Some(2), Some(3)],
        "a queue is first in, first out: push_back at one end, pop_front at the \
         other"
    );
}

#[test]
fn push_waits_while_the_queue_is_full_and_resumes_when_space_appears() {
    watchdog(
        DEADLINE,
        "filling a queue of capacity 2 never finished: push must wait only while \
         the queue holds `capacity` items",
        || {
            let queue = Arc::new(BoundedQueue::new(2));
            for item in [1, 2] {
                assert_eq!(queue.push(item), Ok(()), "push({item}) with room is Ok");
            }
            let producer = {
                let queue = Arc::clone(&queue);
                spawn(move || queue.push(3))
            };
            if let Ok(result) = producer.recv_timeout(WATCH) {
                panic!(
                    "push(3) returned {result:?} while the queue held 2 items of \
                     capacity 2 and nobody popped: push must wait while the queue is \
                     full, that is while len() >= capacity (is the queue unbounded?)"
                );
            }
            assert_eq!(queue.pop(), Some(1), "the first item in is the first out");
            match producer.recv_timeout(PATIENCE) {
                Ok(result) => {
                    assert_eq!(result, Ok(()), "push(3) into an open queue is Ok")
                }
                Err(_) => panic!(
                    "pop made room, but the producer waiting in push(3) never \
                     resumed: after taking an item, pop must notify_one on not_full"
                ),
            }
            assert_eq!(queue.pop(), Some(2), "items leave in the order they came");
            assert_eq!(queue.pop(), Some(3), "items leave in the order they came");
        },
    );
}

#[test]
fn pop_waits_while_the_queue_is_empty_and_resumes_when_an_item_arrives() {
    watchdog(
        DEADLINE,
        "a pop on an empty queue, then a push, never finished",
        || {
            let queue = Arc::new(BoundedQueue::new(2));
            let consumer = {
                let queue = Arc::clone(&queue);
                spawn(move || queue.pop())
            };
            if let Ok(item) = consumer.recv_timeout(WATCH) {
                panic!(
                    "pop returned {item:?} from an empty queue that is still open: it \
                     must wait until an item arrives or the queue is closed"
                );
            }
            assert_eq!(queue.push(7), Ok(()), "push into an empty queue is Ok");
            match consumer.recv_timeout(PATIENCE) {
                Ok(item) => {
                    assert_eq!(item, Some(7), "the waiting pop takes the item")
                }
                Err(_) => panic!(
                    "an item arrived, but the consumer waiting in pop never woke: \
                     after adding an item, push must notify_one on not_empty"
                ),
            }
        },
    );
}

#[test]
fn the_capacity_is_never_exceeded() {
    const CAPACITY: usize = 5;
    watchdog(
        DEADLINE,
        "three producers filling a queue of capacity 5 never finished",
        || {
            let queue = Arc::new(BoundedQueue::new(CAPACITY));
            let (returned, results) = mpsc::channel();
            for producer in 0..3 {
                let (queue, returned) = (Arc::clone(&queue), returned.clone());
                thread::spawn(move || {
                    for i in 0..4 {
                        let _ = returned.send(queue.push(producer * 10 + i).is_ok());
                    }
                });
            }
            for k in 0..CAPACITY {
                results.recv_timeout(PATIENCE).unwrap_or_else(|_| {
                    panic!(
                        "only {k} of the first 5 pushes into an empty queue of \
                         capacity 5 returned: push must wait only while the queue \
                         is full"
                    )
                });
            }
            if results.recv_timeout(WATCH).is_ok() {
                panic!(
                    "a 6th push returned on a queue of capacity 5 while nobody popped \
                     (len() is now {}): push must wait while the queue is full, that \
                     is while len() >= capacity (is the queue unbounded?)",
                    queue.len()
                );
            }
            assert_eq!(
                queue.len(),
                CAPACITY,
                "5 pushes returned and nobody popped, so len() must be 5"
            );
            // Release the seven waiting pushes, so the producers can end.
            queue.close();
            for _ in 0..7 {
                let ok = results.recv_timeout(PATIENCE).unwrap_or_else(|_| {
                    panic!(
                        "close did not release the producers waiting in push: wake \
                         every waiter (notify_all on not_full), and let push stop \
                         waiting once the queue is closed (wait while full and open)"
                    )
                });
                assert!(
                    !ok,
                    "a push that was waiting when the queue closed must return \
                     Err(item), not Ok: the item was never added"
                );
            }
        },
    );
}

/// Four producers and four consumers pass 8,000 items through a queue of
/// capacity 2, so nearly every call waits and every wake-up races another
/// thread for the lock. Every item must come out exactly once, no pop may
/// return `None` before `close`, and `len()` may never exceed 2.
#[test]
fn no_item_is_lost_or_duplicated_with_four_producers_and_four_consumers() {
    const CAPACITY: usize = 2;
    const PRODUCERS: usize = 4;
    const PER_PRODUCER: usize = 2_000;
    watchdog(
        DEADLINE,
        "four producers and four consumers never finished: a wake-up was lost, \
         or the consumers stopped early (pop returned None on an open queue, \
         check while, not if, around wait)",
        || {
            let queue = Arc::new(BoundedQueue::new(CAPACITY));
            let closing = Arc::new(AtomicBool::new(false));
            let early_none = Arc::new(AtomicUsize::new(0));
            let most_seen = Arc::new(AtomicUsize::new(0));
            let producers: Vec<_> = (0..PRODUCERS)
                .map(|p| {
                    let (queue, most_seen) =
                        (Arc::clone(&queue), Arc::clone(&most_seen));
                    spawn(move || {
                        for i in 0..PER_PRODUCER {
                            assert_eq!(
                                queue.push(p * PER_PRODUCER + i),
                                Ok(()),
                                "push into an open queue must return Ok"
                            );
                            most_seen.fetch_max(queue.len(), SeqCst);
                        }
                    })
                })
                .collect();
            let consumers: Vec<_> = (0..4)
                .map(|_| {
                    let queue = Arc::clone(&queue);
                    let (closing, early_none) =
                        (Arc::clone(&closing), Arc::clone(&early_none));
                    let most_seen = Arc::clone(&most_seen);
                    spawn(move || {
                        let mut got = Vec::new();
                        while let Some(item) = queue.pop() {
                            got.push(item);
                            most_seen.fetch_max(queue.len(), SeqCst);
                        }
                        if !closing.load(SeqCst) {
                            early_none.fetch_add(1, SeqCst);
                        }
                        got
                    })
                })
                .collect();
            let early = || early_none.load(SeqCst);
            for producer in &producers {
                if producer.recv_timeout(PATIENCE).is_err() {
                    panic!(
                        "the producers never finished. {} of 4 consumers had stopped: \
                         their pop returned None although the queue was open. A \
                         thread woken from wait must check the condition again, in a \
                         while loop, not an if (another thread may have taken the \
                         item first); and every push and pop must notify the other \
                         side",
                        early()
                    );
                }
            }
            closing.store(true, SeqCst);
            queue.close();
            let mut all: Vec<usize> = Vec::new();
            for consumer in &consumers {
                let got = consumer.recv_timeout(PATIENCE).unwrap_or_else(|_| {
                    panic!(
                        "after close, a consumer was still waiting in pop: close must \
                         wake every waiter (notify_all)"
                    )
                });
                all.extend(got);
            }
            assert_eq!(
                early(),
                0,
                "{} consumers' pop returned None before the queue was closed: a \
                 thread woken from wait found the queue empty (another consumer took \
                 the item first) and did not wait again. Check the condition in a \
                 while loop around wait, not an if",
                early()
            );
            let most = most_seen.load(SeqCst);
            assert!(
                most <= CAPACITY,
                "len() was {most} on a queue of capacity {CAPACITY}: push must wait \
                 while the queue is full, and check again after waking (while, not \
                 if)"
            );
            let total = PRODUCERS * PER_PRODUCER;
            all.sort_unstable();
            let mut unique = all.clone();
            unique.dedup();
            assert_eq!(
                (all.len(), unique.len()),
                (total, total),
                "{total} items were pushed; the consumers got {} of which {} distinct: \
                 every item must come out exactly once",
                all.len(),
                unique.len()
            );
        },
    );
}

/// A consumer waits on an empty queue. The test pushes one item and at once
/// pops it back itself, usually before the woken consumer gets the lock, so
/// the consumer wakes to an empty queue. It must wait again, and take the
/// next item. (When the consumer wins the race instead, the round proves
/// nothing and another is played.)
#[test]
fn a_consumer_that_wakes_to_an_empty_queue_waits_again() {
    watchdog(
        DEADLINE,
        "a consumer woken to an empty queue never took the next item",
        || {
            let mut conclusive = 0;
            for _ in 0..8 {
                if conclusive == 2 {
                    break;
                }
                let queue = Arc::new(BoundedQueue::new(4));
                let consumer = {
                    let queue = Arc::clone(&queue);
                    spawn(move || {
                        let got = queue.pop();
                        if got == Some(1) {
                            // It won the race: let the test's own pop finish.
                            let _ = queue.push(99);
                        }
                        got
                    })
                };
                thread::sleep(SETTLE);
                assert_eq!(queue.push(1), Ok(()), "push into an empty queue is Ok");
                if queue.pop() != Some(1) {
                    continue; // the consumer took item 1 first
                }
                conclusive += 1;
                match consumer.recv_timeout(SETTLE) {
                    Ok(item) => panic!(
                        "pop returned {item:?} from an open queue that was empty when \
                         its thread woke up (another thread had taken the item): \
                         check the condition again after every wait, in a while \
                         loop, not an if"
                    ),
                    Err(RecvTimeoutError::Disconnected) => panic!(
                        "the consumer panicked when it woke to an empty queue (another \
                         thread had taken the item): check the condition again after \
                         every wait, in a while loop, not an if"
                    ),
                    Err(RecvTimeoutError::Timeout) => {}
                }
                assert_eq!(queue.push(2), Ok(()), "push into an empty queue is Ok");
                match consumer.recv_timeout(PATIENCE) {
                    Ok(item) => assert_eq!(
                        item,
                        Some(2),
                        "the waiting consumer should take the next item, 2: check \
                         the condition in a while loop, not an if"
                    ),
                    Err(_) => panic!(
                        "the consumer never took item 2: push must notify_one on \
                         not_empty"
                    ),
                }
            }
        },
    );
}

#[test]
fn close_wakes_every_consumer_waiting_in_pop() {
    const CONSUMERS: usize = 4;
    watchdog(
        DEADLINE,
        "closing a queue with consumers waiting never finished",
        || {
            let queue = Arc::new(BoundedQueue::<u32>::new(2));
            let (returned, results) = mpsc::channel();
            for _ in 0..CONSUMERS {
                let (queue, returned) = (Arc::clone(&queue), returned.clone());
                thread::spawn(move || {
                    let _ = returned.send(queue.pop());
                });
            }
            thread::sleep(SETTLE);
            queue.close();
            for k in 0..CONSUMERS {
                let item = results.recv_timeout(PATIENCE).unwrap_or_else(|_| {
                    panic!(
                        "close woke only {k} of the {CONSUMERS} consumers waiting in \
                         pop: wake every waiter (notify_all), not one (notify_one), \
                         and let pop stop waiting once the queue is closed (wait \
                         while empty and open)"
                    )
                });
                assert_eq!(item, None, "pop on a closed, empty queue returns None");
            }
        },
    );
}

#[test]
fn close_wakes_every_producer_waiting_in_push() {
    const PRODUCERS: u32 = 3;
    watchdog(
        DEADLINE,
        "closing a full queue with producers waiting never finished",
        || {
            let queue = Arc::new(BoundedQueue::new(1));
            assert_eq!(queue.push(0), Ok(()), "push into an empty queue is Ok");
            let (returned, results) = mpsc::channel();
            for item in 1..=PRODUCERS {
                let (queue, returned) = (Arc::clone(&queue), returned.clone());
                thread::spawn(move || {
                    let _ = returned.send((item, queue.push(item)));
                });
            }
            thread::sleep(SETTLE);
            queue.close();
            for k in 0..PRODUCERS {
                let (item, result) = results.recv_timeout(PATIENCE).unwrap_or_else(|_| {
                    panic!(
                        "close woke only {k} of the {PRODUCERS} producers waiting in \
                         push: wake every waiter on not_full as well as on not_empty \
                         (notify_all, not notify_one), and let push stop waiting once \
                         the queue is closed (wait while full and open)"
                    )
                });
                assert_eq!(
                    result,
                    Err(item),
                    "a push waiting on a full queue that closes must give its item \
                     back as Err(item)"
                );
            }
            assert_eq!(
                queue.pop(),
                Some(0),
                "a closed queue still hands out the items it holds"
            );
            assert_eq!(queue.pop(), None, "a closed, drained queue returns None");
        },
    );
}

#[test]
fn a_closed_queue_hands_out_what_is_left_then_none() {
    let (refused, popped) = watchdog(
        DEADLINE,
        "push or pop on a closed queue never returned: a closed queue must not \
         wait",
        || {
            let queue = BoundedQueue::new(4);
            for item in [1, 2] {
                assert_eq!(queue.push(item), Ok(()), "push({item}) with room is Ok");
            }
            queue.close();
            let refused = queue.push(3);
            let popped: Vec<_> = (0..4).map(|_| queue.pop()).collect();
            (refused, popped)
        },
    );
    assert_eq!(
        refused,
        Err(3),
        "push on a closed queue must return Err(item), handing the item back"
    );
    assert_eq!(
        popped,
        [Some(1), Some(2), None, None],
        "after close, pop first drains the items still in the queue, then returns \
         None for ever: check for an item before checking for closed"
    );
}

/// How many times the calling thread has been taken off a CPU so far, for
/// any reason, where the system tells (Linux); `None` elsewhere.
fn context_switches() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/thread-self/status").ok()?;
    let counts: Vec<u64> = status
        .lines()
        .filter(|line| line.contains("ctxt_switches:"))
        .filter_map(|line| line.split(':').nth(1)?.trim().parse().ok())
        .collect();
    (counts.len() == 2).then(|| counts.iter().sum())
}

/// What one waiting thread measured about itself while it waited.
struct Waited {
    what: &'static str,
    wall: Duration,
    cpu: Duration,
    switches: Option<u64>,
}

/// A consumer waits on an empty queue and a producer on a full one, each
/// for 300 ms, and each measures itself meanwhile: its CPU time, and how
/// often it was switched off and on a CPU. Sleeping in `Condvar::wait` costs
/// microseconds and one switch. A loop that keeps checking the queue either
/// uses much of the 300 ms of CPU (on an idle core) or, when it yields or
/// sleeps between checks, is switched hundreds of times. Neither depends on
/// how busy the machine is.
#[test]
fn waiting_does_not_burn_cpu() {
    const BLOCKED: Duration = Duration::from_millis(300);
    let measured = watchdog(
        DEADLINE,
        "a consumer on an empty queue and a producer on a full one never both \
         finished after the test pushed and popped",
        || {
            let empty = Arc::new(BoundedQueue::new(1));
            let full = Arc::new(BoundedQueue::new(1));
            assert_eq!(full.push(0), Ok(()), "push into an empty queue is Ok");
            let measure = |what: &'static str, wait: Box<dyn FnOnce() + Send>| {
                spawn(move || {
                    let switches = context_switches();
                    let (cpu, wall) = (ThreadTime::now(), Instant::now());
                    wait();
                    let (cpu, wall) = (cpu.elapsed(), wall.elapsed());
                    let switches =
                        switches.zip(context_switches()).map(|(a, b)| b - a);
                    Waited {
                        what,
                        wall,
                        cpu,
                        switches,
                    }
                })
            };
            let consumer = {
                let empty = Arc::clone(&empty);
                measure(
                    "pop on an empty queue",
                    Box::new(move || {
                        let _ = empty.pop();
                    }),
                )
            };
            let producer = {
                let full = Arc::clone(&full);
                measure(
                    "push on a full queue",
                    Box::new(move || {
                        let _ = full.push(1);
                    }),
                )
            };
            thread::sleep(BLOCKED);
            assert_eq!(empty.push(1), Ok(()), "push into an empty queue is Ok");
            assert_eq!(full.pop(), Some(0), "pop from a full queue takes its item");
            [consumer, producer].map(|waiter| {
                waiter.recv_timeout(PATIENCE).unwrap_or_else(|_| {
                    panic!(
                        "a waiting thread never resumed after the test made room or \
                         added an item: push and pop must notify the other side"
                    )
                })
            })
        },
    );
    for Waited {
        what,
        wall,
        cpu,
        switches,
    } in measured
    {
        assert!(
            cpu < Duration::from_millis(30),
            "{what} waited {wall:?} and used {cpu:?} of CPU meanwhile: a waiting \
             thread should sleep in Condvar::wait, which releases the lock and uses \
             no CPU, not loop checking the queue (a spin loop)"
        );
        if let Some(switches) = switches {
            assert!(
                switches <= 20,
                "{what} waited {wall:?} and was switched off its CPU {switches} \
                 times meanwhile: a thread in Condvar::wait sleeps once and wakes \
                 once, and should not loop checking the queue (even with a \
                 yield_now or a short sleep between checks)"
            );
        }
    }
}
