//! `cargo course bench waiting`: wall time against CPU time for working and
//! for waiting, and what one loop of arithmetic costs in Rust.

use std::time::Duration;

use testkit::bench;
use waiting::{classify, crunch, measure, slow_io};

const N: u64 = 10_000_000;

fn main() {
    let group = "crunch(10,000,000), one thread";
    bench::time(
        group,
        "Rust",
        bench::median(5, || {
            std::hint::black_box(crunch(N));
        }),
    );

    let group = "share of wall time spent on a CPU";
    let working = measure(|| crunch(N * 10));
    let waiting = measure(|| slow_io(Duration::from_millis(200)));
    for (label, m) in [
        (
            "Rust: crunch (working)",
            working.cpu.as_secs_f64() / working.wall.as_secs_f64(),
        ),
        (
            "Rust: sleep 200 ms (waiting)",
            waiting.cpu.as_secs_f64() / waiting.wall.as_secs_f64(),
        ),
    ] {
        bench::value(group, label, m, "of wall time");
    }
    bench::note(
        group,
        &format!(
            "classify: crunch is {:?}-bound, the sleep is {:?}-bound",
            classify(&working),
            classify(&waiting)
        ),
    );
}
