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

/// How long the output may stay open after the command itself has ended.
const LEFT_BEHIND_GRACE: Duration = Duration::from_secs(2);

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
    // The pipes end when every process holding them has ended. A process
    // the command started and left running (a worker a wrong solution never
    // stopped) still holds them; it is still in the group, so the group id
    // is still taken and cannot name anything else: stop the group.
    let exited = Instant::now();
    let mut left_behind = false;
    while !(stdout.is_finished() && stderr.is_finished()) {
        if exited.elapsed() >= LEFT_BEHIND_GRACE {
            kill_group(child.id());
            left_behind = true;
            break;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let mut output =
        String::from_utf8_lossy(&stdout.join().unwrap_or_default()).into_owned();
    output.push_str(&String::from_utf8_lossy(&stderr.join().unwrap_or_default()));
    if left_behind {
        output.push_str(&format!(
            "\n({program} left processes running after it ended; they were killed)\n"
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_left_running_does_not_hold_up_the_run() {
        // The shell ends at once; the `sleep` it started keeps its output open.
        let started = Instant::now();
        let outcome = run(
            Command::new("sh").args(["-c", "sleep 30 & echo started"]),
            Duration::from_secs(20),
        )
        .expect("sh runs");
        assert!(outcome.success(), "the shell itself succeeded: {outcome:?}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the run waited {:?} for a process left behind",
            started.elapsed()
        );
        assert!(outcome.output.contains("started"), "{}", outcome.output);
        assert!(
            outcome.output.contains("left processes running"),
            "the output says something was left behind: {}",
            outcome.output
        );
    }

    #[test]
    fn a_command_past_its_deadline_is_stopped() {
        let outcome = run(
            Command::new("sh").args(["-c", "sleep 30"]),
            Duration::from_millis(200),
        )
        .expect("sh runs");
        assert!(outcome.timed_out(), "{outcome:?}");
        assert!(outcome.elapsed < Duration::from_secs(10), "{outcome:?}");
    }
}
