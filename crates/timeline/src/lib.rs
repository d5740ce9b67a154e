//! Timelines of real runs: what each thread, process or task did, and when.
//!
//! The book's demonstrations (`solutions/NN_topic/examples/timeline.rs`) wrap
//! the calls they show in [`tracing`] spans, one span per state worth seeing:
//! `running`, `waiting for the GIL`, `blocked on I/O`, `idle`. This crate's
//! [`Recorder`] is a `tracing_subscriber` layer that notes when each span was
//! entered and left, and on which lane; [`Recording::save`] then draws an SVG
//! timeline for the book and writes a Chrome trace-event JSON file that opens
//! in Perfetto (<https://ui.perfetto.dev>) or Chromium's `about:tracing`.
//!
//! # How to use it
//!
//! ```
//! use tracing::info_span;
//!
//! let (sum, recording) = timeline::record(|| {
//!     std::thread::scope(|s| {
//!         let worker = s.spawn(|| {
//!             let _running = info_span!("running", lane = "worker 1").entered();
//!             (1..=100u64).sum::<u64>()
//!         });
//!         worker.join().expect("the worker does not panic")
//!     })
//! });
//! assert_eq!(sum, 5050);
//! assert_eq!(recording.lanes(), ["worker 1"]);
//! ```
//!
//! Lanes: a span's `lane` field (or its parent's) names its lane; without one
//! the lane is the thread that entered the span, by its name. Tasks that hop
//! between threads (tokio) therefore give their span a `lane`.
//!
//! Spans are recorded each time they are entered and left. A span that is
//! never entered, only created and dropped, is recorded from its creation to
//! its end: that is how an `async` task marks a wait across an `.await`.
//!
//! # When not to use it
//!
//! For measuring. Recording takes locks and allocates for every span (about
//! half a microsecond each, measured by `cargo bench -p timeline`), which
//! would blur a benchmark. With nothing recording, a span costs a couple of
//! nanoseconds, which is why the benchmarks carry none and the
//! demonstrations, separate programs, carry them all. Timelines show *how*
//! work was laid out in time, not how fast it was.

use std::fmt::{self, Write as _};
use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant, SystemTime};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Subscriber, subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// One span on one lane: `name` from `start` to `end`, measured from the
/// beginning of the recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    pub lane: String,
    pub name: String,
    pub start: Duration,
    pub end: Duration,
}

/// What a run did: every recorded span, in the order they ended.
#[derive(Debug, Clone, Default)]
pub struct Recording {
    pub slices: Vec<Slice>,
    /// When the recording began, by the wall clock; `None` for a recording
    /// not made by [`record`]. Slices from other processes are placed by it.
    pub began: Option<SystemTime>,
}

/// Where and how a figure was made, printed under its title so that a reader
/// knows which machine and which command it came from.
#[derive(Debug, Clone)]
pub struct Figure<'a> {
    /// The file name without extension: `gil`, `threads-join_in_loop`.
    pub name: &'a str,
    /// One line saying what the picture shows.
    pub title: &'a str,
    /// The command that draws it again: `cargo course timeline gil`.
    pub command: &'a str,
    /// The length of the time axis; `None` fits the recording. Two figures
    /// meant to be compared share one, so that equal lengths look equal.
    pub axis: Option<Duration>,
}

/// The files [`Recording::save`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    pub svg: PathBuf,
    pub trace: PathBuf,
}

// ---------------------------------------------------------------------------
// Recording

/// The slices of the recording in progress; `None` when nothing records.
struct Sink {
    origin: Instant,
    began: SystemTime,
    slices: Vec<Slice>,
}

static SINK: Mutex<Option<Sink>> = Mutex::new(None);
/// Recordings take turns: the subscriber is global, so two at once would mix.
static TURN: Mutex<()> = Mutex::new(());
static INSTALLED: OnceLock<bool> = OnceLock::new();

