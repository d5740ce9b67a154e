//! The learner's verbs: progress, run, hint, watch, solution, reset.

use std::fs;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::proc;
use crate::repo::{self, Exercise};
use crate::state::{self, State, Verdict};
use crate::style;

/// A whole test run, build included. The tests' own watchdogs end a
/// deadlock in seconds; this only guards against a broken watchdog.
const TEST_DEADLINE: Duration = Duration::from_secs(300);

/// What one run of an exercise's tests showed.
#[derive(Debug)]
pub struct Tested {
    pub verdict: Verdict,
    pub compile_error: Option<String>,
    /// (test name, the message it failed with)
    pub failures: Vec<(String, String)>,
    pub passed: usize,
}

/// Runs an exercise's tests and reads what they said.
pub fn test(root: &Path, exercise: &Exercise) -> Result<Tested, String> {
    let mut command = Command::new("cargo");
    command
        .current_dir(root)
        .env("CARGO_TERM_COLOR", "never")
        .env("RUST_BACKTRACE", "0")
        .args(["test", "--no-fail-fast", "-p", &exercise.package]);
    let run = proc::run(&mut command, TEST_DEADLINE)?;
    if run.timed_out() {
        return Ok(Tested {
            verdict: Verdict::Failing,
            compile_error: None,
            failures: vec![(
                "(the whole run)".into(),
                format!(
                    "the tests were still running after {TEST_DEADLINE:?} and were \
                     stopped; something waits for ever"
                ),
            )],
            passed: 0,
        });
    }
    let tests = crate::verify::parse_tests(&run.output);
    if tests.passed.is_empty() && tests.failed.is_empty() && !run.success() {
        return Ok(Tested {
            verdict: Verdict::Failing,
            compile_error: Some(compile_messages(&run.output)),
            failures: Vec::new(),
            passed: 0,
        });
    }
    let failures: Vec<(String, String)> = tests
        .failed
        .iter()
        .map(|name| (name.clone(), failure_message(&run.output, name)))
        .collect();
    let verdict = if run.success() && failures.is_empty() {
        Verdict::Passed
    } else {
        Verdict::Failing
    };
    Ok(Tested {
        verdict,
        compile_error: None,
        failures,
        passed: tests.passed.len(),
    })
}

/// The compiler's messages without cargo's progress lines.
fn compile_messages(output: &str) -> String {
    let lines: Vec<&str> = output
        .lines()
        .skip_while(|l| !(l.starts_with("error") || l.starts_with("warning")))
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("Compiling")
                || t.starts_with("Finished")
                || t.starts_with("Running"))
        })
        .collect();
    let shown = lines.len().min(60);
    let mut text = lines[..shown].join("\n");
    if lines.len() > shown {
        text.push_str(&format!(
            "\n… {} more lines (run `cargo test` to see them all)",
            lines.len() - shown
        ));
    }
    text
}

/// The panic message a failed test printed, from libtest's failure section.
fn failure_message(output: &str, test: &str) -> String {
    let header = format!("---- {test} stdout ----");
    let Some(start) = output.find(&header) else {
        return String::from("(no message)");
    };
    let section = &output[start + header.len()..];
    let mut message = Vec::new();
    let mut inside = false;
    for line in section.lines() {
        if line.starts_with("---- ") || line == "failures:" {
            break;
        }
        if line.contains("panicked at ") {
            inside = true;
            continue;
        }
        if inside {
            if line.starts_with("note: ") {
                break;
            }
            message.push(line);
        }
    }
    let text = message.join("\n").trim().to_owned();
    match text.strip_prefix("not yet implemented: ") {
        Some(todo) => format!("still a todo!: {todo}"),
        None if text.is_empty() => "(no message)".into(),
        None => text,
    }
}

