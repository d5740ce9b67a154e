//! The Python-to-Rust appendix promises, for every Python API, the chapter
//! that teaches its Rust counterpart. This check keeps that promise: every
//! entry of the appendix's tables links a chapter that exists and is listed
//! in `src/SUMMARY.md`.

use std::fs;
use std::path::Path;

/// The appendix this module checks, relative to the book's `src/`.
const APPENDIX: &str = "appendix_python.md";

/// Checks that every table row of `src/appendix_python.md` links at least
/// one chapter (`NN_topic.md`) and that every chapter it links exists and
/// is in the summary.
pub fn check_python_appendix(root: &Path) -> Result<String, String> {
    let src = root.join("src");
    let text = fs::read_to_string(src.join(APPENDIX))
        .map_err(|e| format!("cannot read src/{APPENDIX}: {e}"))?;
    let summary = fs::read_to_string(src.join("SUMMARY.md"))
        .map_err(|e| format!("cannot read src/SUMMARY.md: {e}"))?;
    let exists = |chapter: &str| {
        src.join(chapter).is_file() && summary.contains(&format!("]({chapter})"))
    };
    let (entries, problems) = check_entries(&text, exists);
    if entries == 0 {
        return Err(format!("src/{APPENDIX} has no table entries"));
    }
    if problems.is_empty() {
        Ok(format!(
            "{entries} entries of src/{APPENDIX} link existing chapters"
        ))
    } else {
        Err(problems.join("\n"))
    }
}

/// Counts the table entries of `text` and lists what is wrong with them.
/// `exists` says whether a linked chapter file exists.
fn check_entries(text: &str, exists: impl Fn(&str) -> bool) -> (usize, Vec<String>) {
    let mut entries = 0;
    let mut problems = Vec::new();
    let mut header_seen = false;
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if !line.starts_with('|') {
            header_seen = false;
            continue;
        }
        // The first row of a table is its header; the second its rule.
        if !header_seen {
            header_seen = true;
            continue;
        }
        if line
            .trim_matches(|c| matches!(c, '|' | '-' | ':' | ' '))
            .is_empty()
        {
            continue;
        }
        entries += 1;
        let chapters = chapter_links(line);
        let name = line.split('|').nth(1).unwrap_or("").trim();
        if chapters.is_empty() {
            problems.push(format!(
                "line {}: {name} links no chapter: add a link such as \
                 [9](09_pool.md)",
                number + 1
            ));
        }
        for chapter in chapters {
            if !exists(&chapter) {
                problems.push(format!(
                    "line {}: {name} links {chapter}, which is not a chapter of \
                     the book",
                    number + 1
                ));
            }
        }
    }
    (entries, problems)
}

/// The chapter files (`NN_topic.md`, without any `#anchor`) a line links.
fn chapter_links(line: &str) -> Vec<String> {
    line.split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .map(|target| target.split('#').next().unwrap_or("").to_owned())
        .filter(|target| {
            let b = target.as_bytes();
            target.ends_with(".md")
                && b.len() > 3
                && b[0].is_ascii_digit()
                && b[1].is_ascii_digit()
                && b[2] == b'_'
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
| Python | Rust | chapter |
|---|---|---|
| `threading.Thread` | `thread::spawn` | [3](03_threads.md) |
| `Pool` | a pool | [12](12_process_pool.md#reuse) |
";

    #[test]
    fn accepts_rows_that_link_existing_chapters() {
        let (entries, problems) = check_entries(TABLE, |_| true);
        assert_eq!((entries, problems), (2, Vec::<String>::new()));
    }

    #[test]
    fn names_rows_without_a_chapter_or_with_a_missing_one() {
        let text = format!("{TABLE}| `Value` | `AtomicU64` | none |\n");
        let (entries, problems) =
            check_entries(&text, |c| c != "12_process_pool.md");
        assert_eq!(entries, 3);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("12_process_pool.md"), "{problems:?}");
        assert!(problems[1].contains("links no chapter"), "{problems:?}");
    }
}
