//! `cargo course timeline pool`: three workers pulling twelve tasks of
//! different lengths from a queue of two, drawn from a real run. The main
//! thread's lane shows `submit` blocking while the queue is full.

use std::thread;
use std::time::Duration;

use pool::ThreadPool;
use timeline::Figure;
use tracing::info_span;

fn main() -> std::io::Result<()> {
    let lengths = [30u64, 10, 20, 10, 40, 10, 20, 30, 10, 20, 10, 30];

    let ((), recording) = timeline::record(|| {
        let pool = ThreadPool::new(3, 2);
        let handles: Vec<_> = lengths
            .iter()
            .map(|&ms| {
                let _submitting =
                    info_span!("main: submit (blocks while the queue is full)")
                        .entered();
                pool.submit(move || {
                    let _task = info_span!("worker: running a task").entered();
                    thread::sleep(Duration::from_millis(ms));
                })
            })
            .collect();
        let _waiting = info_span!("main: waiting for results").entered();
        for handle in handles {
            handle.result().expect("no task panics");
        }
    });
    recording.write(&Figure {
        name: "pool",
        title: "A pool of 3 workers and a queue of 2, running 12 tasks",
        command: "cargo course timeline pool",
        axis: None,
    })?;
    Ok(())
}