fn sink() -> MutexGuard<'static, Option<Sink>> {
    // A panic while pushing a slice leaves a consistent vector behind.
    SINK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `work` with recording on and returns its result with what it did.
///
/// Every thread records, also those `work` starts (the subscriber is the
/// process's global default, installed on the first call). Recordings in
/// one process run one after the other.
///
/// # Panics
///
/// If another global `tracing` subscriber was installed first.
pub fn record<T>(work: impl FnOnce() -> T) -> (T, Recording) {
    let installed = *INSTALLED.get_or_init(|| {
        subscriber::set_global_default(tracing_subscriber::registry().with(Recorder))
            .is_ok()
    });
    assert!(
        installed,
        "another tracing subscriber is the global default: timeline::record \
         needs to be the only one"
    );
    let _turn = TURN.lock().unwrap_or_else(PoisonError::into_inner);
    *sink() = Some(Sink {
        origin: Instant::now(),
        began: SystemTime::now(),
        slices: Vec::new(),
    });
    let value = work();
    let (slices, began) = sink()
        .take()
        .map(|s| (s.slices, Some(s.began)))
        .unwrap_or_default();
    (value, Recording { slices, began })
}

/// The `tracing_subscriber` layer that notes when spans are entered and
/// left. Installed by [`record`]; public so that a program with a
/// subscriber of its own can add it as one more layer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Recorder;

/// What the recorder keeps in a span's extensions.
struct SpanState {
    /// The span's own `lane` field, or its parent's.
    lane: Option<String>,
    created: Instant,
    created_on: String,
    /// Threads inside the span right now, and since when.
    open: Vec<(ThreadId, Instant)>,
    entered: bool,
}

struct LaneField(Option<String>);

impl Visit for LaneField {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "lane" {
            self.0 = Some(value.to_owned());
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "lane" {
            self.0 = Some(value.to_string());
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == "lane" {
            self.0 = Some(value.to_string());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "lane" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

/// The lane of a span without a `lane` field: the thread's name, or its
/// number when it has none.
fn thread_lane() -> String {
    let current = thread::current();
    match current.name() {
        Some(name) => name.to_owned(),
        None => {
            let id = format!("{:?}", current.id());
            let digits: String = id.chars().filter(char::is_ascii_digit).collect();
            format!("thread {digits}")
        }
    }
}

fn push(lane: String, name: &str, from: Instant, to: Instant) {
    if let Some(sink) = sink().as_mut() {
        let start = from.saturating_duration_since(sink.origin);
        let end = to.saturating_duration_since(sink.origin);
        sink.slices.push(Slice {
            lane,
            name: name.to_owned(),
            start,
            end,
        });
    }
}

impl<S> Layer<S> for Recorder
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut field = LaneField(None);
        attrs.record(&mut field);
        let lane = field.0.or_else(|| {
            span.parent().and_then(|parent| {
                parent
                    .extensions()
                    .get::<SpanState>()
                    .and_then(|state| state.lane.clone())
            })
        });
        span.extensions_mut().insert(SpanState {
            lane,
            created: Instant::now(),
            created_on: thread_lane(),
            open: Vec::new(),
            entered: false,
        });
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(state) = extensions.get_mut::<SpanState>() {
            state.entered = true;
            state.open.push((thread::current().id(), Instant::now()));
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        let now = Instant::now();
        let Some(span) = ctx.span(id) else { return };
        let me = thread::current().id();
        let mut extensions = span.extensions_mut();
        let Some(state) = extensions.get_mut::<SpanState>() else {
            return;
        };
        let Some(at) = state.open.iter().rposition(|(t, _)| *t == me) else {
            return;
        };
        let (_, since) = state.open.remove(at);
        let lane = state.lane.clone().unwrap_or_else(thread_lane);
        drop(extensions);
        push(lane, span.name(), since, now);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let now = Instant::now();
        let Some(span) = ctx.span(&id) else { return };
        let extensions = span.extensions();
        let Some(state) = extensions.get::<SpanState>() else {
            return;
        };
        if !state.entered {
            let lane = state
                .lane
                .clone()
                .unwrap_or_else(|| state.created_on.clone());
            push(lane, span.name(), state.created, now);
        }
    }
}

// ---------------------------------------------------------------------------
// Other processes

/// The spans of one worker process, for a parent that records: one line per
/// span in `<dir>/<pid>.tsv`, with its lane, its name, and its start and end
/// in nanoseconds since the Unix epoch.
#[derive(Debug)]
pub struct ProcessLog {
    file: fs::File,
    lane: String,
}

/// Nanoseconds since the Unix epoch: a time that another process can read.
fn epoch_ns(time: SystemTime) -> u128 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

impl ProcessLog {
    /// Opens this process's log in `dir`; its lane is `process <pid>`.
    pub fn open(dir: &Path) -> io::Result<Self> {
        let pid = std::process::id();
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("{pid}.tsv")))?;
        Ok(ProcessLog {
            file,
            lane: format!("process {pid}"),
        })
    }

