//! `cargo course timeline waiting`: a working thread and a waiting thread,
//! started together and drawn from a real run. One crunches numbers the whole
//! time; the other is a web client that waits 40 ms for each response and
//! parses it for a few. Each thread's whole job runs inside the solution's
//! `measure`, and the title shows the CPU share each one got.

use std::thread;
use std::time::{Duration, Instant};

use timeline::Figure;
use tracing::info_span;
use waiting::{Bound, Measured, classify, crunch, measure, slow_io};

/// The working thread's job, in chunks so that the lane shows its progress.
const CHUNKS: u32 = 9;
const CHUNK: Duration = Duration::from_millis(25);
/// The waiting thread's job: a request, then parsing its response, each round.
const REQUESTS: u32 = 5;
const REQUEST: Duration = Duration::from_millis(40);
const PARSE: Duration = Duration::from_millis(4);

/// Crunches numbers, a million at a time, until `time` has passed: the bars
/// then have the same length on any machine.
fn crunch_for(time: Duration) -> u64 {
    let start = Instant::now();
    let mut total = 0u64;
    while start.elapsed() < time {
        total = total.wrapping_add(crunch(1_000_000));
    }
    total
}

fn working() -> u64 {
    let mut total = 0u64;
    for _ in 0..CHUNKS {
        let _working = info_span!("working (crunch)").entered();
        total = total.wrapping_add(crunch_for(CHUNK));
    }
    total
}

fn web_client() -> u64 {
    let mut total = 0u64;
    for _ in 0..REQUESTS {
        {
            let _waiting = info_span!("waiting for a response (slow_io)").entered();
            slow_io(REQUEST);
        }
        let _parsing = info_span!("parsing the response (crunch)").entered();
        total = total.wrapping_add(crunch_for(PARSE));
    }
    total
}

/// The CPU share of a measurement, and what `classify` makes of it.
fn share(measured: &Measured<u64>) -> (f64, &'static str) {
    let share = measured.cpu.as_secs_f64() / measured.wall.as_secs_f64();
    let bound = match classify(measured) {
        Bound::Cpu => "CPU-bound",
        Bound::Io => "I/O-bound",
    };
    (share, bound)
}

fn main() -> std::io::Result<()> {
    let ((work, wait), recording) = timeline::record(|| {
        thread::scope(|s| {
            let work = thread::Builder::new()
                .name("working".into())
                .spawn_scoped(s, || measure(working))
                .expect("a thread can be started");
            let wait = thread::Builder::new()
                .name("waiting".into())
                .spawn_scoped(s, || measure(web_client))
                .expect("a thread can be started");
            (
                work.join().expect("the working thread does not panic"),
                wait.join().expect("the waiting thread does not panic"),
            )
        })
    });
    let (work_share, work_bound) = share(&work);
    let (wait_share, wait_bound) = share(&wait);
    for (name, measured, share, bound) in [
        ("working", &work, work_share, work_bound),
        ("waiting", &wait, wait_share, wait_bound),
    ] {
        println!(
            "{name}: wall {:.1} ms, cpu {:.1} ms, share {share:.2}: {bound}",
            measured.wall.as_secs_f64() * 1e3,
            measured.cpu.as_secs_f64() * 1e3,
        );
    }

    let title = format!(
        "CPU share: working thread {work_share:.2} ({work_bound}), \
         waiting thread {wait_share:.2} ({wait_bound})"
    );
    recording.write(&Figure {
        name: "waiting",
        title: &title,
        command: "cargo course timeline waiting",
        axis: None,
    })?;
    Ok(())
}
