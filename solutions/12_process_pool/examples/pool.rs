//! The pool in use, as the articles use `ProcessPoolExecutor`: run with
//! `cargo build --bins && cargo run --example pool` in `solutions/` (the
//! example finds the `pool-worker` program beside its own folder).

use std::path::PathBuf;
use std::time::Duration;

use process_pool::{Output, ProcessPoolExecutor, Task};

fn worker_program() -> std::io::Result<PathBuf> {
    // target/debug/examples/pool → target/debug/pool-worker
    let me = std::env::current_exe()?;
    let dir = me.parent().and_then(|examples| examples.parent());
    Ok(dir.map(|d| d.join("pool-worker")).unwrap_or_default())
}

fn main() -> std::io::Result<()> {
    let program = worker_program()?;
    if !program.exists() {
        eprintln!("build the worker first: cargo build --bins");
        return Ok(());
    }
    // ANCHOR: pool
    let pool = ProcessPoolExecutor::new(&program, 4)?;
    let tasks = [Task::Square(3), Task::Crash, Task::Pid, Task::Square(4)];
    for (index, result) in pool.as_completed(tasks) {
        match result {
            Ok(Output::Number(n)) => println!("job {index}: {n}"),
            Ok(other) => println!("job {index}: {other:?}"),
            Err(error) => println!("job {index} failed: {error}"),
        }
    }
    let squares = pool.map((1..=5).map(Task::Square));
    println!("in input order: {squares:?}");
    pool.shutdown(Duration::from_secs(1));
    // ANCHOR_END: pool
    Ok(())
}
