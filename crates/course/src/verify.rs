//! `cargo course verify`: the project's own test command.
//!
//! It checks the invariants that hold the course together: formatting and
//! lints, every exercise failing on its skeleton, every solution passing,
//! every wrong variant caught with a message that names the mistake, links
//! between chapters and exercises, and a clean book build. It never writes
//! into `exercises/`, `solutions/` or `src/`: wrong variants are compiled
//! from a generated manifest under `target/course/`.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::proc::{self, Outcome};
use crate::repo::{self, Exercise};
use crate::tools;

/// Compiling is slow on a cold two-core machine; running is not.
const BUILD_DEADLINE: Duration = Duration::from_secs(900);
/// A whole test suite, run after it was built. Each test has its own
/// watchdog of a few seconds, so this only catches a watchdog that failed.
const RUN_DEADLINE: Duration = Duration::from_secs(60);

/// One row of the verdict table.
#[derive(Debug)]
struct Row {
    check: String,
    passed: bool,
    skipped: bool,
    detail: String,
}

struct Report {
    rows: Vec<Row>,
}

impl Report {
    /// A check that could not run here: neither a pass nor a failure.
    fn skip(&mut self, check: impl Into<String>, why: String) {
        let check = check.into();
        eprintln!("skip {check:<40} {why}");
        self.rows.push(Row {
            check,
            passed: true,
            skipped: true,
            detail: why,
        });
    }

    fn add(&mut self, check: impl Into<String>, result: Result<String, String>) {
        let (passed, detail) = match result {
            Ok(detail) => (true, detail),
            Err(detail) => (false, detail),
        };
        let row = Row {
            check: check.into(),
            passed,
            skipped: false,
            detail,
        };
        let first_line = row.detail.lines().next().unwrap_or("");
        eprintln!(
            "{} {:<40} {}",
            if row.passed { "ok  " } else { "FAIL" },
            row.check,
            first_line
        );
        self.rows.push(row);
    }
}

fn cargo(dir: &Path) -> Command {
    let mut command = Command::new("cargo");
    command
        .current_dir(dir)
        .env("CARGO_TERM_COLOR", "never")
        .env("RUST_BACKTRACE", "0");
    command
}

/// What libtest reported, test by test.
#[derive(Debug, Default)]
pub struct TestRun {
    pub passed: Vec<String>,
    pub failed: Vec<String>,
}

/// Reads libtest's `test <name> ... ok|FAILED` lines.
pub fn parse_tests(output: &str) -> TestRun {
    let mut run = TestRun::default();
    for line in output.lines() {
        let Some(rest) = line.strip_prefix("test ") else {
            continue;
        };
        if let Some(name) = rest.strip_suffix(" ... ok") {
            run.passed.push(name.to_owned());
        } else if let Some(name) = rest.strip_suffix(" ... FAILED") {
            run.failed.push(name.to_owned());
        }
    }
    run
}

/// A doc test that shows code which must not compile passes on the skeleton
/// too, by design: it is the only kind of test allowed to.
fn exempt_on_skeleton(test: &str) -> bool {
    test.contains(" - compile fail")
}

fn compile_error(output: &str) -> Option<String> {
    if output.contains("could not compile") || output.contains("error[E") {
        let excerpt: String = output
            .lines()
            .filter(|l| l.starts_with("error"))
            .take(5)
            .collect::<Vec<_>>()
            .join("\n");
        Some(excerpt)
    } else {
        None
    }
}

