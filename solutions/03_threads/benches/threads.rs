//! `cargo course bench threads`: the articles' own example, ten waits of
//! 100 ms, one after another and on a thread each; and what it costs to start
//! and join one thread.

use std::thread;
use std::time::Duration;

use testkit::bench;
use threads::run_all;

const WAITS: usize = 10;
const WAIT: Duration = Duration::from_millis(100);
const STARTS: u32 = 1_000;

fn main() {
    let group = "ten 100 ms waits, Rust";
    bench::time(
        group,
        "one after another",
        bench::median(3, || {
            for _ in 0..WAITS {
                thread::sleep(WAIT);
            }
        }),
    );
    bench::time(
        group,
        "a thread each (run_all)",
        bench::median(3, || {
            let tasks: Vec<_> = (0..WAITS).map(|_| || thread::sleep(WAIT)).collect();
            run_all("wait", tasks);
        }),
    );
    bench::time(
        group,
        "a thread each, joined inside the loop",
        bench::median(3, || {
            for _ in 0..WAITS {
                thread::spawn(|| thread::sleep(WAIT))
                    .join()
                    .expect("a sleeping thread cannot panic");
            }
        }),
    );

    let group = "starting and joining one thread";
    let batch = bench::median(3, || {
        for _ in 0..STARTS {
            thread::spawn(|| ())
                .join()
                .expect("an empty thread cannot panic");
        }
    });
    bench::value(
        group,
        "Rust: thread::spawn, then join",
        (batch / STARTS).as_secs_f64() * 1e6,
        "µs each",
    );
}
