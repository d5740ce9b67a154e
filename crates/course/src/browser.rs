//! The book checked as a reader sees it: served on loopback, opened in
//! headless Chromium, page by page.
//!
//! No browser-automation crate is needed: the server adds one page of its
//! own, `__course_check.html`, which opens every chapter in an iframe,
//! inspects it with the browser's own APIs (computed styles, the resource
//! timing list, mdBook's search) and writes its findings into the page.
//! `chromium --dump-dom` prints that page once its script is done. The
//! server, meanwhile, notes every request it could not answer.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crate::proc;
use crate::repo::Exercise;

/// The browsers this check knows how to drive, most likely first.
const BROWSERS: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

pub fn find_browser() -> Option<&'static str> {
    BROWSERS.into_iter().find(|b| proc::exists(b))
}

/// Flags for a headless run that reaches nothing beyond loopback and leaves
/// nothing behind: no first-run tasks, no background or update traffic, a
/// fresh profile.
fn browser(program: &str, profile: &Path) -> Command {
    let mut command = Command::new(program);
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ]);
    command.arg(format!("--user-data-dir={}", profile.display()));
    command
}

struct Server {
    url: String,
    missing: Arc<Mutex<Vec<String>>>,
    server: Arc<tiny_http::Server>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css",
        Some("js") => "application/javascript",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("ttf") => "font/ttf",
        _ => "application/octet-stream",
    }
}

/// Serves `dir` on 127.0.0.1, plus the check page, on a thread of its own.
fn serve(dir: PathBuf, check_page: String) -> Result<Server, String> {
    let server = Arc::new(
        tiny_http::Server::http("127.0.0.1:0")
            .map_err(|e| format!("cannot serve the book on loopback: {e}"))?,
    );
    let port = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .ok_or("the book server has no IP address")?;
    let missing = Arc::new(Mutex::new(Vec::new()));
    let (requests, noted) = (Arc::clone(&server), Arc::clone(&missing));
    let check_page = Arc::new(check_page);
    let thread = thread::spawn(move || {
        for request in requests.incoming_requests() {
            // A thread per request: a browser keeps several connections
            // open, and one slow answer must not hold up the others.
            let (dir, noted, check_page) =
                (dir.clone(), Arc::clone(&noted), Arc::clone(&check_page));
            thread::spawn(move || answer(request, &dir, &noted, &check_page));
        }
    });
    Ok(Server {
        url: format!("http://127.0.0.1:{port}"),
        missing,
        server,
        thread: Some(thread),
    })
}

fn answer(
    request: tiny_http::Request,
    dir: &Path,
    noted: &Mutex<Vec<String>>,
    check_page: &str,
) {
    let path = request
        .url()
        .split(['?', '#'])
        .next()
        .unwrap_or("/")
        .to_owned();
    let respond = |request: tiny_http::Request, bytes: Vec<u8>, kind: &str| {
        let header = tiny_http::Header::from_bytes("Content-Type", kind)
            .expect("a valid header");
        let _ = request
            .respond(tiny_http::Response::from_data(bytes).with_header(header));
    };
    // The pages this check adds to the book.
    let own = match path.as_str() {
        "/__course_check.html" => Some(check_page),
        "/__course_shot.html" => Some(SHOT_PAGE),
        _ => None,
    };
    if let Some(page) = own {
        respond(
            request,
            page.as_bytes().to_vec(),
            "text/html; charset=utf-8",
        );
        return;
    }
    let relative = path.trim_start_matches('/');
    let mut file = dir.join(relative);
    if relative.is_empty() || file.is_dir() {
        file = file.join("index.html");
    }
    let safe = !relative.split('/').any(|part| part == "..");
    match fs::read(&file) {
        Ok(bytes) if safe => respond(request, bytes, content_type(&file)),
        _ => {
            noted.lock().unwrap_or_else(|e| e.into_inner()).push(path);
            let _ = request.respond(tiny_http::Response::empty(404));
        }
    }
}

/// What to expect of one page.
struct Expect {
    page: String,
    exercise: Option<(String, String)>,
    search: Option<String>,
}

fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn check_page(pages: &[Expect]) -> String {
    let list: Vec<String> = pages
        .iter()
        .map(|p| {
            let (exercise, command) = p
                .exercise
                .as_ref()
                .map(|(e, c)| (json_string(e), json_string(c)))
                .unwrap_or(("null".into(), "null".into()));
            format!(
                "{{\"page\":{},\"exercise\":{exercise},\"command\":{command},\"search\":{}}}",
                json_string(&p.page),
                p.search.as_deref().map_or("null".into(), json_string)
            )
        })
        .collect();
    CHECK_PAGE.replace("PAGES_JSON", &format!("[{}]", list.join(",")))
}

