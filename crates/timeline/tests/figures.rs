//! The book's timelines: every chapter has a demonstration and shows at
//! least one figure it drew, and every figure the book includes is a valid
//! SVG with lanes, beside a trace that loads as Chrome trace events with
//! the same lanes and slices.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Each chapter's folder name (`03_threads`) and package name (`threads`).
fn chapters() -> Vec<(String, String)> {
    let mut chapters: Vec<(String, String)> = fs::read_dir(root().join("exercises"))
        .expect("the exercises folder is there")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("Cargo.toml").is_file())
        .map(|entry| {
            let dir = entry.file_name().to_string_lossy().into_owned();
            let manifest = fs::read_to_string(entry.path().join("Cargo.toml"))
                .expect("a chapter's manifest reads");
            let package = manifest
                .lines()
                .find_map(|line| line.strip_prefix("name = "))
                .map(|name| name.trim_matches('"').to_owned())
                .unwrap_or_else(|| {
                    panic!("exercises/{dir}/Cargo.toml names a package")
                });
            (dir, package)
        })
        .collect();
    chapters.sort();
    chapters
}

/// The figures a page includes: `{{#include timelines/NAME.svg}}`.
fn figures_in(page: &str) -> Vec<String> {
    page.match_indices("{{#include timelines/")
        .filter_map(|(at, found)| {
            let rest = &page[at + found.len()..];
            rest.split_once(".svg}}").map(|(name, _)| name.to_owned())
        })
        .collect()
}

#[test]
fn every_chapter_has_a_demonstration_and_shows_its_figures() {
    let chapters = chapters();
    assert!(chapters.len() >= 15, "found the chapters: {chapters:?}");
    for (dir, package) in chapters {
        let demo = root().join(format!("solutions/{dir}/examples/timeline.rs"));
        assert!(
            demo.is_file(),
            "chapter {dir} has no timeline demonstration: write {}",
            demo.display()
        );
        let page = fs::read_to_string(root().join(format!("src/{dir}.md")))
            .unwrap_or_else(|e| panic!("src/{dir}.md reads: {e}"));
        let figures = figures_in(&page);
        assert!(
            !figures.is_empty(),
            "src/{dir}.md shows none of its timelines: include one with \
             {{{{#include timelines/{package}.svg}}}} in its \"See it run\" section"
        );
        for name in figures {
            // `cargo course timeline` lists the files named after the package.
            assert!(
                name.starts_with(&package),
                "src/{dir}.md includes timelines/{name}.svg, but chapter {dir}'s \
                 figures are named after its package, `{package}`"
            );
        }
    }
}

/// The lanes of an SVG timeline, each with its number of slices.
fn lanes_of(svg: &str, name: &str) -> Vec<(String, usize)> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| {
        panic!("src/timelines/{name}.svg is not valid XML: {e}")
    });
    let root = doc.root_element();
    assert_eq!(
        root.tag_name().name(),
        "svg",
        "{name}.svg: the root is <svg>"
    );
    assert!(
        root.descendants().any(|n| n
            .text()
            .is_some_and(|t| t.contains("cargo course timeline"))),
        "{name}.svg names the command that draws it again"
    );
    root.descendants()
        .filter(|n| n.attribute("class") == Some("tl-lane"))
        .map(|lane| {
            let slices = lane
                .descendants()
                .filter(|n| n.attribute("class") == Some("tl-slice"))
                .count();
            (
                lane.attribute("data-lane").unwrap_or("?").to_owned(),
                slices,
            )
        })
        .collect()
}

#[test]
fn every_figure_in_the_book_has_lanes_and_a_trace_that_matches() {
    let dir = root().join("src/timelines");
    let mut names: Vec<String> = chapters()
        .into_iter()
        .flat_map(|(chapter, _)| {
            let page = fs::read_to_string(root().join(format!("src/{chapter}.md")))
                .unwrap_or_default();
            figures_in(&page)
        })
        .collect();
    names.sort();
    names.dedup();
    assert!(!names.is_empty(), "the book shows timelines");
    for name in names {
        let svg = fs::read_to_string(dir.join(format!("{name}.svg")))
            .unwrap_or_else(|e| panic!("src/timelines/{name}.svg reads: {e}"));
        let lanes = lanes_of(&svg, &name);
        assert!(!lanes.is_empty(), "{name}.svg has no lanes");
        for (lane, slices) in &lanes {
            assert!(*slices > 0, "{name}.svg: lane {lane} is empty");
        }
        let trace = fs::read_to_string(dir.join(format!("{name}.json")))
            .unwrap_or_else(|e| panic!("src/timelines/{name}.json, its trace: {e}"));
        let trace: serde_json::Value = serde_json::from_str(&trace)
            .unwrap_or_else(|e| panic!("{name}.json is not JSON: {e}"));
        let events = trace["traceEvents"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}.json has no traceEvents array"));
        let threads: Vec<&str> = events
            .iter()
            .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
            .filter_map(|e| e["args"]["name"].as_str())
            .collect();
        let svg_lanes: Vec<&str> = lanes.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(threads, svg_lanes, "{name}: the trace has the SVG's lanes");
        let complete = events.iter().filter(|e| e["ph"] == "X").count();
        let slices: usize = lanes.iter().map(|(_, n)| n).sum();
        assert_eq!(complete, slices, "{name}: one trace event per slice drawn");
        for event in events.iter().filter(|e| e["ph"] == "X") {
            assert!(
                event["ts"].as_f64().is_some() && event["dur"].as_f64().is_some(),
                "{name}.json: a complete event has a start and a duration: {event}"
            );
        }
    }
}