/// An exercise's state for the progress list: `None` when not started.
fn status(
    root: &Path,
    state: &mut State,
    exercise: &Exercise,
) -> Result<Option<Verdict>, String> {
    if state::untouched(root, exercise) {
        return Ok(None);
    }
    let hash = state::content_hash(root, exercise);
    if let Some(verdict) = state.verdict(exercise, hash) {
        return Ok(Some(verdict));
    }
    eprintln!(
        "{}",
        style::dim(&format!(
            "checking {} (changed since its last verdict)…",
            exercise.package
        ))
    );
    let tested = test(root, exercise)?;
    state.record(exercise, hash, tested.verdict);
    Ok(Some(tested.verdict))
}

fn next<'a>(
    exercises: &'a [Exercise],
    verdicts: &[Option<Verdict>],
) -> Option<&'a Exercise> {
    exercises
        .iter()
        .zip(verdicts)
        .find(|(_, v)| **v != Some(Verdict::Passed))
        .map(|(e, _)| e)
}

/// `cargo course`: every chapter, its state, the share done, what is next.
pub fn progress(root: &Path) -> Result<(), String> {
    let exercises = repo::exercises(root)?;
    let mut state = State::load(root);
    let mut verdicts = Vec::new();
    for exercise in &exercises {
        verdicts.push(status(root, &mut state, exercise)?);
    }
    state.save(root)?;

    println!("{}\n", style::bold("No GIL Required: your progress"));
    for (exercise, verdict) in exercises.iter().zip(&verdicts) {
        let (mark, word) = match verdict {
            Some(Verdict::Passed) => (style::green("✔"), style::green("passed")),
            Some(Verdict::Failing) => (style::red("✘"), style::red("failing")),
            None => (style::dim("·"), style::dim("not started")),
        };
        println!(
            "  {mark} {:>2}  {:<38} {:<26} {word}",
            exercise.number,
            exercise.title(root),
            format!("cargo test -p {}", exercise.package),
        );
    }
    let done = verdicts
        .iter()
        .filter(|v| **v == Some(Verdict::Passed))
        .count();
    let total = exercises.len();
    println!(
        "\n  {}  {done} of {total} done ({}%)",
        style::bar(done, total, 30),
        (done * 100).checked_div(total).unwrap_or(0)
    );
    match next(&exercises, &verdicts) {
        Some(exercise) => {
            println!(
                "\n{} chapter {}, {}: read src/{}.md (or {}.html in `cargo course serve`), then run\n\n    cargo test -p {}\n\n{}",
                style::bold("Next:"),
                exercise.number,
                exercise.title(root),
                exercise.dir,
                exercise.dir,
                exercise.package,
                style::dim(
                    "or `cargo course watch` to re-run on every save; `cargo course hint` when stuck"
                ),
            );
        }
        None => println!("\n{}", style::green("Every exercise passes. Well done!")),
    }
    Ok(())
}

fn chosen<'a>(
    root: &Path,
    exercises: &'a [Exercise],
    topic: Option<&str>,
    state: &mut State,
) -> Result<&'a Exercise, String> {
    if let Some(name) = topic {
        return repo::find(exercises, name);
    }
    for exercise in exercises {
        if status(root, state, exercise)? != Some(Verdict::Passed) {
            return Ok(exercise);
        }
    }
    exercises
        .last()
        .ok_or_else(|| "there are no exercises".to_owned())
}

/// Prints a test run the way a learner wants to read it: the first failure's
/// message up front, the rest listed, cargo's noise left out.
fn show(root: &Path, exercise: &Exercise, tested: &Tested) {
    let name = &exercise.package;
    if let Some(errors) = &tested.compile_error {
        println!("{} {name} does not compile yet:\n", style::red("✘"));
        println!("{errors}");
        return;
    }
    if tested.verdict == Verdict::Passed {
        println!(
            "{} {name}: all {} tests pass.",
            style::green("✔"),
            tested.passed
        );
        println!(
            "  See the speed-up on your machine: cargo course bench {name}\n  Compare with the reference: cargo course solution {name}"
        );
        return;
    }
    let failed = tested.failures.len();
    println!(
        "{} {name}: {failed} of {} tests fail.\n",
        style::red("✘"),
        failed + tested.passed
    );
    if let Some((test, message)) = tested.failures.first() {
        println!("  {}", style::bold(test));
        for line in message.lines() {
            println!("  │ {line}");
        }
    }
    if failed > 1 {
        let others: Vec<&str> = tested.failures[1..]
            .iter()
            .map(|(t, _)| t.as_str())
            .collect();
        println!("\n  also failing: {}", others.join(", "));
    }
    println!(
        "\n  {}",
        style::dim(&format!(
            "Stuck? cargo course hint {name}   Chapter: src/{}.md",
            exercise.dir
        ))
    );
    let _ = root;
}