    /// Logs a span named `name` from `start` to `end`.
    pub fn log(
        &mut self,
        name: &str,
        start: SystemTime,
        end: SystemTime,
    ) -> io::Result<()> {
        let name: String = name.chars().filter(|c| !c.is_control()).collect();
        writeln!(
            self.file,
            "{}\t{name}\t{}\t{}",
            self.lane,
            epoch_ns(start),
            epoch_ns(end)
        )
    }

    /// Runs `work` and logs it as a span named `name`.
    pub fn span<T>(
        &mut self,
        name: &str,
        work: impl FnOnce() -> T,
    ) -> io::Result<T> {
        let start = SystemTime::now();
        let value = work();
        self.log(name, start, SystemTime::now())?;
        Ok(value)
    }
}

impl Recording {
    /// Adds the spans that worker processes wrote with [`ProcessLog`] into
    /// `dir`, placed on this recording's time axis by the wall clock. Lines
    /// it cannot read (a worker killed mid-line) are skipped.
    pub fn add_process_logs(&mut self, dir: &Path) -> io::Result<()> {
        let began = epoch_ns(self.began.unwrap_or_else(SystemTime::now));
        let since = |ns: u128| {
            Duration::from_nanos(
                u64::try_from(ns.saturating_sub(began)).unwrap_or(0),
            )
        };
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().is_none_or(|e| e != "tsv") {
                continue;
            }
            for line in fs::read_to_string(&path)?.lines() {
                let fields: Vec<&str> = line.split('\t').collect();
                let [lane, name, start, end] = fields[..] else {
                    continue;
                };
                let (Ok(start), Ok(end)) = (start.parse(), end.parse()) else {
                    continue;
                };
                self.slices.push(Slice {
                    lane: lane.to_owned(),
                    name: name.to_owned(),
                    start: since(start),
                    end: since(end),
                });
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Reading a recording

/// Orders lane names the way a reader counts: `worker 2` before `worker 10`.
fn natural_key(name: &str) -> (String, u64, String) {
    let digits_at = name
        .char_indices()
        .find(|(_, c)| c.is_ascii_digit())
        .map_or(name.len(), |(i, _)| i);
    let (head, tail) = name.split_at(digits_at);
    let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
    let rest = tail[digits.len()..].to_owned();
    (head.to_owned(), digits.parse().unwrap_or(0), rest)
}

impl Recording {
    /// Every lane, each once, in natural order of their names.
    pub fn lanes(&self) -> Vec<String> {
        let mut lanes: Vec<String> = Vec::new();
        for slice in &self.slices {
            if !lanes.contains(&slice.lane) {
                lanes.push(slice.lane.clone());
            }
        }
        lanes.sort_by_key(|lane| natural_key(lane));
        lanes
    }

    /// Every span name, each once, in the order they first started.
    pub fn kinds(&self) -> Vec<String> {
        let mut sorted: Vec<&Slice> = self.slices.iter().collect();
        sorted.sort_by_key(|s| s.start);
        let mut kinds: Vec<String> = Vec::new();
        for slice in sorted {
            if !kinds.contains(&slice.name) {
                kinds.push(slice.name.clone());
            }
        }
        kinds
    }

    /// When the last slice ended.
    pub fn span(&self) -> Duration {
        self.slices
            .iter()
            .map(|s| s.end)
            .max()
            .unwrap_or(Duration::ZERO)
    }

    /// Writes `<dir>/<name>.svg` and `<dir>/<name>.json`, creating `dir`.
    pub fn save(&self, dir: &Path, figure: &Figure<'_>) -> io::Result<Written> {
        fs::create_dir_all(dir)?;
        let written = Written {
            svg: dir.join(format!("{}.svg", figure.name)),
            trace: dir.join(format!("{}.json", figure.name)),
        };
        let machine = machine();
        fs::write(&written.svg, self.svg(figure, &machine))?;
        fs::write(&written.trace, self.chrome_trace(figure, &machine))?;
        Ok(written)
    }
}

impl Recording {
    /// Writes `<name>.svg` and `<name>.json` into the demonstration's folder
    /// ([`out_dir`]) and prints where: what a demonstration does with each
    /// figure it draws.
    pub fn write(&self, figure: &Figure<'_>) -> io::Result<Written> {
        let written = self.save(&out_dir(), figure)?;
        println!(
            "wrote {} and {}",
            written.svg.display(),
            written.trace.display()
        );
        Ok(written)
    }
}

/// The directory a demonstration writes to: its first argument, which
/// `cargo course timeline` sets, or `target/course/timelines`.
pub fn out_dir() -> PathBuf {
    std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/course/timelines"), PathBuf::from)
}

/// A line naming the machine: cores and processor model.
pub fn machine() -> String {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let model = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    let plural = if cores == 1 { "" } else { "s" };
    format!("{cores} core{plural}, {model}, {}", std::env::consts::OS)
}

// ---------------------------------------------------------------------------
// Drawing

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Mid-tone colours that keep their contrast on a white page and on the
/// dark themes (navy, coal, ayu) alike.
const PALETTE: [&str; 6] = [
    "#3d85c6", // blue
    "#e69138", // orange
    "#6aa84f", // green
    "#a64d79", // plum
    "#c9a400", // mustard
    "#45a5a5", // teal
];
const WAITING: &str = "#999999";

/// A colour per span name: waits in grey, the rest from the palette in the
/// order the names first appeared.
fn colours(kinds: &[String]) -> Vec<(&str, &'static str)> {
    let mut next = 0;
    kinds
        .iter()
        .map(|kind| {
            let lower = kind.to_lowercase();
            let colour = if lower.starts_with("waiting") || lower.starts_with("idle")
            {
                WAITING
            } else {
                let colour = PALETTE[next % PALETTE.len()];
                next += 1;
                colour
            };
            (kind.as_str(), colour)
        })
        .collect()
}

/// A round tick step giving about `target` ticks over `total` seconds.
fn tick_step(total: f64, target: f64) -> f64 {
    let raw = (total / target).max(1e-6);
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude)
}

fn format_tick(seconds: f64, step: f64) -> String {
    if step >= 1.0 {
        format!("{seconds:.0} s")
    } else if step >= 1e-3 {
        format!("{:.0} ms", seconds * 1e3)
    } else {
        format!("{:.0} µs", seconds * 1e6)
    }
}

const WIDTH: f64 = 720.0;
const LABEL: f64 = 96.0;
const RIGHT: f64 = 16.0;
const LANE: f64 = 20.0;
const GAP: f64 = 6.0;
const TOP: f64 = 46.0;

impl Recording {
    /// A self-contained SVG: a lane per worker, a time axis, a legend. Its
    /// text and lines use the book theme's `--fg` and `--bg` (with fallbacks
    /// for a standalone file), so it reads in light and dark themes. It has
    /// no blank line, so that Markdown keeps it as one block of HTML.
    pub fn svg(&self, figure: &Figure<'_>, machine: &str) -> String {
        let lanes = self.lanes();
        let kinds = self.kinds();
        let colours = colours(&kinds);
        let total = figure
            .axis
            .unwrap_or_default()
            .max(self.span())
            .as_secs_f64()
            .max(1e-6);
        let plot = WIDTH - LABEL - RIGHT;
        let x = |t: Duration| LABEL + t.as_secs_f64() / total * plot;
        let axis_y = TOP + lanes.len() as f64 * (LANE + GAP);
        let legend_y = axis_y + 36.0;
        // Legend entries flow left to right and wrap, each as wide as its
        // text (about 7 px a character at 12 px).
        let mut keys: Vec<(f64, f64)> = Vec::new();
        let (mut kx, mut ky) = (LABEL, legend_y);
        for kind in &kinds {
            let w = 17.0 + kind.chars().count() as f64 * 7.0 + 20.0;
            if kx > LABEL && kx + w > WIDTH {
                kx = LABEL;
                ky += 18.0;
            }
            keys.push((kx, ky));
            kx += w;
        }
        let height = ky + 8.0;

        let mut s = String::new();
        let _ = writeln!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" \
             viewBox=\"0 0 {WIDTH} {height:.0}\" width=\"100%\" \
             role=\"img\" aria-label=\"{}\" font-family=\"sans-serif\">",
            escape(figure.title)
        );
        let _ = writeln!(
            s,
            "<style>.tl-fg{{fill:var(--fg,#333)}}\
             .tl-line{{stroke:var(--fg,#333);stroke-opacity:.5}}\
             .tl-track{{fill:var(--fg,#333);fill-opacity:.07}}\
             .tl-slice{{stroke:var(--bg,#fff);stroke-width:.6}}\
             .tl-small{{font-size:11px}}</style>"
        );
        let _ = writeln!(s, "<title>{}</title>", escape(figure.title));
        let _ = writeln!(
            s,
            "<text class=\"tl-fg\" x=\"0\" y=\"16\" font-size=\"14\" \
             font-weight=\"bold\">{}</text>",
            escape(figure.title)
        );
        let _ = writeln!(
            s,
            "<text class=\"tl-fg tl-small\" x=\"0\" y=\"33\" fill-opacity=\".8\">\
             {} · {}</text>",
            escape(figure.command),
            escape(machine)
        );
        for (i, lane) in lanes.iter().enumerate() {
            let y = TOP + i as f64 * (LANE + GAP);
            let _ =
                writeln!(s, "<g class=\"tl-lane\" data-lane=\"{}\">", escape(lane));
            let _ = writeln!(
                s,
                "<text class=\"tl-fg\" x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" \
                 text-anchor=\"end\">{}</text>",
                LABEL - 8.0,
                y + LANE / 2.0 + 4.0,
                escape(lane)
            );
            let _ = writeln!(
                s,
                "<rect class=\"tl-track\" x=\"{LABEL}\" y=\"{y:.1}\" width=\"{plot:.1}\" \
                 height=\"{LANE}\"/>"
            );
            // Longer slices first, so nested, shorter ones stay visible on top.
            let mut mine: Vec<&Slice> =
                self.slices.iter().filter(|sl| &sl.lane == lane).collect();
            mine.sort_by_key(|sl| {
                std::cmp::Reverse(sl.end.saturating_sub(sl.start))
            });
            for slice in mine {
                let colour = colours
                    .iter()
                    .find(|(k, _)| *k == slice.name)
                    .map_or(WAITING, |(_, c)| c);
                let left = x(slice.start);
                let width = (x(slice.end) - left).max(0.6);
                let _ = writeln!(
                    s,
                    "<rect class=\"tl-slice\" x=\"{left:.2}\" y=\"{:.1}\" \
                     width=\"{width:.2}\" height=\"{:.1}\" fill=\"{colour}\">\
                     <title>{}: {:.2}–{:.2} ms</title></rect>",
                    y + 1.0,
                    LANE - 2.0,
                    escape(&slice.name),
                    slice.start.as_secs_f64() * 1e3,
                    slice.end.as_secs_f64() * 1e3,
                );
            }
            let _ = writeln!(s, "</g>");
        }
        // The time axis.
        let _ = writeln!(
            s,
            "<line class=\"tl-line\" x1=\"{LABEL}\" y1=\"{axis_y:.1}\" \
             x2=\"{:.1}\" y2=\"{axis_y:.1}\"/>",
            LABEL + plot
        );
        let step = tick_step(total, 6.0);
        let mut tick = 0.0;
        while tick <= total * 1.0001 {
            let tx = LABEL + tick / total * plot;
            let _ = writeln!(
                s,
                "<line class=\"tl-line\" x1=\"{tx:.1}\" y1=\"{axis_y:.1}\" \
                 x2=\"{tx:.1}\" y2=\"{:.1}\"/><text class=\"tl-fg tl-small\" \
                 x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                axis_y + 4.0,
                axis_y + 16.0,
                format_tick(tick, step)
            );
            tick += step;
        }
        // The legend.
        for ((kind, colour), (lx, ly)) in colours.iter().zip(keys) {
            let _ = writeln!(
                s,
                "<g class=\"tl-key\"><rect x=\"{lx:.1}\" y=\"{:.1}\" width=\"12\" \
                 height=\"12\" fill=\"{colour}\"/><text class=\"tl-fg\" \
                 x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{}</text></g>",
                ly - 10.0,
                lx + 17.0,
                ly,
                escape(kind)
            );
        }
        let _ = write!(s, "</svg>");
        s
    }

    /// The recording as Chrome trace events (the JSON object format): one
    /// thread per lane, named by metadata events, and a complete (`X`) event
    /// per slice, in microseconds.
    pub fn chrome_trace(&self, figure: &Figure<'_>, machine: &str) -> String {
        let lanes = self.lanes();
        let json = |text: &str| {
            let mut out = String::from("\"");
            for c in text.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    c if (c as u32) < 0x20 => {
                        let _ = write!(out, "\\u{:04x}", c as u32);
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        };
        let mut events: Vec<String> = vec![format!(
            "{{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\
             \"args\":{{\"name\":{}}}}}",
            json(figure.title)
        )];
        for (i, lane) in lanes.iter().enumerate() {
            events.push(format!(
                "{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":{},\
                 \"args\":{{\"name\":{}}}}}",
                i + 1,
                json(lane)
            ));
            events.push(format!(
                "{{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":1,\"tid\":{},\
                 \"args\":{{\"sort_index\":{i}}}}}",
                i + 1
            ));
        }
        let mut sorted: Vec<&Slice> = self.slices.iter().collect();
        sorted.sort_by_key(|s| s.start);
        for slice in sorted {
            let tid = lanes.iter().position(|l| *l == slice.lane).unwrap_or(0) + 1;
            events.push(format!(
                "{{\"name\":{},\"cat\":\"timeline\",\"ph\":\"X\",\"pid\":1,\
                 \"tid\":{tid},\"ts\":{:.3},\"dur\":{:.3}}}",
                json(&slice.name),
                slice.start.as_secs_f64() * 1e6,
                slice.end.saturating_sub(slice.start).as_secs_f64() * 1e6
            ));
        }
        format!(
            "{{\"displayTimeUnit\":\"ms\",\"otherData\":{{\"command\":{},\
             \"machine\":{}}},\"traceEvents\":[\n{}\n]}}\n",
            json(figure.command),
            json(machine),
            events.join(",\n")
        )
    }
}