const CHECK_PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>book check</title></head>
<body>
<pre id="result">RUNNING</pre>
<iframe id="frame" style="width:1280px;height:900px"></iframe>
<script>
const pages = PAGES_JSON;
const frame = document.getElementById('frame');
const sleep = ms => new Promise(r => setTimeout(r, ms));
function open(src) {
  return new Promise(resolve => {
    frame.onload = () => resolve();
    frame.src = src;
  });
}
async function until(test, ms) {
  for (let waited = 0; waited < ms; waited += 50) {
    if (test()) return true;
    await sleep(50);
  }
  return test();
}
function rgb(text) {
  const [r, g, b] = (text.match(/[\d.]+/g) || [0, 0, 0]).map(Number);
  return [r, g, b];
}
function luminance([r, g, b]) {
  const lin = c => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}
function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}
// Every timeline is drawn at a readable size, has slices, and keeps its
// text and its slices visible in a light and a dark theme.
function checkTimelines(doc, win, say) {
  const figures = [...doc.querySelectorAll('svg.timeline')];
  const html = doc.documentElement;
  const before = html.className;
  for (const theme of ['light', 'navy']) {
    html.classList.remove('light', 'rust', 'coal', 'navy', 'ayu');
    html.classList.add(theme);
    // The first element up from the figures that paints a background.
    const painted = [doc.querySelector('main'), doc.querySelector('.page'), doc.body, html]
      .filter(Boolean)
      .map(el => win.getComputedStyle(el).backgroundColor)
      .find(c => !/^rgba\(.*,\s*0\)$/.test(c) && c !== 'transparent') || 'rgb(255, 255, 255)';
    const bg = rgb(painted);
    figures.forEach((svg, i) => {
      const name = 'timeline ' + (i + 1) + ' (' + (svg.getAttribute('aria-label') || '?') + ')';
      const box = svg.getBoundingClientRect();
      if (box.width < 400 || box.height < 80) {
        say(name + ' is drawn ' + Math.round(box.width) + '×' + Math.round(box.height) + ' px: too small to read');
      }
      const slices = [...svg.querySelectorAll('.tl-lane .tl-slice')];
      if (slices.length === 0) say(name + ' has no slices');
      const text = svg.querySelector('.tl-fg');
      const ink = text ? contrast(rgb(win.getComputedStyle(text).fill), bg) : 0;
      if (ink < 4.5) {
        say(name + ': its text has a contrast of ' + ink.toFixed(1) + ' against the ' + theme + ' theme (4.5 needed)');
      }
      for (const slice of slices) {
        const c = contrast(rgb(win.getComputedStyle(slice).fill), bg);
        if (c < 2) {
          say(name + ': a slice coloured ' + slice.getAttribute('fill') + ' nearly vanishes in the ' + theme + ' theme (contrast ' + c.toFixed(1) + ')');
          break;
        }
      }
    });
  }
  html.className = before;
}
(async () => {
  const problems = [];
  for (const p of pages) {
    await open(p.page);
    await sleep(200);
    const doc = frame.contentDocument, win = frame.contentWindow;
    const say = text => problems.push(p.page + ': ' + text);
    if (doc.querySelector('code.language-admonish')) {
      say('an admonition is raw markup: the admonish preprocessor did not run');
    }
    for (const box of doc.querySelectorAll('.admonition')) {
      const style = win.getComputedStyle(box);
      const edge = parseFloat(style.borderInlineStartWidth) || parseFloat(style.borderLeftWidth);
      if (!(edge > 0)) {
        say('an admonition has no admonish style (is theme/mdbook-admonish.css loaded?)');
        break;
      }
    }
    if (p.exercise) {
      const boxes = [...doc.querySelectorAll('.admonition.admonish-example')];
      const box = boxes.find(b => b.textContent.includes('Your exercise: ' + p.exercise));
      if (!box) say('no "Your exercise: ' + p.exercise + '" box');
      else if (!box.textContent.includes(p.command)) say('the exercise box does not say `' + p.command + '`');
    }
    checkTimelines(doc, win, say);
    for (const entry of win.performance.getEntriesByType('resource')) {
      const url = new URL(entry.name);
      if (url.origin !== location.origin) say('needs the internet for ' + entry.name);
    }
  }
  for (const p of pages.filter(p => p.search)) {
    await open('index.html?search=' + encodeURIComponent(p.search));
    const doc = () => frame.contentDocument;
    const found = await until(() => [...doc().querySelectorAll('#searchresults a')]
      .some(a => (a.getAttribute('href') || '').startsWith(p.page)), 5000);
    if (!found) problems.push(p.page + ': searching for "' + p.search + '" does not find it');
  }
  document.getElementById('result').textContent = 'CHECKED\n' + problems.join('\n');
})();
</script>
</body></html>
"#;

/// A page for a screenshot of one chapter's "See it run" section in one
/// theme: `__course_shot.html?page=03_threads.html&theme=navy`. It picks the
/// theme the way a reader does (mdBook keeps it in local storage), opens the
/// chapter in a frame and scrolls the section to the top.
const SHOT_PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>screenshot</title>
<style>body{margin:0}iframe{border:0;width:1280px;height:1400px}</style></head>
<body><iframe id="frame"></iframe>
<script>
const query = new URLSearchParams(location.search);
localStorage.setItem('mdbook-theme', query.get('theme'));
const frame = document.getElementById('frame');
frame.onload = () => {
  const heading = frame.contentDocument.getElementById('see-it-run');
  if (heading) heading.scrollIntoView();
};
frame.src = query.get('page');
</script></body></html>
"#;

