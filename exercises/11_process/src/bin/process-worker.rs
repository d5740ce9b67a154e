//! The worker program of chapter 11. It is given: the exercise is the side
//! that starts it.
//!
//! It reads one job from stdin, up to the end of its input, does it, and
//! writes the answer to stdout. A job is one line of words:
//!
//! | job               | what the worker does                                      |
//! |-------------------|-----------------------------------------------------------|
//! | `square N`        | answers N × N                                             |
//! | `pid`             | answers its own process id                                |
//! | `shout BYTES`     | answers BYTES letters `x`: a large answer                 |
//! | `meet DIR N MS`   | creates `DIR/<pid>`, waits until N files are there, answers its pid; exits with 3 if they are not all there within MS milliseconds |
//! | `hang DIR`        | creates `DIR/<pid>`, then sleeps for ever                 |
//! | `exit CODE`       | exits with CODE and answers nothing                       |
//! | `panic`           | panics (a Rust panic exits with code 101)                 |
//! | `abort`           | aborts: the kernel ends it with the signal SIGABRT (6)    |

use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;
use std::process;
use std::thread;
use std::time::{Duration, Instant};

fn main() {
    let mut job = String::new();
    if let Err(error) = io::stdin().read_to_string(&mut job) {
        fail(2, &format!("could not read the job from stdin: {error}"));
    }
    let words: Vec<&str> = job.split_whitespace().collect();
    match words.as_slice() {
        ["square", n] => {
            let n: u64 = number(n);
            answer(&(n * n).to_string());
        }
        ["pid"] => answer(&process::id().to_string()),
        ["shout", bytes] => answer(&"x".repeat(number(bytes))),
        ["meet", dir, parties, ms] => {
            meet(Path::new(dir), number(parties), number(ms));
            answer(&process::id().to_string());
        }
        ["hang", dir] => {
            mark(Path::new(dir));
            loop {
                thread::sleep(Duration::from_secs(1));
            }
        }
        ["exit", code] => process::exit(number(code)),
        ["panic"] => {
            // One line instead of the default report, so that the crash tests
            // do not look like failures in the test output.
            std::panic::set_hook(Box::new(|_| {
                eprintln!(
                    "process-worker {}: panicking, as its job asked",
                    process::id()
                )
            }));
            panic!("the job asked this worker to panic");
        }
        ["abort"] => process::abort(),
        _ => fail(2, &format!("unknown job {job:?}")),
    }
}

/// Writes the answer and nothing else: no newline, so the output is exact.
fn answer(text: &str) {
    let mut stdout = io::stdout().lock();
    if let Err(error) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        fail(2, &format!("could not write the answer: {error}"));
    }
}

fn number<T: std::str::FromStr>(word: &str) -> T {
    word.parse()
        .unwrap_or_else(|_| fail(2, &format!("{word:?} is not a number")))
}

fn fail(code: i32, why: &str) -> ! {
    eprintln!("process-worker {}: {why}", process::id());
    process::exit(code)
}

/// Leaves this process's id in `dir`, so that the tests know which process
/// to look for, and the workers of a meeting can count each other.
fn mark(dir: &Path) {
    let path = dir.join(process::id().to_string());
    if let Err(error) = fs::write(&path, b"") {
        fail(2, &format!("could not create {}: {error}", path.display()));
    }
}

/// A rendezvous between processes: every worker marks the directory, then
/// waits until `parties` marks are there. It opens only if that many workers
/// are alive at the same moment.
fn meet(dir: &Path, parties: usize, ms: u64) {
    mark(dir);
    let start = Instant::now();
    loop {
        let arrived = fs::read_dir(dir)
            .map(|entries| entries.count())
            .unwrap_or(0);
        if arrived >= parties {
            return;
        }
        if start.elapsed() >= Duration::from_millis(ms) {
            fail(
                3,
                &format!(
                    "only {arrived} of {parties} workers were alive at the same moment \
                     (waited {ms} ms)"
                ),
            );
        }
        thread::sleep(Duration::from_millis(2));
    }
}
