//! `cargo course timeline async_io`: ten requests to the local delay server
//! through the solution's `run_all`, at most three at a time, all on one
//! thread, drawn from a real run. A task's lane shows the stretch it spent
//! waiting for its reply; the single thread ran the others meanwhile.

use std::time::Duration;

use testkit::http::FixtureServer;
use timeline::Figure;
use tracing::info_span;

use async_io::{get, run_all};

fn main() -> std::io::Result<()> {
    let server = FixtureServer::start();
    let addr = server.addr();
    const DELAYS: [u64; 10] = [40, 20, 30, 20, 40, 10, 30, 20, 10, 30];

    let (done, recording) = timeline::record(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime can be built");
        let jobs: Vec<_> = DELAYS
            .into_iter()
            .enumerate()
            .map(|(i, ms)| async move {
                // A span that is created and dropped but never entered
                // covers the whole wait, across the `.await`.
                let waiting = info_span!("task waiting for its reply", lane = %format!("task {i}"));
                let reply = get(addr, &format!("/delay/{ms}")).await;
                drop(waiting);
                reply
            })
            .collect();
        let _thread = info_span!("the runtime's one thread, in block_on").entered();
        runtime.block_on(run_all(jobs, 3, Duration::from_secs(5)))
    });
    assert!(
        done.iter().all(|(_, r)| matches!(r, Ok(Ok(_)))),
        "every request is answered"
    );
    recording.write(&Figure {
        name: "async_io",
        title: "Ten requests as tokio tasks, at most 3 at once, on one thread",
        command: "cargo course timeline async_io",
        axis: None,
    })?;
    Ok(())
}
