//! Python's two `multiprocessing.Process`es, started then joined, in Rust:
//! run with `cargo run --example start_join` in `solutions/`.
//!
//! The program starts copies of itself. A Rust program never re-runs itself
//! on its own; when it does so on purpose, as here, the first lines of `main`
//! are its `if __name__ == "__main__"`: they decide which role this copy
//! plays.

use std::env;
use std::process::{Command, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: role
fn main() -> std::io::Result<()> {
    let args: Vec<String> = env::args().collect();
    if let [_, role, seconds] = &args[..]
        && role == "work"
    {
        // A copy started below: do the job and end.
        let seconds: f64 = seconds.parse().expect("the parent passes a number");
        thread::sleep(Duration::from_secs_f64(seconds));
        return Ok(());
    }
    // Only the copy started by hand gets here.
    let [first, second] = start_two()?;
    println!("{first}, {second}");
    Ok(())
}
// ANCHOR_END: role

// ANCHOR: start_join
fn start_two() -> std::io::Result<[ExitStatus; 2]> {
    let me = env::current_exe()?;
    let started = Instant::now();
    let mut first = Command::new(&me).args(["work", "1.0"]).spawn()?;
    let mut second = Command::new(&me).args(["work", "0.5"]).spawn()?;
    // Both run now: started them all, wait for them all.
    let statuses = [first.wait()?, second.wait()?];
    println!("both done in {:.2?}", started.elapsed());
    Ok(statuses)
}
// ANCHOR_END: start_join