/// Checks every page in the browser and saves a screenshot of each
/// chapter. Returns a summary, or the problems found.
pub fn check(
    root: &Path,
    book: &Path,
    exercises: &[Exercise],
) -> Result<String, String> {
    let Some(program) = find_browser() else {
        return Err("SKIPPED".into());
    };
    let mut pages: Vec<Expect> = Vec::new();
    for entry in
        fs::read_dir(book).map_err(|e| format!("cannot read the built book: {e}"))?
    {
        let name = entry
            .map_err(|e| e.to_string())?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if !name.ends_with(".html")
            || matches!(name.as_str(), "404.html" | "print.html" | "toc.html")
        {
            continue;
        }
        let exercise = exercises.iter().find(|e| name == format!("{}.html", e.dir));
        pages.push(Expect {
            exercise: exercise.map(|e| {
                (
                    format!("exercises/{}", e.dir),
                    format!("cargo test -p {}", e.package),
                )
            }),
            search: exercise.map(|e| e.title(root)),
            page: name,
        });
    }
    pages.sort_by(|a, b| a.page.cmp(&b.page));
    let server = serve(book.to_path_buf(), check_page(&pages))?;
    let scratch = root.join("target/course/browser");
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;

    // Headless Chromium now and then never finishes a --dump-dom run (it
    // waits on its virtual clock for ever); a fresh try with a fresh
    // profile does. A verdict comes only from a run that finished.
    let mut findings = None;
    let mut last_output = String::new();
    for attempt in 1..=3 {
        let mut command =
            browser(program, &scratch.join(format!("profile-check-{attempt}")));
        command
            .args(["--virtual-time-budget=60000", "--dump-dom"])
            .arg(format!("{}/__course_check.html", server.url));
        let run = proc::run(&mut command, Duration::from_secs(45))?;
        if let Some((_, rest)) = run.output.split_once("CHECKED") {
            findings = Some(rest.split("</pre>").next().unwrap_or("").to_owned());
            break;
        }
        last_output = run.output;
    }
    let Some(findings) = findings else {
        return Err(format!(
            "{program} did not finish the check page in three tries:\n{}",
            last_output
                .lines()
                .rev()
                .take(10)
                .collect::<Vec<_>>()
                .join("\n")
        ));
    };
    let mut problems: Vec<String> = findings
        .lines()
        .map(|l| html_unescape(l.trim()))
        .filter(|l| !l.is_empty())
        .collect();

    // Screenshots of each chapter, for a person to look at: its top, and its
    // "See it run" section in both themes.
    let shots = root.join("target/course/screenshots");
    fs::create_dir_all(&shots).map_err(|e| e.to_string())?;
    for exercise in exercises {
        let page = format!("{}.html", exercise.dir);
        if !pages.iter().any(|p| p.page == page) {
            continue;
        }
        let png = shots.join(format!("{}.png", exercise.dir));
        let mut command =
            browser(program, &scratch.join(format!("profile-{}", exercise.dir)));
        command
            .args(["--window-size=1280,2200", "--virtual-time-budget=5000"])
            .arg(format!("--screenshot={}", png.display()))
            .arg(format!("{}/{page}", server.url));
        let shot = proc::run(&mut command, Duration::from_secs(60))?;
        if !png.exists() {
            problems
                .push(format!("{page}: no screenshot was taken\n{}", shot.output));
        }
        // Its timelines, in a light and a dark theme.
        for theme in ["light", "navy"] {
            let png = shots.join(format!("{}-see_it_run-{theme}.png", exercise.dir));
            let mut command = browser(
                program,
                &scratch.join(format!("profile-{}-{theme}", exercise.dir)),
            );
            command
                .args(["--window-size=1280,1400", "--virtual-time-budget=5000"])
                .arg(format!("--screenshot={}", png.display()))
                .arg(format!(
                    "{}/__course_shot.html?page={page}&theme={theme}",
                    server.url
                ));
            let shot = proc::run(&mut command, Duration::from_secs(60))?;
            if !png.exists() {
                problems.push(format!(
                    "{page}: no screenshot of its timelines in the {theme} theme\n{}",
                    shot.output
                ));
            }
        }
    }

    let missing = server
        .missing
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    // Chromium asks every site for /favicon.ico by itself; mdBook's pages
    // name their own icons, and those are checked like any other asset.
    for path in missing.into_iter().filter(|p| p != "/favicon.ico") {
        problems.push(format!("the book asked for {path}, which does not exist"));
    }
    if problems.is_empty() {
        Ok(format!(
            "{} pages render styled, with their exercise boxes, found by search, offline; screenshots in {}",
            pages.len(),
            shots.strip_prefix(root).unwrap_or(&shots).display()
        ))
    } else {
        Err(problems.join("\n"))
    }
}

fn html_unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
