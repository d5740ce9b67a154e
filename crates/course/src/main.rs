//! `cargo course`: the runner for the book "No GIL Required".
//!
//! `cargo course` is an alias (see `.cargo/config.toml`) for running this
//! crate, so it works from any folder of the repository with nothing else to
//! install. The learner's verbs (progress, run, hint, watch, solution, reset)
//! live in `learner`; `serve`, `bench` and `verify` in modules of their own.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};

mod appendix;
mod bench;
mod browser;
mod learner;
mod proc;
mod repo;
mod serve;
mod state;
mod style;
mod timeline;
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
    /// Your progress: every chapter, passed or not, and what to do next (the default).
    Progress,
    /// Run one exercise's tests and show the first failure's message (default: the next one).
    Run {
        /// An exercise, e.g. `gil`.
        topic: Option<String>,
    },
    /// Show the next hint for an exercise, one step at a time.
    Hint {
        /// An exercise, e.g. `gil` (default: the next one).
        topic: Option<String>,
        /// Show hint number N instead of the next one.
        n: Option<usize>,
    },
    /// Re-run the current exercise's tests whenever you save; move on when it passes.
    Watch,
    /// Show the reference solution of an exercise you have solved.
    Solution {
        topic: Option<String>,
        /// Show it even though your exercise does not pass yet.
        #[arg(long)]
        anyway: bool,
        /// Show the difference between your file and the solution.
        #[arg(long)]
        diff: bool,
    },
    /// Put an exercise's skeleton back; your version is kept in .course/backups/.
    Reset {
        topic: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
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
    /// Run a chapter's demonstration with recording on; write an SVG timeline and a trace.
    Timeline {
        /// An exercise with a demonstration, e.g. `gil`.
        topic: String,
        /// Write into this folder (default: target/course/timelines).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Check the whole course: skeletons fail, solutions pass, mistakes are caught.
    Verify {
        /// Check only this exercise (faster while writing a chapter).
        topic: Option<String>,
        /// Check only the book: links, the build, and the pages in a browser.
        #[arg(long, conflicts_with = "topic")]
        book: bool,
    },
    /// Maintainers: keep a copy of every exercise's skeleton for `reset` and `verify`.
    #[command(hide = true)]
    SaveSkeletons {
        /// Only this exercise.
        topic: Option<String>,
    },
}

const VERBS: &str = "progress, run, hint, watch, solution, reset, serve, list, bench, timeline, verify";

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
        None | Some(Verb::Progress) => learner::progress(&root),
        Some(Verb::List) => list(&root),
        Some(Verb::Run { topic }) => match learner::run(&root, topic.as_deref()) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
        Some(Verb::Hint { topic, n }) => learner::hint(&root, topic.as_deref(), n),
        Some(Verb::Watch) => learner::watch(&root),
        Some(Verb::Solution {
            topic,
            anyway,
            diff,
        }) => learner::solution(&root, topic.as_deref(), anyway, diff),
        Some(Verb::Reset { topic, yes }) => learner::reset(&root, &topic, yes),
        Some(Verb::SaveSkeletons { topic }) => {
            learner::save_skeletons(&root, topic.as_deref())
        }
        Some(Verb::Serve { open, port }) => serve::run(&root, open, port),
        Some(Verb::Bench { topic }) => bench::run(&root, topic.as_deref()),
        Some(Verb::Timeline { topic, out }) => {
            timeline::run(&root, &topic, out.as_deref())
        }
        Some(Verb::Verify { topic, book }) => {
            match verify::run(&root, topic.as_deref(), book) {
                Ok(true) => Ok(()),
                Ok(false) => return ExitCode::FAILURE,
                Err(e) => Err(e),
            }
        }
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
