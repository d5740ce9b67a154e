//! `cargo course bench process`: what it costs to hand a job to another
//! process rather than another thread, and how many workers to start.

use std::path::Path;
use std::thread;
use std::time::Duration;

use process::run_all;
use testkit::bench;

fn main() {
    let worker = Path::new(env!("CARGO_BIN_EXE_process-worker"));

    let group = "start a worker, hand it a job, wait for the answer (Rust)";
    bench::time(
        group,
        "process: spawn, job on stdin, answer on stdout, wait",
        bench::median(21, || {
            let results = run_all(worker, &["square 12"], Duration::from_secs(10));
            assert!(
                matches!(&results[..], [Ok(answer)] if answer.output == "144"),
                "the benchmark's worker failed: {results:?}"
            );
        }),
    );
    bench::time(
        group,
        "thread: spawn, job as an argument, answer from join",
        bench::median(21, || {
            let n = std::hint::black_box(12_u64);
            let square = thread::spawn(move || n * n)
                .join()
                .expect("the benchmark's thread does not panic");
            assert_eq!(square, 144);
        }),
    );
    bench::note(
        group,
        "both rows include the work, a multiplication; all the rest is the cost of \
         starting and ending the worker",
    );

    let group = "how many workers (Rust)";
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    bench::value(
        group,
        "std::thread::available_parallelism()",
        cores as f64,
        "CPUs this process may use",
    );
}