/// `cargo course run [topic]`: one exercise's tests, shown readably.
pub fn run(root: &Path, topic: Option<&str>) -> Result<bool, String> {
    let exercises = repo::exercises(root)?;
    let mut state = State::load(root);
    let exercise = chosen(root, &exercises, topic, &mut state)?;
    let hash = state::content_hash(root, exercise);
    let tested = test(root, exercise)?;
    state.record(exercise, hash, tested.verdict);
    state.save(root)?;
    show(root, exercise, &tested);
    Ok(tested.verdict == Verdict::Passed)
}

/// The hints of a chapter: (title, body) of each collapsible tip box in
/// `src/hints/NN_topic.md`, the file the book includes too.
pub fn hints(
    root: &Path,
    exercise: &Exercise,
) -> Result<Vec<(String, String)>, String> {
    let path = exercise.hints(root);
    let text = fs::read_to_string(&path).map_err(|_| {
        format!(
            "{} has no hints yet ({} is missing)",
            exercise.package,
            path.display()
        )
    })?;
    let mut found = Vec::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("```admonish") {
            let title = rest
                .split_once("title=\"")
                .and_then(|(_, t)| t.split_once('"'))
                .map(|(t, _)| t.to_owned())
                .unwrap_or_else(|| format!("Hint {}", found.len() + 1));
            current = Some((title, Vec::new()));
        } else if line.starts_with("```") {
            if let Some((title, body)) = current.take() {
                found.push((title, body.join("\n").trim().to_owned()));
            }
        } else if let Some((_, body)) = current.as_mut() {
            // The book fences code inside a box with ~~~; a terminal needs no fence.
            if !line.starts_with("~~~") {
                body.push(line);
            }
        }
    }
    Ok(found)
}

/// `cargo course hint [topic] [n]`: the next hint not yet seen, or hint n.
pub fn hint(
    root: &Path,
    topic: Option<&str>,
    n: Option<usize>,
) -> Result<(), String> {
    let exercises = repo::exercises(root)?;
    let mut state = State::load(root);
    let exercise = chosen(root, &exercises, topic, &mut state)?;
    let all = hints(root, exercise)?;
    if all.is_empty() {
        return Err(format!("{} has no hints yet", exercise.package));
    }
    let seen = state.hints_seen(exercise);
    let wanted = n.unwrap_or((seen + 1).min(all.len()));
    if wanted == 0 || wanted > all.len() {
        return Err(format!("{} has hints 1 to {}", exercise.package, all.len()));
    }
    let (title, body) = &all[wanted - 1];
    println!(
        "{} ({} of {}, {})\n",
        style::bold(title),
        wanted,
        all.len(),
        exercise.package
    );
    for line in body.lines() {
        println!("  {line}");
    }
    if wanted < all.len() {
        println!(
            "\n{}",
            style::dim(&format!(
                "Still stuck? `cargo course hint {}` shows the next one.",
                exercise.package
            ))
        );
    }
    state.saw_hint(exercise, wanted);
    state.save(root)
}

