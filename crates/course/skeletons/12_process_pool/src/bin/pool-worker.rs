//! The worker program of chapter 12: one JSON request per line on stdin, one
//! JSON response per line on stdout, until stdin ends. Given; the loop is
//! `process_pool::serve`.

use std::io;
use std::process::ExitCode;

fn main() -> ExitCode {
    match process_pool::serve(io::stdin().lock(), io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pool-worker {}: {error}", std::process::id());
            ExitCode::FAILURE
        }
    }
}
