//! What travels through a worker's pipes: run with
//! `cargo run --example wire` in `solutions/`.
//!
//! A request is serialized to one line of JSON, and the worker's `serve`
//! loop (run here in this process, on in-memory buffers) answers each line
//! with one line.

use std::collections::BTreeMap;
use std::io::Cursor;

use process_pool::{Record, Request, Response, Task, serve};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // ANCHOR: wire
    let record = Record {
        name: "sensor \"7\"".into(),
        values: vec![0.5, 2.25],
        tags: BTreeMap::from([("unit".into(), "°C".into())]),
        parent: None,
    };
    let requests = [
        Request {
            id: 0,
            task: Task::Square(12),
        },
        Request {
            id: 1,
            task: Task::Echo(record),
        },
        Request {
            id: 2,
            task: Task::Fail("no such customer".into()),
        },
    ];
    let mut input = Vec::new();
    for request in &requests {
        serde_json::to_writer(&mut input, request)?; // the pickling step
        input.push(b'\n');
    }
    print!("to the worker:\n{}", String::from_utf8(input.clone())?);

    let mut output = Vec::new();
    serve(Cursor::new(input), &mut output)?; // the worker's loop
    print!("from the worker:\n{}", String::from_utf8(output.clone())?);

    for line in output.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let response: Response = serde_json::from_slice(line)?; // unpickling
        println!("job {}: {:?}", response.id, response.output);
    }
    // ANCHOR_END: wire
    Ok(())
}
