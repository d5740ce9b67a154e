//! A zombie, made on purpose: run with `cargo run --example zombie` in
//! `solutions/` (Linux: it reads `/proc`).
//!
//! The program starts a copy of itself that sleeps, kills it, and shows what
//! the kernel says about it before and after the parent waits for it.

use std::env;
use std::fs;
use std::process::Command;
use std::thread;
use std::time::Duration;

/// The state letter of a process in `/proc/<pid>/stat`: `S` sleeping, `R`
/// running, `Z` zombie; `None` once the process is gone.
fn state(pid: u32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

fn main() -> std::io::Result<()> {
    if env::args().nth(1).as_deref() == Some("sleep") {
        thread::sleep(Duration::from_secs(60));
        return Ok(());
    }
    // ANCHOR: zombie
    let mut child = Command::new(env::current_exe()?).arg("sleep").spawn()?;
    let pid = child.id();
    thread::sleep(Duration::from_millis(100));
    println!("started:       {:?}", state(pid)); // Some('S'): asleep
    child.kill()?;
    thread::sleep(Duration::from_millis(100));
    println!("killed:        {:?}", state(pid)); // Some('Z'): a zombie
    let status = child.wait()?;
    println!("waited ({status}): {:?}", state(pid)); // None: reaped
    // ANCHOR_END: zombie
    Ok(())
}
