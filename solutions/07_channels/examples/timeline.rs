//! `cargo course timeline channels`: five tasks of different lengths through
//! the solution's `as_completed`, drawn from a real run. Each task's lane
//! shows it running on a thread of its own; the `main` lane shows each
//! `recv` waiting until the next task finishes, so results arrive in the
//! order the tasks end, not the order they were given.

use std::thread;
use std::time::Duration;

use channels::as_completed;
use timeline::Figure;
use tracing::info_span;

const LENGTHS: [u64; 5] = [50, 20, 40, 10, 30];

fn main() -> std::io::Result<()> {
    let (order, recording) = timeline::record(|| {
        let tasks: Vec<_> = LENGTHS
            .into_iter()
            .enumerate()
            .map(|(i, ms)| {
                move || {
                    let _running = info_span!(
                        "task: running",
                        lane = %format!("task {i} ({ms} ms)")
                    )
                    .entered();
                    thread::sleep(Duration::from_millis(ms));
                    i
                }
            })
            .collect();
        let results = as_completed(tasks);
        let mut order = Vec::new();
        loop {
            let next = {
                let _waiting =
                    info_span!("main: recv, waiting for the next result").entered();
                results.recv()
            };
            let Ok(i) = next else { break };
            order.push(i);
        }
        order
    });
    // Usually [3, 1, 4, 2, 0], the order of the lengths; a busy machine may
    // swap two neighbours, so only completeness is checked.
    let mut every = order.clone();
    every.sort_unstable();
    assert_eq!(every, [0, 1, 2, 3, 4], "every task reports once");
    println!("results arrived in the order {order:?}");
    recording.write(&Figure {
        name: "channels",
        title: "as_completed: five tasks, results in the order they finish",
        command: "cargo course timeline channels",
        axis: None,
    })?;
    Ok(())
}
