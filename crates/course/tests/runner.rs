//! The learner's verbs, run as a learner would, on a scratch copy of the
//! repository holding chapter 1 only. The copy's exercises are compiled for
//! real, in a target directory these tests share.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard, PoisonError};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/course is two levels below the root")
        .to_path_buf()
}

fn copy(from: &Path, to: &Path) {
    if from.is_dir() {
        fs::create_dir_all(to).expect("the scratch folder can be created");
        for entry in fs::read_dir(from).expect("a repository folder can be read") {
            let entry = entry.expect("a folder entry can be read");
            let name = entry.file_name();
            if name == "target" {
                continue;
            }
            copy(&entry.path(), &to.join(name));
        }
    } else {
        fs::copy(from, to).expect("a repository file can be copied");
    }
}

/// A scratch repository with the tools and chapter 1, in a fresh folder.
///
/// The scratch copies share one target directory, and cargo names their
/// build outputs by the package's path *within* its workspace, which is the
/// same in every copy: so one test at a time, or one copy's tests could run
/// another copy's build.
struct Scratch {
    root: PathBuf,
    _one_at_a_time: MutexGuard<'static, ()>,
}

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

impl Scratch {
    fn new() -> Scratch {
        let one_at_a_time =
            ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let repo = repo();
        let root = repo.join("target/course/runner-tests").join(format!(
            "repo-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Relaxed)
        ));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).expect("the scratch repository can be created");
        for file in ["Cargo.toml", "Cargo.lock", "rustfmt.toml"] {
            copy(&repo.join(file), &root.join(file));
        }
        copy(&repo.join(".cargo"), &root.join(".cargo"));
        copy(&repo.join("crates/testkit"), &root.join("crates/testkit"));
        copy(&repo.join("crates/course"), &root.join("crates/course"));
        for dir in ["exercises/01_waiting", "solutions/01_waiting"] {
            copy(&repo.join(dir), &root.join(dir));
        }
        for file in ["src/01_waiting.md", "src/hints/01_waiting.md"] {
            fs::create_dir_all(
                root.join(file).parent().expect("a file has a folder"),
            )
            .expect("src/hints can be created");
            copy(&repo.join(file), &root.join(file));
        }
        // Only chapter 1's skeleton stays, like its exercise.
        let skeletons = root.join("crates/course/skeletons");
        for entry in fs::read_dir(&skeletons).expect("skeletons are kept") {
            let entry = entry.expect("a folder entry can be read");
            if entry.file_name() != "01_waiting" {
                fs::remove_dir_all(entry.path())
                    .expect("a skeleton copy can be removed");
            }
        }
        Scratch {
            root,
            _one_at_a_time: one_at_a_time,
        }
    }

    fn course(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_course"))
            .args(args)
            .current_dir(&self.root)
            .env("COURSE_ROOT", &self.root)
            .env(
                "CARGO_TARGET_DIR",
                repo().join("target/course/runner-tests/target"),
            )
            .env("NO_COLOR", "1")
            .output()
            .expect("the course binary runs")
    }

    fn text(&self, args: &[&str]) -> String {
        let output = self.course(args);
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    }

    fn exercise(&self) -> PathBuf {
        self.root.join("exercises/01_waiting/src/lib.rs")
    }

    fn solve(&self) {
        fs::copy(
            self.root.join("solutions/01_waiting/src/lib.rs"),
            self.exercise(),
        )
        .expect("the solution can be copied over the exercise");
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

#[test]
fn progress_starts_with_nothing_done_and_names_the_first_exercise() {
    let scratch = Scratch::new();
    let text = scratch.text(&[]);
    assert!(
        text.contains("not started"),
        "an untouched exercise is not started:\n{text}"
    );
    assert!(text.contains("0 of 1 done"), "nothing is done yet:\n{text}");
    assert!(
        text.contains("cargo test -p waiting"),
        "the next command is named:\n{text}"
    );
}

#[test]
fn progress_follows_solving_breaking_and_resetting() {
    let scratch = Scratch::new();
    scratch.solve();
    let text = scratch.text(&[]);
    assert!(
        text.contains("passed"),
        "a solved exercise shows as passed:\n{text}"
    );
    assert!(text.contains("1 of 1 done"), "and counts as done:\n{text}");

    let solved =
        fs::read_to_string(scratch.exercise()).expect("the exercise can be read");
    fs::write(
        scratch.exercise(),
        solved.replace("wall == 0.0", "wall != 0.0"),
    )
    .expect("the exercise can be edited");
    let text = scratch.text(&[]);
    assert!(
        text.contains("failing"),
        "an edit that breaks it is noticed:\n{text}"
    );

    let reset = scratch.text(&["reset", "waiting", "--yes"]);
    assert!(
        reset.contains(".course/backups/"),
        "reset names the backup:\n{reset}"
    );
    let backups: Vec<_> = fs::read_dir(scratch.root.join(".course/backups"))
        .expect("reset keeps a backup folder")
        .collect();
    assert_eq!(backups.len(), 1, "one backup per reset");
    let text = scratch.text(&[]);
    assert!(
        text.contains("not started"),
        "after a reset the exercise is new again:\n{text}"
    );
}

#[test]
fn reset_never_loses_the_learners_work() {
    let scratch = Scratch::new();
    fs::write(scratch.exercise(), "// my own attempt\n")
        .expect("the exercise can be edited");
    let refused = scratch.course(&["reset", "waiting"]);
    assert!(
        !refused.status.success(),
        "without a terminal, reset needs --yes"
    );
    assert_eq!(
        fs::read_to_string(scratch.exercise()).expect("the exercise can be read"),
        "// my own attempt\n",
        "a refused reset changes nothing"
    );
    scratch.course(&["reset", "waiting", "--yes"]);
    let backups = scratch.root.join(".course/backups");
    let backup = fs::read_dir(&backups)
        .expect("reset keeps a backup folder")
        .next()
        .expect("one backup")
        .expect("a folder entry can be read")
        .path()
        .join("src/lib.rs");
    assert_eq!(
        fs::read_to_string(backup).expect("the backup can be read"),
        "// my own attempt\n",
        "the backup holds the learner's version"
    );
}

#[test]
fn hints_come_one_at_a_time() {
    let scratch = Scratch::new();
    let first = scratch.text(&["hint", "waiting"]);
    assert!(
        first.contains("1 of 3"),
        "the first call shows hint 1:\n{first}"
    );
    let second = scratch.text(&["hint", "waiting"]);
    assert!(
        second.contains("2 of 3"),
        "the next call shows hint 2:\n{second}"
    );
    let third = scratch.text(&["hint", "waiting", "3"]);
    assert!(third.contains("3 of 3"), "a number picks a hint:\n{third}");
    let past = scratch.course(&["hint", "waiting", "4"]);
    assert!(!past.status.success(), "there is no hint 4");
}

#[test]
fn the_solution_opens_only_once_the_exercise_passes() {
    let scratch = Scratch::new();
    let closed = scratch.course(&["solution", "waiting"]);
    assert!(
        !closed.status.success(),
        "the solution stays closed before a pass"
    );
    let anyway = scratch.text(&["solution", "waiting", "--anyway"]);
    assert!(
        anyway.contains("fn measure"),
        "--anyway opens it:\n{anyway}"
    );
    scratch.solve();
    let open = scratch.text(&["solution", "waiting"]);
    assert!(
        open.contains("fn measure"),
        "after a pass it opens:\n{open}"
    );
}

#[test]
fn run_shows_the_first_failures_message() {
    let scratch = Scratch::new();
    let text = scratch.text(&["run", "waiting"]);
    assert!(
        text.contains("still a todo!"),
        "an untouched exercise fails at its todo!:\n{text}"
    );
    assert!(
        text.contains("cargo course hint"),
        "and points at the hints:\n{text}"
    );
}

#[test]
fn an_unknown_name_gets_one_line_with_the_closest() {
    let scratch = Scratch::new();
    let output = scratch.course(&["run", "wating"]);
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "an unknown exercise is an error");
    assert_eq!(text.trim().lines().count(), 1, "one line:\n{text}");
    assert!(
        text.contains("did you mean \"waiting\""),
        "with the closest name:\n{text}"
    );
}