/// `cargo course solution [topic]`: the reference, once the exercise passes.
pub fn solution(
    root: &Path,
    topic: Option<&str>,
    anyway: bool,
    diff: bool,
) -> Result<(), String> {
    let exercises = repo::exercises(root)?;
    let mut state = State::load(root);
    let exercise = chosen(root, &exercises, topic, &mut state)?;
    let passed = status(root, &mut state, exercise)? == Some(Verdict::Passed);
    state.save(root)?;
    if !passed && !anyway {
        return Err(format!(
            "{} does not pass yet, so the solution stays closed: try `cargo course hint {}`, \
             or add --anyway if you really want to see it",
            exercise.package, exercise.package
        ));
    }
    let reference = exercise.solution_dir(root).join("src/lib.rs");
    let mine = exercise.exercise_dir(root).join("src/lib.rs");
    if diff {
        let run = proc::run(
            Command::new("diff").arg("-u").arg(&mine).arg(&reference),
            Duration::from_secs(10),
        )
        .map_err(|e| format!("{e} (is `diff` installed?)"))?;
        println!("{}", run.output);
    } else {
        let text = fs::read_to_string(&reference)
            .map_err(|e| format!("cannot read {}: {e}", reference.display()))?;
        println!(
            "{}\n",
            style::bold(
                &reference
                    .strip_prefix(root)
                    .unwrap_or(&reference)
                    .display()
                    .to_string()
            )
        );
        println!("{text}");
        println!(
            "{}",
            style::dim(
                "The wrong_*.rs files beside it each make one classic mistake; --diff compares with yours."
            )
        );
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    for (relative, bytes) in state::files(from) {
        let target = to.join(&relative);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        fs::write(&target, bytes)
            .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    }
    Ok(())
}

/// `cargo course reset <topic>`: the skeleton back, the learner's work kept.
pub fn reset(root: &Path, topic: &str, yes: bool) -> Result<(), String> {
    let exercises = repo::exercises(root)?;
    let exercise = repo::find(&exercises, topic)?;
    let skeleton = exercise.skeleton_dir(root);
    if state::files(&skeleton).is_empty() {
        return Err(format!(
            "no skeleton is kept for {} at {}",
            exercise.package,
            skeleton.display()
        ));
    }
    let src = exercise.exercise_dir(root).join("src");
    if state::untouched(root, exercise) {
        println!(
            "{} is already the untouched skeleton; nothing to do.",
            exercise.package
        );
        return Ok(());
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err("reset asks before it replaces your work; add --yes to confirm without a prompt".into());
        }
        print!(
            "Replace exercises/{}/src with the skeleton? Your version is kept in .course/backups/. [y/N] ",
            exercise.dir
        );
        std::io::stdout().flush().map_err(|e| e.to_string())?;
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .map_err(|e| e.to_string())?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("Nothing changed.");
            return Ok(());
        }
    }
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let backup = root
        .join(".course/backups")
        .join(format!("{}-{stamp}", exercise.dir))
        .join("src");
    copy_tree(&src, &backup)?;
    // The backup is complete before anything is removed.
    fs::remove_dir_all(&src)
        .map_err(|e| format!("cannot clear {}: {e}", src.display()))?;
    copy_tree(&skeleton, &src)?;
    println!(
        "exercises/{}/src is the skeleton again; your version is in {}",
        exercise.dir,
        backup.strip_prefix(root).unwrap_or(&backup).display()
    );
    Ok(())
}

enum Event {
    Changed,
    Enter,
    Quit,
}

