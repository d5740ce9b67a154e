//! Where things are: the repository root, its exercises and their chapters.

use std::fs;
use std::path::{Path, PathBuf};

/// The repository root, found from where this crate was compiled so that the
/// runner works from any folder inside the repository. `COURSE_ROOT`
/// overrides it, which the runner's own tests use on a scratch copy.
pub fn root() -> PathBuf {
    if let Some(root) = std::env::var_os("COURSE_ROOT") {
        return PathBuf::from(root);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/course sits two levels below the repository root")
        .to_path_buf()
}

/// One chapter's exercise: `exercises/NN_stem/`, package `package`.
#[derive(Debug, Clone)]
pub struct Exercise {
    /// The directory name, `01_waiting`, shared by the chapter and solution.
    pub dir: String,
    /// The chapter number, `1`.
    pub number: u32,
    /// The directory name without its number, `waiting`.
    pub stem: String,
    /// The cargo package name, what `cargo test -p` takes.
    pub package: String,
}

impl Exercise {
    pub fn exercise_dir(&self, root: &Path) -> PathBuf {
        root.join("exercises").join(&self.dir)
    }

    pub fn solution_dir(&self, root: &Path) -> PathBuf {
        root.join("solutions").join(&self.dir)
    }

    pub fn chapter(&self, root: &Path) -> PathBuf {
        root.join("src").join(format!("{}.md", self.dir))
    }

    /// The chapter's title: the first `# ` heading of its page.
    pub fn title(&self, root: &Path) -> String {
        fs::read_to_string(self.chapter(root))
            .ok()
            .and_then(|page| {
                page.lines()
                    .find_map(|l| l.strip_prefix("# ").map(|t| t.trim().to_owned()))
            })
            .unwrap_or_else(|| self.stem.replace('_', " "))
    }

    /// The untouched skeleton's `src/`, kept by the runner so that `reset`
    /// can restore it and `verify` can check it whatever a learner changed.
    pub fn skeleton_dir(&self, root: &Path) -> PathBuf {
        root.join("crates/course/skeletons")
            .join(&self.dir)
            .join("src")
    }

    pub fn hints(&self, root: &Path) -> PathBuf {
        root.join("src/hints").join(format!("{}.md", self.dir))
    }

    /// The whole-file wrong variants kept beside the solution, sorted.
    pub fn wrong_variants(&self, root: &Path) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> =
            fs::read_dir(self.solution_dir(root).join("src"))
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .map(|entry| entry.path())
                        .filter(|path| {
                            path.file_name().and_then(|n| n.to_str()).is_some_and(
                                |n| n.starts_with("wrong_") && n.ends_with(".rs"),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
        found.sort();
        found
    }
}

/// Every exercise, in chapter order.
pub fn exercises(root: &Path) -> Result<Vec<Exercise>, String> {
    let dir = root.join("exercises");
    let entries = fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut found = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((number, stem)) = name.split_once('_') else {
            continue;
        };
        let Ok(number) = number.parse::<u32>() else {
            continue;
        };
        let package = package_name(&entry.path().join("Cargo.toml"))?;
        found.push(Exercise {
            dir: name.clone(),
            number,
            stem: stem.to_owned(),
            package,
        });
    }
    found.sort_by_key(|e| e.number);
    Ok(found)
}

fn package_name(manifest: &Path) -> Result<String, String> {
    let text = fs::read_to_string(manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("{} is not valid TOML: {e}", manifest.display()))?;
    table
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("{} has no package name", manifest.display()))
}

fn normalize(name: &str) -> String {
    name.trim().to_lowercase().replace('-', "_")
}

/// Finds the exercise a learner means by `name`: its package name, its
/// directory with or without the number, its number, or a unique prefix.
pub fn find<'a>(
    exercises: &'a [Exercise],
    name: &str,
) -> Result<&'a Exercise, String> {
    let wanted = normalize(name);
    let exact = exercises.iter().find(|e| {
        normalize(&e.package) == wanted
            || normalize(&e.stem) == wanted
            || normalize(&e.dir) == wanted
            || wanted.parse::<u32>().is_ok_and(|n| n == e.number)
    });
    if let Some(exercise) = exact {
        return Ok(exercise);
    }
    let prefixed: Vec<&Exercise> = exercises
        .iter()
        .filter(|e| {
            normalize(&e.package).starts_with(&wanted)
                || normalize(&e.stem).starts_with(&wanted)
        })
        .collect();
    match prefixed.as_slice() {
        [one] => Ok(one),
        _ => {
            let closest = exercises
                .iter()
                .min_by_key(|e| distance(&wanted, &normalize(&e.package)))
                .map(|e| format!("did you mean \"{}\"? ", e.package))
                .unwrap_or_default();
            Err(format!(
                "no exercise called \"{name}\"; {closest}the exercises are: {}",
                exercises
                    .iter()
                    .map(|e| e.package.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    }
}

/// Levenshtein distance, for suggesting the name a learner probably meant.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(previous + 1).min(row[j] + 1);
        }
    }
    row[b.len()]
}
