//! The test kit's loopback fixture server as a program of its own, so that
//! `bench.py` measures Python's clients against the same server as Rust's:
//! prints the server's base URL, then serves until its standard input
//! closes.

use std::io::{self, Read, Write};

use testkit::http::FixtureServer;

fn main() -> io::Result<()> {
    let server = FixtureServer::start();
    let mut out = io::stdout();
    writeln!(out, "{}", server.url(""))?;
    out.flush()?;
    // Returns when the parent closes the pipe (or dies): then stop serving.
    io::stdin().read_to_end(&mut Vec::new())?;
    Ok(())
}
