//! Running commands with a deadline and capturing what they print.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// What a finished (or stopped) command left behind.
#[derive(Debug)]
pub struct Outcome {
    /// `None` when the command was stopped at its deadline.
    pub status: Option<ExitStatus>,
    /// Standard output, then standard error.
    pub output: String,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    pub fn timed_out(&self) -> bool {
        self.status.is_none()
    }
}

/// Runs `command` to completion or until `deadline`, capturing its output.
///
/// The command runs in a process group of its own, so that stopping it at
/// the deadline also stops what it started (cargo's test binaries, and the
/// worker processes those start).
pub fn run(command: &mut Command, deadline: Duration) -> Result<Outcome, String> {
    let program = format!("{:?}", command.get_program());
    let start = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("could not start {program}: {e}"))?;
    // Both pipes are drained on threads of their own: a child that fills one
    // pipe while we wait on the other would otherwise block for ever.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout is piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr is piped")));
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if start.elapsed() >= deadline {
            kill_group(child.id());
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    let mut output =
        String::from_utf8_lossy(&stdout.join().unwrap_or_default()).into_owned();
    output.push_str(&String::from_utf8_lossy(&stderr.join().unwrap_or_default()));
    Ok(Outcome {
        status,
        output,
        elapsed: start.elapsed(),
    })
}

/// Stops a process group with SIGKILL through the `kill` command, which keeps
/// this crate free of `unsafe` calls into libc.
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Whether a program can be started at all (it is on `PATH`).
pub fn exists(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}
