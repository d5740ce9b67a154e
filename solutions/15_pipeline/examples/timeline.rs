//! `cargo course timeline pipeline`: twelve documents through the solution's
//! `pipeline` (3 downloaders, 2 crunchers, a queue of 2), drawn from a real
//! run. The downloads are recorded where they happen, in a small loopback
//! server started here: one lane per download in flight at the same time.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, ThreadId};
use std::time::Duration;

use pipeline::{Config, checksum, pipeline};
use timeline::Figure;
use tracing::info_span;

const DOCS: usize = 12;
const DOC_BYTES: usize = 64 * 1024;

/// Takes the lowest free lane number, so that downloads at the same moment
/// sit on different lanes and a lane is reused once it is free.
fn take_slot(slots: &Mutex<Vec<bool>>) -> usize {
    let mut slots = slots.lock().unwrap_or_else(PoisonError::into_inner);
    match slots.iter().position(|busy| !busy) {
        Some(free) => {
            slots[free] = true;
            free
        }
        None => {
            slots.push(true);
            slots.len() - 1
        }
    }
}

/// Answers one `GET /doc/<ms>`: waits `ms` (a slow network) and sends a
/// document, inside a span on the lane of its slot.
fn answer(mut stream: TcpStream, slots: &Mutex<Vec<bool>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let ms: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|path| path.strip_prefix("/doc/"))
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(0);
    // The rest of the request head, up to its blank line.
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
    }
    let slot = take_slot(slots);
    {
        let lane = format!("download {}", slot + 1);
        let _serving = info_span!("downloading", lane = %lane).entered();
        thread::sleep(Duration::from_millis(ms));
    }
    // Freed before the answer leaves, so that the downloader's next request
    // cannot arrive while this slot still looks busy.
    slots.lock().unwrap_or_else(PoisonError::into_inner)[slot] = false;
    let body = vec![b'x'; DOC_BYTES];
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Length: {DOC_BYTES}\r\nConnection: close\r\n\r\n"
    )?;
    stream.write_all(&body)?;
    stream.flush()?;
    Ok(())
}

fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let slots = Arc::new(Mutex::new(Vec::new()));
    {
        let slots = Arc::clone(&slots);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let slots = Arc::clone(&slots);
                thread::spawn(move || {
                    let _ = answer(stream, &slots);
                });
            }
        });
    }
    let urls: Vec<String> = (0..DOCS)
        .map(|i| format!("http://{addr}/doc/{}", 15 + (i % 3) * 10))
        .collect();
    let config = Config {
        downloaders: 3,
        crunchers: 2,
        queue: 2,
    };
    // Crunchers are named in the order they first crunch.
    let crunchers: Mutex<Vec<ThreadId>> = Mutex::new(Vec::new());
    let (report, recording) = timeline::record(|| {
        pipeline(urls, config, |doc| {
            let me = thread::current().id();
            let n = {
                let mut seen =
                    crunchers.lock().unwrap_or_else(PoisonError::into_inner);
                match seen.iter().position(|t| *t == me) {
                    Some(n) => n,
                    None => {
                        seen.push(me);
                        seen.len() - 1
                    }
                }
            };
            let lane = format!("cruncher {}", n + 1);
            let _crunching = info_span!("crunching", lane = %lane).entered();
            checksum(doc, 150)
        })
    });
    assert_eq!(
        report.crunched, DOCS,
        "every document is crunched: {report:?}"
    );
    recording.write(&Figure {
        name: "pipeline",
        title: "A pipeline: 3 downloaders, a queue of 2, 2 crunchers, 12 documents",
        command: "cargo course timeline pipeline",
        axis: None,
    })?;
    Ok(())
}
