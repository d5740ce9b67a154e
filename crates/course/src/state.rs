//! What the runner remembers between runs, in `.course/` (never committed):
//! the last verdict of each exercise, keyed by the content it was given for,
//! and how many hints the learner has seen.
//!
//! Keying verdicts by content (not by time stamps) means a `git pull`, a
//! branch switch or an edit undone all show the right state: a verdict is
//! reused only for exactly the files it was computed from.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::repo::Exercise;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    Failing,
}

#[derive(Debug, Default)]
pub struct State {
    verdicts: BTreeMap<String, (u64, Verdict)>,
    hints_seen: BTreeMap<String, usize>,
}

fn path(root: &Path) -> PathBuf {
    root.join(".course").join("state.tsv")
}

impl State {
    pub fn load(root: &Path) -> State {
        let mut state = State::default();
        let Ok(text) = fs::read_to_string(path(root)) else {
            return state;
        };
        for line in text.lines() {
            let fields: Vec<&str> = line.split('\t').collect();
            match fields.as_slice() {
                ["verdict", dir, hash, verdict] => {
                    let (Ok(hash), verdict) = (
                        u64::from_str_radix(hash, 16),
                        if *verdict == "passed" {
                            Verdict::Passed
                        } else {
                            Verdict::Failing
                        },
                    ) else {
                        continue;
                    };
                    state.verdicts.insert((*dir).to_owned(), (hash, verdict));
                }
                ["hints", dir, seen] => {
                    if let Ok(seen) = seen.parse() {
                        state.hints_seen.insert((*dir).to_owned(), seen);
                    }
                }
                _ => {}
            }
        }
        state
    }

    pub fn save(&self, root: &Path) -> Result<(), String> {
        let mut text = String::new();
        for (dir, (hash, verdict)) in &self.verdicts {
            let verdict = match verdict {
                Verdict::Passed => "passed",
                Verdict::Failing => "failing",
            };
            text.push_str(&format!("verdict\t{dir}\t{hash:016x}\t{verdict}\n"));
        }
        for (dir, seen) in &self.hints_seen {
            text.push_str(&format!("hints\t{dir}\t{seen}\n"));
        }
        let file = path(root);
        fs::create_dir_all(file.parent().expect("the state file has a folder"))
            .map_err(|e| format!("cannot create .course/: {e}"))?;
        fs::write(&file, text)
            .map_err(|e| format!("cannot write {}: {e}", file.display()))
    }

    /// The verdict recorded for exactly this content, if any.
    pub fn verdict(&self, exercise: &Exercise, hash: u64) -> Option<Verdict> {
        self.verdicts
            .get(&exercise.dir)
            .filter(|(h, _)| *h == hash)
            .map(|(_, v)| *v)
    }

    pub fn record(&mut self, exercise: &Exercise, hash: u64, verdict: Verdict) {
        self.verdicts.insert(exercise.dir.clone(), (hash, verdict));
    }

    pub fn hints_seen(&self, exercise: &Exercise) -> usize {
        self.hints_seen.get(&exercise.dir).copied().unwrap_or(0)
    }

    pub fn saw_hint(&mut self, exercise: &Exercise, n: usize) {
        let seen = self.hints_seen.entry(exercise.dir.clone()).or_default();
        *seen = (*seen).max(n);
    }
}

/// Every file below `dir`, as (path relative to `dir`, contents), sorted.
pub fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(bytes) = fs::read(&path) {
                let relative = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
                found.push((relative, bytes));
            }
        }
    }
    found.sort();
    found
}

/// FNV-1a over names and contents: stable across runs and Rust versions,
/// unlike `DefaultHasher`, and plenty for telling "changed" from "same".
pub fn hash_files(parts: &[(PathBuf, Vec<u8>)], mut hash: u64) -> u64 {
    for (name, bytes) in parts {
        for byte in name
            .to_string_lossy()
            .bytes()
            .chain([0])
            .chain(bytes.iter().copied())
        {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Everything a verdict depends on: the exercise's sources, tests and
/// manifest, and the test kit they use.
pub fn content_hash(root: &Path, exercise: &Exercise) -> u64 {
    let dir = exercise.exercise_dir(root);
    let mut hash = hash_files(&files(&dir.join("src")), FNV_OFFSET);
    hash = hash_files(&files(&dir.join("tests")), hash);
    let manifest = fs::read(dir.join("Cargo.toml")).unwrap_or_default();
    hash = hash_files(&[(PathBuf::from("Cargo.toml"), manifest)], hash);
    hash_files(&files(&root.join("crates/testkit/src")), hash)
}

/// Whether the learner's `src/` is still exactly the skeleton.
pub fn untouched(root: &Path, exercise: &Exercise) -> bool {
    let skeleton = files(&exercise.skeleton_dir(root));
    !skeleton.is_empty()
        && skeleton == files(&exercise.exercise_dir(root).join("src"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_changes_with_content_and_names() {
        let a = vec![(PathBuf::from("lib.rs"), b"fn a() {}".to_vec())];
        let b = vec![(PathBuf::from("lib.rs"), b"fn b() {}".to_vec())];
        let c = vec![(PathBuf::from("main.rs"), b"fn a() {}".to_vec())];
        let h = |p: &[(PathBuf, Vec<u8>)]| hash_files(p, FNV_OFFSET);
        assert_eq!(h(&a), h(&a.clone()), "the same content hashes the same");
        assert_ne!(h(&a), h(&b), "other content hashes differently");
        assert_ne!(h(&a), h(&c), "another file name hashes differently");
    }
}
