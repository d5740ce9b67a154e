//! The book's pinned tools, installed into the repository's own `.tools/`.
//!
//! mdbook-admonish 1.20.0 speaks mdBook 0.4's preprocessor protocol, which
//! mdBook 0.5 changed, and its lock file builds it against mdBook 0.4.51: with
//! any other mdBook every build warns of a version mismatch. So both are
//! pinned, built with `--locked`, and kept under `.tools/` where they cannot
//! replace the mdBook a learner uses for other books.

use std::path::{Path, PathBuf};
use std::process::Command;

/// (crate, version, binary) of each pinned tool the book needs.
pub const BOOK: [(&str, &str, &str); 2] = [
    ("mdbook", "0.4.51", "mdbook"),
    ("mdbook-admonish", "1.20.0", "mdbook-admonish"),
];

/// The link checker `verify` adds; serving the book does not need it.
/// 0.7.7 is the release that works with mdBook 0.4.
pub const LINKCHECK: [(&str, &str, &str); 1] =
    [("mdbook-linkcheck", "0.7.7", "mdbook-linkcheck")];

pub fn dir(root: &Path) -> PathBuf {
    root.join(".tools")
}

pub fn bin(root: &Path, name: &str) -> PathBuf {
    dir(root).join("bin").join(name)
}

/// `PATH` with `.tools/bin` first, so that mdBook finds the pinned
/// preprocessor rather than another one a learner may have installed.
pub fn path_env(root: &Path) -> std::ffi::OsString {
    let mut paths = vec![dir(root).join("bin")];
    if let Some(existing) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&existing));
    }
    std::env::join_paths(paths).expect("PATH entries contain no separator")
}

fn installed_version(root: &Path, binary: &str) -> Option<String> {
    let output = Command::new(bin(root, binary))
        .arg("--version")
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Installs whichever pinned tool is missing or at another version, saying
/// what it does and why. Returns an error a learner can act on.
pub fn ensure(root: &Path, tools: &[(&str, &str, &str)]) -> Result<(), String> {
    for &(krate, version, binary) in tools {
        let found = installed_version(root, binary);
        if found.as_deref().is_some_and(|v| {
            v.trim_start_matches(binary).trim().trim_start_matches('v') == version
        }) {
            continue;
        }
        eprintln!(
            "Installing {krate} {version} into .tools/ (the version this book is pinned to; \
             first run only, a few minutes on two cores)..."
        );
        let status = Command::new("cargo")
            .args([
                "install",
                "--locked",
                "--quiet",
                "--version",
                version,
                "--root",
            ])
            .arg(dir(root))
            .arg(krate)
            .status()
            .map_err(|e| format!("could not run cargo to install {krate}: {e}"))?;
        if !status.success() {
            return Err(format!(
                "installing {krate} {version} failed (see cargo's messages above); \
                 check your network connection to crates.io, then run the command again"
            ));
        }
    }
    Ok(())
}
