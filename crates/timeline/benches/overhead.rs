//! What a span costs when nothing records: the demonstrations' spans stay in
//! the code only because, without a subscriber, they cost next to nothing.
//!
//! `cargo bench -p timeline` from the repository root.

use std::hint::black_box;
use std::time::Duration;

use testkit::bench;
use tracing::info_span;

const STEPS: u64 = 1_000_000;

/// A small unit of work, the size of a toy interpreter's bytecode step.
fn step(i: u64) -> u64 {
    black_box(i)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .rotate_left(17)
}

fn main() {
    let group = "a span per step, recording off";
    let plain = bench::median(7, || {
        let mut acc = 0u64;
        for i in 0..STEPS {
            acc ^= step(i);
        }
        black_box(acc);
    });
    let spanned = bench::median(7, || {
        let mut acc = 0u64;
        for i in 0..STEPS {
            let _running = info_span!("running", lane = i).entered();
            acc ^= step(i);
        }
        black_box(acc);
    });
    bench::time(group, "no span", plain);
    bench::time(group, "span entered and left", spanned);
    let extra = spanned.saturating_sub(plain).as_secs_f64() / STEPS as f64;
    bench::value(group, "extra per span", extra * 1e9, "ns");
    // With recording on, each span takes locks and allocates its slice.
    const RECORDED: u64 = 20_000;
    let recorded = bench::median(5, || {
        let (acc, _recording) = timeline::record(|| {
            let mut acc = 0u64;
            for i in 0..RECORDED {
                let _running = info_span!("running", lane = i).entered();
                acc ^= step(i);
            }
            acc
        });
        black_box(acc);
    });
    let on = recorded.as_secs_f64() / RECORDED as f64;
    bench::value("a span per step, recording on", "per span", on * 1e9, "ns");
    // The demonstrations enter a span per state change (a GIL switch, a job),
    // a few thousand per run, never one per instruction.
    let per_thousand = Duration::from_secs_f64(extra * 1000.0);
    bench::note(
        group,
        &format!("a thousand spans cost {per_thousand:?} when nothing records"),
    );
}
