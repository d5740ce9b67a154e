//! `cargo course serve`: the book, with the pinned tools, on localhost.

use std::path::Path;
use std::process::Command;

use crate::tools;

pub fn run(root: &Path, open: bool, port: u16) -> Result<(), String> {
    tools::ensure(root, &tools::BOOK)?;
    let mut command = Command::new(tools::bin(root, "mdbook"));
    command
        .current_dir(root)
        .env("PATH", tools::path_env(root))
        .args([
            "serve",
            "--hostname",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ]);
    if open {
        command.arg("--open");
    }
    eprintln!("Serving the book on http://127.0.0.1:{port} (Ctrl-C stops it)");
    let status = command
        .status()
        .map_err(|e| format!("could not start mdbook: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("mdbook serve stopped: {status}"))
    }
}
