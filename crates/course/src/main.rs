//! `cargo course`: the runner for the book "No GIL Required".
//!
//! `cargo course` is an alias (see `.cargo/config.toml`) for running this
//! crate, so it works from any folder of the repository with nothing else to
//! install. Each verb is a module; the verbs a learner uses while reading are
//! `serve`, `list` and `bench`, the maintainers' is `verify`.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};

mod bench;
mod proc;
mod repo;
mod serve;
mod tools;
mod verify;

#[derive(Parser, Debug)]
#[command(
    name = "cargo course",
    bin_name = "cargo course",
    about = "The runner for the book \"No GIL Required\": concurrency in Rust, by doing."
)]
struct Cli {
    #[command(subcommand)]
    verb: Option<Verb>,
}

#[derive(Subcommand, Debug)]
enum Verb {
    /// Serve the book on http://localhost:3000 (installs the pinned mdBook first).
    Serve {
        /// Open the book in your web browser.
        #[arg(long)]
        open: bool,
        /// The port to serve on.
        #[arg(long, default_value_t = 3000)]
        port: u16,
    },
    /// List the chapters, their exercises and the command that tests each.
    List,
    /// Run the benchmarks (release mode) and print tables measured on this machine.
    Bench {
        /// One exercise, e.g. `gil`; all of them when left out.
        topic: Option<String>,
    },
    /// Check the whole course: skeletons fail, solutions pass, mistakes are caught.
    Verify {
        /// Check only this exercise (faster while writing a chapter).
        topic: Option<String>,
    },
}

const VERBS: &str = "serve, list, bench, verify";

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.kind() == ErrorKind::InvalidSubcommand => {
            let given = std::env::args().nth(1).unwrap_or_default();
            eprintln!("error: unknown verb \"{given}\"; the verbs are: {VERBS}");
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    let root = repo::root();
    let result = match cli.verb {
        None | Some(Verb::List) => list(&root),
        Some(Verb::Serve { open, port }) => serve::run(&root, open, port),
        Some(Verb::Bench { topic }) => bench::run(&root, topic.as_deref()),
        Some(Verb::Verify { topic }) => match verify::run(&root, topic.as_deref()) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn list(root: &std::path::Path) -> Result<(), String> {
    let exercises = repo::exercises(root)?;
    println!(
        "No GIL Required: {} chapters with exercises\n",
        exercises.len()
    );
    for e in &exercises {
        println!(
            "  {:>2}  {:<28} cargo test -p {}",
            e.number,
            format!("exercises/{}", e.dir),
            e.package
        );
    }
    println!("\nRead along with `cargo course serve --open`.");
    Ok(())
}
