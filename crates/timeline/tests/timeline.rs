//! The recorder sees every worker, and both files it writes can be read back.

use std::thread;
use std::time::Duration;

use testkit::Rendezvous;
use timeline::{Figure, Recording};
use tracing::info_span;

const FIGURE: Figure<'static> = Figure {
    name: "test",
    title: "three workers <& friends>",
    command: "cargo test -p timeline",
    axis: None,
};

/// Three named threads, each running and waiting once; the rendezvous makes
/// sure all three are recorded at the same moment.
fn three_workers() -> Recording {
    let meet =
        Rendezvous::new(3, "the recorder itself should never keep a worker waiting");
    let ((), recording) = timeline::record(|| {
        thread::scope(|s| {
            for w in 1..=3 {
                let meet = &meet;
                thread::Builder::new()
                    .name(format!("worker {w}"))
                    .spawn_scoped(s, move || {
                        {
                            let _running = info_span!("running").entered();
                            testkit::spin_for(Duration::from_millis(2));
                        }
                        let _waiting = info_span!("waiting").entered();
                        meet.arrive();
                    })
                    .expect("a thread can be started");
            }
        });
    });
    recording
}

#[test]
fn every_thread_gets_a_lane_and_every_span_a_slice() {
    let recording = three_workers();
    assert_eq!(
        recording.lanes(),
        ["worker 1", "worker 2", "worker 3"],
        "one lane per named thread, in natural order"
    );
    assert_eq!(
        recording.slices.len(),
        6,
        "two spans per worker: {recording:?}"
    );
    assert_eq!(
        recording.kinds().len(),
        2,
        "two span names: running, waiting"
    );
    for slice in &recording.slices {
        assert!(
            slice.start <= slice.end,
            "a slice ends after it starts: {slice:?}"
        );
    }
}

#[test]
fn the_svg_parses_and_has_one_lane_per_worker() {
    let svg = three_workers().svg(&FIGURE, "a test machine");
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg", "the root element is <svg>");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg"),
        "the SVG declares its namespace, so it also opens as a file"
    );
    let lanes: Vec<&str> = root
        .descendants()
        .filter(|n| n.attribute("class") == Some("tl-lane"))
        .filter_map(|n| n.attribute("data-lane"))
        .collect();
    assert_eq!(
        lanes,
        ["worker 1", "worker 2", "worker 3"],
        "one lane per worker"
    );
    let slices = root
        .descendants()
        .filter(|n| n.attribute("class") == Some("tl-slice"))
        .count();
    assert_eq!(slices, 6, "one rectangle per recorded span");
    let keys = root
        .descendants()
        .filter(|n| n.attribute("class") == Some("tl-key"))
        .count();
    assert_eq!(keys, 2, "the legend names both kinds of span");
    assert!(
        svg.contains("cargo test -p timeline") && svg.contains("a test machine"),
        "the figure says which command and machine it came from"
    );
    assert!(
        !svg.contains("\n\n") && !svg.lines().any(|l| l.trim().is_empty()),
        "no blank line: Markdown would end the HTML block there"
    );
    assert!(
        svg.contains("var(--fg"),
        "text follows the book theme's colour"
    );
}

#[test]
fn the_trace_loads_as_chrome_trace_events() {
    let trace = three_workers().chrome_trace(&FIGURE, "a test machine");
    let value: serde_json::Value =
        serde_json::from_str(&trace).expect("the trace is valid JSON");
    let events = value["traceEvents"]
        .as_array()
        .expect("a trace object holds a traceEvents array");
    let complete: Vec<&serde_json::Value> =
        events.iter().filter(|e| e["ph"] == "X").collect();
    assert_eq!(complete.len(), 6, "one complete event per span");
    for event in &complete {
        assert!(
            event["ts"].is_number()
                && event["dur"].as_f64().is_some_and(|d| d >= 0.0),
            "complete events carry ts and dur in microseconds: {event}"
        );
        assert!(event["name"].is_string(), "events are named: {event}");
    }
    let mut names: Vec<&str> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .filter_map(|e| e["args"]["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["worker 1", "worker 2", "worker 3"],
        "lanes are named"
    );
    let mut tids: Vec<u64> =
        complete.iter().filter_map(|e| e["tid"].as_u64()).collect();
    tids.sort_unstable();
    tids.dedup();
    assert_eq!(
        tids.len(),
        3,
        "each worker's events sit on a track of their own"
    );
}

#[test]
fn a_lane_field_names_the_lane_and_unentered_spans_cover_their_life() {
    let ((), recording) = timeline::record(|| {
        let task = info_span!("task", lane = "task 7");
        let _in_task = task.enter();
        // Created and dropped without being entered, as a task marks a wait
        // across an `.await`: recorded over its whole life, in its parent's lane.
        let wait = info_span!("waiting on a timer");
        testkit::spin_for(Duration::from_millis(3));
        drop(wait);
    });
    assert_eq!(
        recording.lanes(),
        ["task 7"],
        "the lane comes from the field"
    );
    let wait = recording
        .slices
        .iter()
        .find(|s| s.name == "waiting on a timer")
        .expect("a span never entered is still recorded");
    assert!(
        wait.end - wait.start >= Duration::from_millis(3),
        "it covers the span's whole life: {wait:?}"
    );
}

#[test]
fn saving_writes_both_files() {
    let dir =
        std::env::temp_dir().join(format!("timeline-test-{}", std::process::id()));
    let written = three_workers()
        .save(&dir, &FIGURE)
        .expect("the files can be written");
    assert!(
        written.svg.ends_with("test.svg") && written.trace.ends_with("test.json")
    );
    let svg = std::fs::read_to_string(&written.svg).expect("the SVG was written");
    roxmltree::Document::parse(&svg).expect("the written SVG parses");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn spans_logged_by_another_process_land_on_the_time_axis() {
    let dir =
        std::env::temp_dir().join(format!("timeline-logs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder can be created");
    let ((), mut recording) = timeline::record(|| {
        let _main = info_span!("main waiting").entered();
        // The same calls a worker process makes; this process stands in.
        let mut log = timeline::ProcessLog::open(&dir).expect("the log opens");
        log.span("worker: a job", || {
            testkit::spin_for(Duration::from_millis(2));
        })
        .expect("the log is written");
    });
    // A line cut short by a killed worker is skipped, not an error.
    std::fs::write(dir.join("1.tsv"), "process 1\tcut sh").expect("written");
    recording
        .add_process_logs(&dir)
        .expect("the logs can be read");
    let _ = std::fs::remove_dir_all(&dir);

    let lane = format!("process {}", std::process::id());
    let job = recording
        .slices
        .iter()
        .find(|s| s.name == "worker: a job")
        .unwrap_or_else(|| panic!("the logged span is added: {recording:?}"));
    assert_eq!(job.lane, lane, "a worker's lane is named by its process id");
    assert!(
        job.end.saturating_sub(job.start) >= Duration::from_millis(2),
        "the span lasts as long as its work: {job:?}"
    );
    let main = recording
        .slices
        .iter()
        .find(|s| s.name == "main waiting")
        .unwrap_or_else(|| panic!("the main span is recorded: {recording:?}"));
    // The two clocks (wall and monotonic) may differ by a little.
    let slack = Duration::from_millis(1);
    assert!(
        job.start + slack >= main.start && job.end <= main.end + slack,
        "the worker's span lies inside the main span it ran in: {recording:?}"
    );
    assert_eq!(
        recording.lanes().len(),
        2,
        "main and the worker: {recording:?}"
    );
}