/// Builds the tests, then runs them under [`RUN_DEADLINE`].
fn build_and_test(mut make: impl FnMut() -> Command) -> Result<Outcome, String> {
    let build = proc::run(make().args(["--no-run"]), BUILD_DEADLINE)?;
    if !build.success() {
        let why =
            compile_error(&build.output).unwrap_or_else(|| tail(&build.output, 15));
        return Err(format!("does not compile:\n{why}"));
    }
    let run = proc::run(&mut make(), RUN_DEADLINE)?;
    if run.timed_out() {
        return Err(format!(
            "the tests were still running after {RUN_DEADLINE:?}: some test has no \
             watchdog around a wait that can block for ever\n{}",
            tail(&run.output, 15)
        ));
    }
    Ok(run)
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Compiles the kept skeleton (not the learner's copy, which may hold work
/// in progress) with the exercise's tests, and requires every test to fail.
fn check_skeleton(root: &Path, exercise: &Exercise) -> Result<String, String> {
    let lib = exercise.skeleton_dir(root).join("lib.rs");
    if !lib.exists() {
        return Err(format!("no skeleton is kept at {}", lib.display()));
    }
    let manifest = scratch_manifest(
        root,
        root,
        &exercise.exercise_dir(root),
        &lib,
        &format!("{}-skeleton", exercise.dir),
    )?;
    let run = test_scratch(root, &manifest)?;
    let tests = parse_tests(&run.output);
    let passing: Vec<&String> = tests
        .passed
        .iter()
        .filter(|t| !exempt_on_skeleton(t))
        .collect();
    if !passing.is_empty() {
        return Err(format!(
            "these tests pass on the skeleton, so they check nothing the learner \
             writes: {}",
            passing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if tests.failed.is_empty() {
        return Err(format!(
            "no test ran on the skeleton:\n{}",
            tail(&run.output, 10)
        ));
    }
    Ok(format!("{} tests fail on the skeleton", tests.failed.len()))
}

fn check_solution(root: &Path, exercise: &Exercise) -> Result<String, String> {
    let dir = exercise.solution_dir(root);
    if !dir.join("Cargo.toml").exists() {
        return Err(format!("there is no solution crate at {}", dir.display()));
    }
    let run = build_and_test(|| {
        let mut c = cargo(&root.join("solutions"));
        c.args(["test", "--no-fail-fast", "-p", &exercise.package]);
        c
    })?;
    let tests = parse_tests(&run.output);
    if !tests.failed.is_empty() || !run.success() {
        return Err(format!(
            "the solution fails: {}\n{}",
            tests.failed.join(", "),
            failure_excerpt(&run.output)
        ));
    }
    if tests.passed.is_empty() {
        return Err("no test ran against the solution".into());
    }
    Ok(format!(
        "{} tests pass in {:.1} s",
        tests.passed.len(),
        run.elapsed.as_secs_f64()
    ))
}

/// The first panic message of a failed run: what a learner would read first.
fn failure_excerpt(output: &str) -> String {
    let mut lines = output.lines().skip_while(|l| !l.starts_with("---- "));
    let mut excerpt = String::new();
    for line in lines.by_ref().take(6) {
        let _ = writeln!(excerpt, "    {line}");
    }
    excerpt
}

/// The `//! Mistake:` and `//! Expect:` lines a wrong variant opens with.
fn variant_header(text: &str) -> (Option<String>, Option<String>) {
    let field = |key: &str| {
        text.lines()
            .take_while(|l| l.starts_with("//!"))
            .find_map(|l| l.strip_prefix(&format!("//! {key}:")))
            .map(|v| v.trim().to_owned())
    };
    (field("Mistake"), field("Expect"))
}

fn check_variant(
    root: &Path,
    exercise: &Exercise,
    variant: &Path,
) -> Result<String, String> {
    let text = fs::read_to_string(variant)
        .map_err(|e| format!("cannot read {}: {e}", variant.display()))?;
    let (mistake, expect) = variant_header(&text);
    let (Some(_mistake), Some(expect)) = (mistake, expect) else {
        return Err(
            "a wrong variant opens with `//! Mistake: …` and `//! Expect: <words a \
             failing test prints>`"
                .into(),
        );
    };
    let stem = variant
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("variant");
    let manifest = scratch_manifest(
        root,
        &root.join("solutions"),
        &exercise.solution_dir(root),
        variant,
        &format!("{}-{stem}", exercise.dir),
    )?;
    let run = test_scratch(root, &manifest)?;
    let tests = parse_tests(&run.output);
    if tests.failed.is_empty() {
        return Err(format!(
            "every test passes with this mistake in place: add a test that catches \
             it ({} passed)",
            tests.passed.len()
        ));
    }
    if !run.output.contains(&expect) {
        return Err(format!(
            "tests fail ({}), but none says \"{expect}\": the message should name \
             this mistake\n{}",
            tests.failed.join(", "),
            failure_excerpt(&run.output)
        ));
    }
    Ok(format!("caught by {}", tests.failed.join(", ")))
}

/// Writes a one-crate workspace under `target/course/` whose library is
/// `lib` and whose other targets and dependencies are those of the crate in
/// `crate_dir` (a member of the workspace at `workspace_dir`), with every
/// path made absolute. Nothing is copied or changed in the repository.
fn scratch_manifest(
    root: &Path,
    workspace_dir: &Path,
    crate_dir: &Path,
    lib: &Path,
    name: &str,
) -> Result<PathBuf, String> {
    let read = |path: &Path| -> Result<toml::Table, String> {
        fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .parse::<toml::Table>()
            .map_err(|e| format!("{} is not valid TOML: {e}", path.display()))
    };
    let workspace = read(&workspace_dir.join("Cargo.toml"))?;
    let mut manifest = read(&crate_dir.join("Cargo.toml"))?;
    let ws = workspace.get("workspace").and_then(|w| w.as_table());
    let inherited = |section: &str| {
        ws.and_then(|w| w.get(section))
            .and_then(|v| v.as_table())
            .cloned()
            .unwrap_or_default()
    };

    // [package]: inherited fields take the workspace's values.
    let ws_package = inherited("package");
    let mut discover_tests = true;
    if let Some(package) = manifest.get_mut("package").and_then(|p| p.as_table_mut())
    {
        discover_tests =
            package.get("autotests").and_then(|v| v.as_bool()) != Some(false);
        for (key, value) in package.iter_mut() {
            if value.get("workspace").and_then(|w| w.as_bool()) == Some(true)
                && let Some(v) = ws_package.get(key)
            {
                *value = v.clone();
            }
        }
        for auto in ["autobins", "autotests", "autobenches", "autoexamples"] {
            package.insert(auto.into(), false.into());
        }
    }
    // [lints]: the workspace's, spelled out.
    manifest.insert("lints".into(), toml::Value::Table(inherited("lints")));
    // Dependencies: path dependencies become absolute.
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(deps) = manifest.get_mut(section).and_then(|d| d.as_table_mut())
        {
            for (_, dep) in deps.iter_mut() {
                if let Some(path) = dep.get("path").and_then(|p| p.as_str()) {
                    let absolute = crate_dir.join(path);
                    dep.as_table_mut()
                        .expect("a dependency with a path is a table")
                        .insert(
                            "path".into(),
                            absolute.display().to_string().into(),
                        );
                }
            }
        }
    }
    // Tests cargo would have found in tests/ are listed, since the scratch
    // crate lives elsewhere.
    if discover_tests && !manifest.contains_key("test") {
        let mut tests = toml::value::Array::new();
        for (file, _) in crate::state::files(&crate_dir.join("tests")) {
            if file.components().count() == 1
                && file.extension().is_some_and(|x| x == "rs")
            {
                let mut target = toml::Table::new();
                let stem =
                    file.file_stem().and_then(|s| s.to_str()).unwrap_or("tests");
                target.insert("name".into(), stem.into());
                target.insert(
                    "path".into(),
                    format!("tests/{}", file.display()).into(),
                );
                tests.push(target.into());
            }
        }
        manifest.insert("test".into(), tests.into());
    }
    // Targets: `lib` is the library; tests and binaries keep theirs.
    let mut lib_table = toml::Table::new();
    lib_table.insert("path".into(), lib.display().to_string().into());
    manifest.insert("lib".into(), lib_table.into());
    manifest.remove("bench");
    manifest.remove("example");
    for kind in ["test", "bin"] {
        if let Some(targets) = manifest.get_mut(kind).and_then(|t| t.as_array_mut())
        {
            for target in targets.iter_mut().filter_map(|t| t.as_table_mut()) {
                let Some(path) = target.get("path").and_then(|p| p.as_str()) else {
                    return Err(format!(
                        "every [[{kind}]] in {}/Cargo.toml needs an explicit path",
                        crate_dir.display()
                    ));
                };
                let absolute = crate_dir.join(path);
                target.insert("path".into(), absolute.display().to_string().into());
            }
        }
    }
    // Its own workspace, with the original workspace's build profiles.
    manifest.insert("workspace".into(), toml::Table::new().into());
    if let Some(profile) = workspace.get("profile") {
        manifest.insert("profile".into(), profile.clone());
    }

    let dir = root
        .join("target")
        .join("course")
        .join("scratch")
        .join(name);
    fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join("Cargo.toml");
    fs::write(
        &path,
        toml::to_string(&manifest).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    // The workspace's lock file, so the scratch crate builds with the same
    // versions (and without asking the registry).
    let lock = workspace_dir.join("Cargo.lock");
    if lock.exists() {
        fs::copy(&lock, dir.join("Cargo.lock")).map_err(|e| e.to_string())?;
    }
    Ok(path)
}

/// Runs a scratch crate's tests in the shared scratch target directory: a
/// variant's worker binaries must not replace the solution's, which cargo
/// would uplift to the same file name.
fn test_scratch(root: &Path, manifest: &Path) -> Result<Outcome, String> {
    let target = root.join("target").join("course").join("scratch-target");
    build_and_test(|| {
        let mut c = cargo(root);
        c.args(["test", "--no-fail-fast", "--manifest-path"])
            .arg(manifest)
            .env("CARGO_TARGET_DIR", &target);
        c
    })
}

/// The shipped exercise still is the kept skeleton (see `save-skeletons`).
fn check_skeleton_kept(root: &Path, exercise: &Exercise) -> Result<String, String> {
    let kept = crate::state::files(&exercise.skeleton_dir(root));
    if kept.is_empty() {
        return Err(format!(
            "no skeleton is kept for {}: run `cargo course save-skeletons {}` and commit \
             crates/course/skeletons/",
            exercise.dir, exercise.package
        ));
    }
    if crate::state::untouched(root, exercise) {
        Ok("exercises/ matches the kept skeleton".into())
    } else {
        Err(format!(
            "exercises/{}/src differs from crates/course/skeletons/{}/src. If that is a \
             learner's work, verify checks the course as shipped: run it on a fresh \
             clone. If you changed the skeleton, run `cargo course save-skeletons {}`.",
            exercise.dir, exercise.dir, exercise.package
        ))
    }
}

fn check_links(
    root: &Path,
    exercises: &[Exercise],
    every_chapter: bool,
) -> Result<String, String> {
    let mut problems = Vec::new();
    let summary =
        fs::read_to_string(root.join("src/SUMMARY.md")).unwrap_or_default();
    for exercise in exercises {
        let chapter_path = exercise.chapter(root);
        let chapter_file = format!("{}.md", exercise.dir);
        match fs::read_to_string(&chapter_path) {
            Err(_) => problems.push(format!(
                "exercise {} has no chapter src/{chapter_file}",
                exercise.dir
            )),
            Ok(chapter) => {
                let crate_path = format!("exercises/{}", exercise.dir);
                if !chapter.contains(&crate_path) {
                    problems.push(format!(
                        "src/{chapter_file} does not link its exercise {crate_path}"
                    ));
                }
                let command = format!("cargo test -p {}", exercise.package);
                if !chapter.contains(&command) {
                    problems.push(format!("src/{chapter_file} does not tell the reader to run `{command}`"));
                }
            }
        }
        if !summary.contains(&format!("({chapter_file})")) {
            problems.push(format!("src/SUMMARY.md does not list {chapter_file}"));
        }
        let lib = exercise.exercise_dir(root).join("src/lib.rs");
        let header = fs::read_to_string(&lib)
            .ok()
            .and_then(|t| t.lines().next().map(str::to_owned))
            .unwrap_or_default();
        if !header.starts_with("//!")
            || !header.contains(&format!("](../../../src/{chapter_file})"))
        {
            problems.push(format!(
                "{}/src/lib.rs does not open with a `//!` line linking ../../../src/{chapter_file}",
                exercise.dir
            ));
        }
    }
    // And every numbered chapter has an exercise.
    if let Ok(entries) = fs::read_dir(root.join("src"))
        && every_chapter
    {
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(dir) = name.strip_suffix(".md") else {
                continue;
            };
            let numbered = dir
                .split_once('_')
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok());
            if numbered && !exercises.iter().any(|e| e.dir == dir) {
                problems.push(format!("chapter src/{name} has no exercises/{dir}"));
            }
        }
    }
    if problems.is_empty() {
        Ok(format!(
            "{} chapters and exercises link both ways",
            exercises.len()
        ))
    } else {
        Err(problems.join("\n"))
    }
}

fn book_dir(root: &Path) -> PathBuf {
    root.join("target").join("course").join("book")
}

fn check_book(root: &Path) -> Result<String, String> {
    tools::ensure(root, &tools::BOOK)?;
    let out = book_dir(root);
    let mut command = Command::new(tools::bin(root, "mdbook"));
    command
        .current_dir(root)
        .env("PATH", tools::path_env(root))
        .args(["build", "--dest-dir"])
        .arg(&out);
    let run = proc::run(&mut command, Duration::from_secs(300))?;
    let warnings: Vec<&str> = run
        .output
        .lines()
        .filter(|l| {
            l.contains("[WARN]") || l.contains("[ERROR]") || l.contains("warning")
        })
        .collect();
    if !run.success() {
        return Err(format!("mdbook build failed:\n{}", tail(&run.output, 15)));
    }
    if !warnings.is_empty() {
        return Err(format!("mdbook build warned:\n{}", warnings.join("\n")));
    }
    Ok("builds with the pinned mdBook and mdbook-admonish, no warnings".into())
}

/// Links between chapters and files, with mdbook-linkcheck (which points at
/// the source line), then heading anchors in the built pages, which it does
/// not check.
fn check_links_in_book(root: &Path) -> Result<String, String> {
    tools::ensure(root, &tools::LINKCHECK)?;
    let mut command = Command::new(tools::bin(root, "mdbook-linkcheck"));
    command
        .current_dir(root)
        .args(["--standalone", "--colour", "never", "."]);
    let run = proc::run(&mut command, Duration::from_secs(120))?;
    if !run.success() {
        return Err(format!("broken links:\n{}", tail(&run.output, 30)));
    }
    let book = book_dir(root);
    let mut broken = Vec::new();
    let mut checked = 0;
    let pages = crate::state::files(&book);
    for (page, bytes) in &pages {
        if page.extension().is_none_or(|x| x != "html")
            || page.starts_with("print.html")
        {
            continue;
        }
        let html = String::from_utf8_lossy(bytes);
        for href in html
            .split("href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
        {
            if href.contains("://")
                || href.starts_with("//")
                || href.starts_with("mailto:")
            {
                continue;
            }
            let (file, anchor) = href.split_once('#').unwrap_or((href, ""));
            let mut target = if file.is_empty() {
                page.clone()
            } else if let Some(from_root) = file.strip_prefix('/') {
                lexical(Path::new(from_root))
            } else {
                lexical(&page.parent().unwrap_or(Path::new("")).join(file))
            };
            if file.ends_with('/') || target.as_os_str().is_empty() {
                target.push("index.html");
            }
            checked += 1;
            let Some((_, target_bytes)) = pages.iter().find(|(p, _)| *p == target)
            else {
                broken.push(format!("{}: {href} does not exist", page.display()));
                continue;
            };
            if !anchor.is_empty()
                && !String::from_utf8_lossy(target_bytes)
                    .contains(&format!("id=\"{anchor}\""))
            {
                broken.push(format!(
                    "{}: {href} has no heading #{anchor}",
                    page.display()
                ));
            }
        }
    }
    if broken.is_empty() {
        Ok(format!("{checked} links and anchors resolve"))
    } else {
        Err(broken.join("\n"))
    }
}

/// `a/./b/../c` as `a/c`, without asking the file system.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn check_command(dir: &Path, args: &[&str], what: &str) -> Result<String, String> {
    let tool = args[0];
    let probe = proc::run(cargo(dir).args([tool, "--version"]), BUILD_DEADLINE)?;
    if !probe.success() {
        let component = if tool == "fmt" { "rustfmt" } else { tool };
        return Err(format!(
            "`cargo {tool}` is not installed: run `rustup component add {component}`"
        ));
    }
    let run = proc::run(cargo(dir).args(args), BUILD_DEADLINE)?;
    if run.success() {
        Ok(format!("clean ({:.0} s)", run.elapsed.as_secs_f64()))
    } else {
        Err(format!("{what}:\n{}", tail(&run.output, 25)))
    }
}

fn check_variant_format(
    root: &Path,
    exercises: &[Exercise],
) -> Result<String, String> {
    let files: Vec<PathBuf> = exercises
        .iter()
        .flat_map(|e| e.wrong_variants(root))
        .collect();
    if files.is_empty() {
        return Ok("no wrong variants yet".into());
    }
    let mut command = Command::new("rustfmt");
    command
        .current_dir(root)
        .args(["--check", "--edition", "2024"])
        .args(&files);
    let run = proc::run(&mut command, BUILD_DEADLINE)?;
    if run.success() {
        Ok(format!("{} files formatted", files.len()))
    } else {
        Err(format!(
            "run rustfmt on the wrong variants:\n{}",
            tail(&run.output, 20)
        ))
    }
}

fn check_tool_tests(root: &Path) -> Result<String, String> {
    let run = build_and_test(|| {
        let mut c = cargo(root);
        c.args([
            "test",
            "--no-fail-fast",
            "-p",
            "testkit",
            "--all-features",
            "-p",
            "timeline",
            "-p",
            "course",
        ]);
        c
    })?;
    let tests = parse_tests(&run.output);
    if run.success() && tests.failed.is_empty() {
        Ok(format!("{} tests pass", tests.passed.len()))
    } else {
        Err(format!(
            "the tools' own tests fail: {}\n{}",
            tests.failed.join(", "),
            failure_excerpt(&run.output)
        ))
    }
}

/// Runs every check (or only those of one exercise) and prints the verdict.
/// Returns whether everything passed.
pub fn run(
    root: &Path,
    only: Option<&str>,
    book_only: bool,
) -> Result<bool, String> {
    let all = repo::exercises(root)?;
    let chosen: Vec<Exercise> = match only {
        Some(name) => vec![repo::find(&all, name)?.clone()],
        None if book_only => Vec::new(),
        None => all.clone(),
    };
    let mut report = Report { rows: Vec::new() };
    let solutions = root.join("solutions");
    let everything = only.is_none() && !book_only;

    if !book_only {
        report.add(
            "format: exercises and tools",
            check_command(
                root,
                &["fmt", "--all", "--check"],
                "run `cargo fmt --all`",
            ),
        );
        report.add(
            "format: solutions",
            check_command(
                &solutions,
                &["fmt", "--all", "--check"],
                "run `cargo fmt --all` in solutions/",
            ),
        );
        report.add(
            "format: wrong variants",
            check_variant_format(root, &chosen),
        );
    }
    if everything {
        let clippy = [
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ];
        report.add(
            "clippy: exercises and tools",
            check_command(root, &clippy, "clippy found problems"),
        );
        report.add(
            "clippy: solutions",
            check_command(&solutions, &clippy, "clippy found problems"),
        );
        report.add(
            "tests: testkit, timeline and course",
            check_tool_tests(root),
        );
    }
    for exercise in &chosen {
        let name = &exercise.package;
        report.add(
            format!("skeleton kept: {name}"),
            check_skeleton_kept(root, exercise),
        );
        report.add(
            format!("skeleton fails: {name}"),
            check_skeleton(root, exercise),
        );
        report.add(
            format!("solution passes: {name}"),
            check_solution(root, exercise),
        );
        let variants = exercise.wrong_variants(root);
        if variants.len() < 2 {
            report.add(
                format!("wrong variants: {name}"),
                Err(format!(
                    "{} wrong variants beside the solution; keep at least two plausible mistakes",
                    variants.len()
                )),
            );
        }
        for variant in variants {
            let stem = variant
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("?")
                .to_owned();
            report.add(
                format!("caught: {name}/{stem}"),
                check_variant(root, exercise, &variant),
            );
        }
    }
    report.add(
        "links: chapters and exercises",
        check_links(root, if book_only { &all } else { &chosen }, only.is_none()),
    );
    if only.is_none() {
        let built = check_book(root);
        let built_ok = built.is_ok();
        report.add("book: mdbook build", built);
        if built_ok {
            report.add("book: links and anchors", check_links_in_book(root));
            report.add(
                "book: Python-to-Rust appendix",
                crate::appendix::check_python_appendix(root),
            );
            match crate::browser::check(root, &book_dir(root), &all) {
                Err(e) if e == "SKIPPED" => report.skip(
                    "book: in a browser",
                    "Chromium is not installed, so the pages were not checked in a \
                     browser; install it to enable this check (Debian and Ubuntu: \
                     `apt-get install chromium`)"
                        .into(),
                ),
                result => report.add("book: in a browser", result),
            }
        }
    }

    let failed: Vec<&Row> = report.rows.iter().filter(|r| !r.passed).collect();
    let skipped = report.rows.iter().filter(|r| r.skipped).count();
    if !failed.is_empty() {
        println!("\nWhat failed:");
        for row in &failed {
            println!("\n{}\n{}", row.check, indent(&row.detail));
        }
    }
    println!();
    println!("{:<6} {:<44} detail", "result", "check");
    for row in &report.rows {
        println!(
            "{:<6} {:<44} {}",
            if row.skipped {
                "skip"
            } else if row.passed {
                "pass"
            } else {
                "FAIL"
            },
            row.check,
            row.detail.lines().next().unwrap_or("")
        );
    }
    let passed = report.rows.len() - failed.len() - skipped;
    if skipped > 0 {
        println!(
            "\n{passed} passed, {} failed, {skipped} skipped",
            failed.len()
        );
    } else {
        println!("\n{passed} passed, {} failed", failed.len());
    }
    Ok(failed.is_empty())
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libtest_verdicts() {
        let output = "running 3 tests\n\
            test a_thing ... ok\n\
            test b_thing ... FAILED\n\
            test src/lib.rs - spawn (line 7) - compile fail ... ok\n\
            test c_thing ... ignored\n";
        let run = parse_tests(output);
        assert_eq!(
            run.passed,
            ["a_thing", "src/lib.rs - spawn (line 7) - compile fail"]
        );
        assert_eq!(run.failed, ["b_thing"]);
        assert!(
            exempt_on_skeleton(&run.passed[1]),
            "compile_fail doc tests are exempt"
        );
        assert!(
            !exempt_on_skeleton(&run.passed[0]),
            "ordinary tests are not"
        );
    }

    #[test]
    fn reads_a_variant_header() {
        let text = "//! Mistake: joined inside the loop.\n//! Expect: joining inside\nuse x;";
        let (mistake, expect) = variant_header(text);
        assert_eq!(mistake.as_deref(), Some("joined inside the loop."));
        assert_eq!(expect.as_deref(), Some("joining inside"));
    }
}
