//! `cargo course timeline io_threads`: twelve requests to the local delay
//! server on three worker threads that share one agent, drawn from a real
//! run. Each worker takes URL after URL from a shared counter, the way the
//! solution's `fetch_as_completed` does, and its lane shows each stretch it
//! spent waiting for a reply. The workers here are the demonstration's own
//! copy of that loop (the solution carries no spans); the agent and every
//! request are the solution's `agent` and `fetch`.

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use testkit::http::FixtureServer;
use timeline::Figure;
use tracing::info_span;

use io_threads::{agent, fetch};

const WORKERS: usize = 3;
const DELAYS: [u64; 12] = [40, 20, 30, 20, 40, 10, 30, 20, 10, 30, 20, 40];

fn main() -> std::io::Result<()> {
    let server = FixtureServer::start();
    let urls: Vec<String> = DELAYS
        .iter()
        .map(|ms| server.url(&format!("/delay/{ms}")))
        .collect();

    let (outcomes, recording) = timeline::record(|| {
        let agent = agent(Duration::from_secs(5));
        let next = AtomicUsize::new(0);
        let (results, completed) = mpsc::channel();
        thread::scope(|s| {
            for w in 0..WORKERS {
                let (agent, results, urls, next) =
                    (agent.clone(), results.clone(), &urls, &next);
                thread::Builder::new()
                    .name(format!("fetch-{w}"))
                    .spawn_scoped(s, move || {
                        loop {
                            let i = next.fetch_add(1, Relaxed);
                            let Some(url) = urls.get(i) else { break };
                            let outcome = {
                                let _waiting =
                                    info_span!("worker: waiting for the reply")
                                        .entered();
                                fetch(&agent, url)
                            };
                            if results.send((i, outcome)).is_err() {
                                break;
                            }
                        }
                    })
                    .expect("a worker thread can be started");
            }
            drop(results);
            let _collecting =
                info_span!("main: taking results as they complete").entered();
            completed.iter().collect::<Vec<_>>()
        })
    });
    assert_eq!(outcomes.len(), DELAYS.len(), "every URL has an outcome");
    assert!(
        outcomes.iter().all(|(_, outcome)| outcome.is_ok()),
        "every request is answered"
    );
    recording.write(&Figure {
        name: "io_threads",
        title: "Twelve requests on 3 worker threads sharing one agent",
        command: "cargo course timeline io_threads",
        axis: None,
    })?;
    Ok(())
}
