//! rayon's four tools on chapter 1's sum of squares: run with
//! `cargo run --release --example tour` in `solutions/`.

use rayon::ThreadPoolBuilder;
use rayon::prelude::*;

fn crunch(n: u64) -> u64 {
    (0..n).map(|i| std::hint::black_box(i) * i).sum()
}

// ANCHOR: join
/// The sum of squares below `n`, split in halves until a half is small.
fn squares(from: u64, to: u64) -> u64 {
    if to - from <= 100_000 {
        return (from..to).map(|i| std::hint::black_box(i) * i).sum();
    }
    let middle = from + (to - from) / 2;
    let (left, right) =
        rayon::join(|| squares(from, middle), || squares(middle, to));
    left + right
}
// ANCHOR_END: join

fn main() {
    // ANCHOR: par_iter
    let sizes: Vec<u64> = vec![1_000_000; 32];
    let total: u64 = sizes.par_iter().map(|&n| crunch(n)).sum();
    // ANCHOR_END: par_iter
    println!("par_iter: {total}");

    println!("join:     {}", squares(0, 2_000_000));

    // ANCHOR: par_chunks
    let data: Vec<u64> = (0..1_000_000).collect();
    let maxima: Vec<u64> = data
        .par_chunks(4_096)
        .map(|chunk| *chunk.iter().max().unwrap_or(&0))
        .collect();
    // ANCHOR_END: par_chunks
    println!("par_chunks: {} blocks", maxima.len());

    // ANCHOR: install
    let pool = ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool");
    let total: u64 = pool.install(|| sizes.par_iter().map(|&n| crunch(n)).sum());
    // ANCHOR_END: install
    println!(
        "install:  {total} on {} threads",
        pool.current_num_threads()
    );
}
