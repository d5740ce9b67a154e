//! Two clocks around the same two jobs: run with
//! `cargo run --release --example clocks` in `solutions/`.

use std::time::{Duration, Instant};

use cpu_time::ThreadTime;
use waiting::{crunch, slow_io};

fn main() {
    // ANCHOR: two_clocks
    let wall = Instant::now();
    let cpu = ThreadTime::now();
    let total = crunch(50_000_000); // working
    println!("crunch: wall {:?}, cpu {:?}", wall.elapsed(), cpu.elapsed());

    let wall = Instant::now();
    let cpu = ThreadTime::now();
    slow_io(Duration::from_millis(500)); // waiting
    println!("sleep:  wall {:?}, cpu {:?}", wall.elapsed(), cpu.elapsed());
    // ANCHOR_END: two_clocks
    std::hint::black_box(total);
}
