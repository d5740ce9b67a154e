//! `cargo course timeline locks`: two quick producers and two slow consumers
//! around the solution's `BoundedQueue` of capacity 2, drawn from a real
//! run. The producers' lanes show `push` blocking while the queue is full:
//! backpressure. The consumers' lanes show `pop` blocking only at the start,
//! before the first item, and never again until the queue is closed.

use std::thread;
use std::time::Duration;

use locks::BoundedQueue;
use timeline::Figure;
use tracing::info_span;

const PRODUCERS: usize = 2;
const CONSUMERS: usize = 2;
const ITEMS: usize = 8;

fn main() -> std::io::Result<()> {
    let (handled, recording) = timeline::record(|| {
        let queue = BoundedQueue::new(2);
        thread::scope(|s| {
            let consumers: Vec<_> = (0..CONSUMERS)
                .map(|c| {
                    let queue = &queue;
                    thread::Builder::new()
                        .name(format!("consumer-{c}"))
                        .spawn_scoped(s, move || {
                            let mut handled = 0;
                            loop {
                                let item = {
                                    let _popping = info_span!(
                                        "consumer: pop (blocks while empty)"
                                    )
                                    .entered();
                                    queue.pop()
                                };
                                let Some(_item) = item else { break };
                                let _handling =
                                    info_span!("consumer: handling an item (10 ms)")
                                        .entered();
                                thread::sleep(Duration::from_millis(10));
                                handled += 1;
                            }
                            handled
                        })
                        .expect("a consumer thread can be started")
                })
                .collect();
            thread::scope(|producers| {
                for p in 0..PRODUCERS {
                    let queue = &queue;
                    thread::Builder::new()
                        .name(format!("producer-{p}"))
                        .spawn_scoped(producers, move || {
                            for i in 0..ITEMS {
                                {
                                    let _making = info_span!(
                                        "producer: making an item (2 ms)"
                                    )
                                    .entered();
                                    thread::sleep(Duration::from_millis(2));
                                }
                                let _pushing =
                                    info_span!("producer: push (blocks while full)")
                                        .entered();
                                queue.push((p, i)).expect("the queue is open");
                            }
                        })
                        .expect("a producer thread can be started");
                }
            });
            queue.close();
            consumers
                .into_iter()
                .map(|c| c.join().expect("no consumer panics"))
                .sum::<usize>()
        })
    });
    assert_eq!(handled, PRODUCERS * ITEMS, "every item is handled once");
    recording.write(&Figure {
        name: "locks",
        title: "Two quick producers, two slow consumers, a queue of capacity 2",
        command: "cargo course timeline locks",
        axis: None,
    })?;
    Ok(())
}