/// `cargo course watch`: re-run the current exercise on every save, move to
/// the next when it passes. Enter re-runs by hand, for file systems that
/// send no change events (some network and container mounts); q quits.
pub fn watch(root: &Path) -> Result<(), String> {
    use notify_debouncer_mini::{new_debouncer, notify::RecursiveMode};

    let exercises = repo::exercises(root)?;
    let (events, incoming) = mpsc::channel();
    let changes = events.clone();
    let mut debouncer = new_debouncer(Duration::from_millis(300), move |result| {
        if let Ok(batch) = result {
            let batch: Vec<notify_debouncer_mini::DebouncedEvent> = batch;
            if batch.iter().any(|e| e.path.extension().is_some_and(|x| x == "rs" || x == "toml")) {
                let _ = changes.send(Event::Changed);
            }
        }
    })
    .map_err(|e| format!("cannot watch files ({e}); use `cargo course run` after each save instead"))?;
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let event = match line.as_deref().map(str::trim) {
                Ok("q") | Ok("quit") | Err(_) => Event::Quit,
                _ => Event::Enter,
            };
            let quit = matches!(event, Event::Quit);
            if events.send(event).is_err() || quit {
                break;
            }
        }
        let _ = events.send(Event::Quit);
    });

    let mut state = State::load(root);
    let mut current = chosen(root, &exercises, None, &mut state)?.clone();
    let mut watched = None;
    loop {
        if watched.as_deref() != Some(current.dir.as_str()) {
            if let Some(old) = watched.take() {
                let old_dir = root.join("exercises").join(old);
                let _ = debouncer.watcher().unwatch(&old_dir);
            }
            debouncer
                .watcher()
                .watch(&current.exercise_dir(root), RecursiveMode::Recursive)
                .map_err(|e| format!("cannot watch {}: {e}", current.dir))?;
            watched = Some(current.dir.clone());
            println!(
                "\n{} chapter {}, {} (exercises/{}/src/lib.rs)",
                style::bold("Watching"),
                current.number,
                current.title(root),
                current.dir
            );
        }
        let hash = state::content_hash(root, &current);
        let tested = test(root, &current)?;
        state.record(&current, hash, tested.verdict);
        state.save(root)?;
        show(root, &current, &tested);
        if tested.verdict == Verdict::Passed {
            let verdicts: Vec<Option<Verdict>> = exercises
                .iter()
                .map(|e| status(root, &mut state, e))
                .collect::<Result<_, _>>()?;
            state.save(root)?;
            match next(&exercises, &verdicts) {
                Some(next) => {
                    println!(
                        "\nOn to chapter {}: {}.",
                        next.number,
                        next.title(root)
                    );
                    current = next.clone();
                    continue;
                }
                None => {
                    println!(
                        "\n{}",
                        style::green("Every exercise passes. Well done!")
                    );
                    return Ok(());
                }
            }
        }
        println!(
            "{}",
            style::dim("Save a file to re-run, or press Enter; q then Enter quits.")
        );
        // File events also come from reading (the compiler opening the
        // sources): re-run only when the content differs from what was
        // tested, or when asked.
        loop {
            match incoming.recv() {
                Ok(Event::Enter) => break,
                Ok(Event::Changed) => {
                    if state::content_hash(root, &current) != hash {
                        break;
                    }
                }
                Ok(Event::Quit) | Err(_) => return Ok(()),
            }
        }
        // Saves often come in bursts: take everything already queued.
        while let Ok(event) = incoming.try_recv() {
            if matches!(event, Event::Quit) {
                return Ok(());
            }
        }
    }
}

/// `cargo course save-skeletons` (maintainers): keep a copy of every
/// exercise's `src/` as shipped, for `reset` and for `verify`.
pub fn save_skeletons(root: &Path, topic: Option<&str>) -> Result<(), String> {
    let all = repo::exercises(root)?;
    let chosen: Vec<Exercise> = match topic {
        Some(name) => vec![repo::find(&all, name)?.clone()],
        None => all,
    };
    for exercise in chosen {
        let target = exercise.skeleton_dir(root);
        if target.exists() {
            fs::remove_dir_all(&target)
                .map_err(|e| format!("cannot clear {}: {e}", target.display()))?;
        }
        copy_tree(&exercise.exercise_dir(root).join("src"), &target)?;
        println!("kept the skeleton of {}", exercise.dir);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_message_of_a_failed_test() {
        let output = "failures:\n\n---- spins stdout ----\n\nthread 'spins' panicked at tests/x.rs:3:5:\n\
                      only 1 of 4 tasks were running\nare you joining inside the loop?\n\
                      note: run with `RUST_BACKTRACE=1`\n\n---- other stdout ----\n\n\
                      thread 'other' panicked at src/lib.rs:9:5:\nnot yet implemented: build it\n\nfailures:\n";
        assert_eq!(
            failure_message(output, "spins"),
            "only 1 of 4 tasks were running\nare you joining inside the loop?"
        );
        assert_eq!(failure_message(output, "other"), "still a todo!: build it");
    }
}
