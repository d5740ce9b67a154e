//! `cargo course timeline threads`: five tasks that each wait 30 ms, first
//! joined inside the spawning loop, then started all before any join (the
//! solution's `run_all`), drawn from real runs.

use std::thread;
use std::time::Duration;

use timeline::Figure;
use tracing::info_span;

const TASKS: usize = 5;

/// A task that waits, the way a download does.
fn task() {
    let _waiting = info_span!("task waiting (like I/O)").entered();
    thread::sleep(Duration::from_millis(30));
}

fn main() -> std::io::Result<()> {
    let command = "cargo course timeline threads";

    let ((), in_loop) = timeline::record(|| {
        for i in 0..TASKS {
            let handle = thread::Builder::new()
                .name(format!("task-{i}"))
                .spawn(task)
                .expect("a thread can be started");
            // The mistake: joining here waits for this task before the next
            // one is even started.
            let _joining = info_span!("main joining").entered();
            handle.join().expect("the task does not panic");
        }
    });
    in_loop.write(&Figure {
        name: "threads-join_in_loop",
        title: "Joined inside the loop: five 30 ms tasks, one after another",
        command,
        axis: None,
    })?;

    let (results, start_all) = timeline::record(|| {
        let _joining = info_span!("main joining").entered();
        threads::run_all("task", (0..TASKS).map(|_| task).collect())
    });
    assert!(results.iter().all(Result::is_ok), "no task panics");
    start_all.write(&Figure {
        name: "threads-start_all",
        title: "Started all, then joined: the same five tasks side by side",
        command,
        // The same axis as the first figure, so the two compare at a glance.
        axis: Some(in_loop.span()),
    })?;
    Ok(())
}
