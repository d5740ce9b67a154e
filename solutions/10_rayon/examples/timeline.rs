//! `cargo course timeline with_rayon`: a rayon pool of two threads, drawn
//! from real runs. First CPU-bound work, the solution's `count_words` over
//! sixteen texts with `par_iter`, spread over both threads; then sixteen
//! blocking 25 ms sleeps in the same kind of pool, which hold its two
//! threads while a small job from another caller waits for one of them.

use std::thread;
use std::time::Duration;

use rayon::ThreadPoolBuilder;
use rayon::prelude::*;
use timeline::Figure;
use tracing::info_span;

use with_rayon::count_words;

const THREADS: usize = 2;

fn pool() -> rayon::ThreadPool {
    ThreadPoolBuilder::new()
        .num_threads(THREADS)
        .thread_name(|i| format!("cpu-pool-{i}"))
        .build()
        .expect("the pool's threads can be started")
}

fn main() -> std::io::Result<()> {
    let command = "cargo course timeline with_rayon";

    // Sixteen texts of equal length, so that each takes about as long.
    let text =
        "the quick brown fox jumps over the lazy dog and runs away ".repeat(4_000);
    let texts: Vec<&str> = vec![text.as_str(); 16];
    let cpu = pool();
    let (words, computing) = timeline::record(|| {
        let _waiting = info_span!("main: waiting in install").entered();
        cpu.install(|| {
            texts
                .par_iter()
                .map(|text| {
                    let _running =
                        info_span!("pool thread: counting one text").entered();
                    count_words(text).values().sum::<usize>()
                })
                .sum::<usize>()
        })
    });
    assert_eq!(words, 16 * 12 * 4_000, "every word is counted");
    computing.write(&Figure {
        name: "with_rayon-par_iter",
        title: "par_iter over 16 texts on a pool of 2 threads",
        command,
        axis: None,
    })?;

    let io = pool();
    let ((), starved) = timeline::record(|| {
        thread::scope(|s| {
            thread::Builder::new()
                .name("other caller".into())
                .spawn_scoped(s, || {
                    thread::sleep(Duration::from_millis(10));
                    // Never entered: it covers the wait from its creation
                    // until the job starts on a pool thread and drops it.
                    let waiting = info_span!(
                        "other caller: job waiting for a free pool thread"
                    );
                    io.install(move || {
                        drop(waiting);
                        let _running =
                            info_span!("pool thread: the other caller's job")
                                .entered();
                        count_words("a small job").len()
                    });
                })
                .expect("a thread can be started");
            let _waiting = info_span!("main: waiting in install").entered();
            io.install(|| {
                (0..16).into_par_iter().for_each(|_| {
                    let _blocked =
                        info_span!("pool thread: blocked in a 25 ms sleep")
                            .entered();
                    thread::sleep(Duration::from_millis(25));
                });
            });
        });
    });
    starved.write(&Figure {
        name: "with_rayon-starved",
        title: "16 blocking sleeps on a pool of 2 threads: the pool starves",
        command,
        axis: None,
    })?;
    Ok(())
}
