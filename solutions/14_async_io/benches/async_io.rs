//! `cargo course bench async`: many waits as tokio tasks and as OS threads,
//! many loopback requests both ways, and blocking calls made from async code
//! with and without `spawn_blocking`.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::thread;
use std::time::Duration;

use async_io::{blocking_get, fetch_all, run_blocking};
use testkit::bench;
use tokio::runtime::{Builder, Runtime};
use tokio::task::JoinSet;

const WAIT: Duration = Duration::from_millis(100);

/// The fixture server in a process of its own: 500 connections need as many
/// file descriptors on each side, which one process might not be allowed.
struct Server {
    addr: SocketAddr,
    process: Child,
    stdin: Option<ChildStdin>,
}

impl Server {
    fn start() -> Server {
        let mut process = Command::new(env!("CARGO_BIN_EXE_fixture-server"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the fixture-server program");
        let stdin = process.stdin.take();
        let mut line = String::new();
        BufReader::new(process.stdout.take().expect("its stdout is piped"))
            .read_line(&mut line)
            .expect("read the fixture server's address");
        let addr = line
            .trim()
            .trim_start_matches("http://")
            .parse()
            .expect("the fixture server prints http://127.0.0.1:PORT");
        Server {
            addr,
            process,
            stdin,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take()); // the server stops when its stdin closes
        let _ = self.process.wait();
    }
}

/// This process's resident memory in MiB, where /proc tells it (Linux).
fn resident_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Starts `n` tokio tasks that each wait `wait`, and waits for all of them;
/// `probe` is called once all of them are waiting.
fn tokio_waits(runtime: &Runtime, n: usize, wait: Duration, probe: impl FnOnce()) {
    runtime.block_on(async {
        let started = Arc::new(AtomicUsize::new(0));
        let mut tasks = JoinSet::new();
        for _ in 0..n {
            let started = Arc::clone(&started);
            tasks.spawn(async move {
                started.fetch_add(1, SeqCst);
                tokio::time::sleep(wait).await;
            });
        }
        while started.load(SeqCst) < n {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        probe();
        while let Some(done) = tasks.join_next().await {
            done.expect("a waiting task panicked");
        }
    });
}

/// Starts `n` OS threads that each sleep `wait`, and joins them all;
/// `probe` is called once all of them are sleeping.
fn thread_waits(n: usize, wait: Duration, probe: impl FnOnce()) {
    let started = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let started = Arc::clone(&started);
            thread::spawn(move || {
                started.fetch_add(1, SeqCst);
                thread::sleep(wait);
            })
        })
        .collect();
    while started.load(SeqCst) < n {
        thread::sleep(Duration::from_millis(1));
    }
    probe();
    for t in threads {
        t.join().expect("a sleeping thread panicked");
    }
}

fn memory_while_waiting(
    group: &str,
    label: &str,
    run: impl FnOnce(&mut dyn FnMut()),
) {
    let before = resident_mib();
    let mut during = None;
    run(&mut || during = resident_mib());
    if let (Some(before), Some(during)) = (before, during) {
        let grew = ((during - before).max(0.0) * 10.0).round() / 10.0;
        bench::value(group, label, grew, "MiB more memory while waiting");
    }
}

fn main() {
    let runtime = Runtime::new().expect("start tokio's multi-threaded runtime");

    let group = "many waits of 100 ms at once";
    // Memory first, while the allocator holds nothing it could reuse, with
    // waits of a second so that every one is still waiting when it is read.
    let second = Duration::from_secs(1);
    memory_while_waiting(group, "tokio: 10,000 tasks", |probe| {
        tokio_waits(&runtime, 10_000, second, probe)
    });
    memory_while_waiting(group, "OS threads: 1,000 threads", |probe| {
        thread_waits(1_000, second, probe)
    });
    let threads = bench::median(5, || thread_waits(1_000, WAIT, || {}));
    bench::time(group, "OS threads: 1,000 threads", threads);
    let tasks = bench::median(5, || tokio_waits(&runtime, 10_000, WAIT, || {}));
    bench::time(group, "tokio: 10,000 tasks", tasks);
    bench::note(
        group,
        "Both times end a little after 100 ms: the waits overlap. The tokio row \
         holds ten times as many waits, each a small object on the heap instead \
         of a thread with a stack of its own.",
    );

    let server = Server::start();
    let addr = server.addr;
    let group = "500 requests of 100 ms to the loopback server";
    let paths = vec!["/delay/100".to_owned(); 500];
    let failed = AtomicUsize::new(0);
    let threads = bench::median(5, || {
        let workers: Vec<_> = (0..500)
            .map(|_| thread::spawn(move || blocking_get(addr, "/delay/100").is_ok()))
            .collect();
        for w in workers {
            if !w.join().expect("a request thread panicked") {
                failed.fetch_add(1, SeqCst);
            }
        }
    });
    bench::time(group, "OS threads: 500 threads, blocking_get", threads);
    for limit in [500, 100] {
        let elapsed = bench::median(5, || {
            let done = runtime.block_on(fetch_all(
                addr,
                paths.clone(),
                limit,
                Duration::from_secs(30),
            ));
            let errors = done.iter().filter(|(_, outcome)| outcome.is_err()).count();
            failed.fetch_add(errors, SeqCst);
        });
        bench::time(group, &format!("tokio: fetch_all, limit {limit}"), elapsed);
    }
    bench::note(
        group,
        "If \"limit 500\" takes about a second more than the others, the server's \
         listen backlog (128 connections waiting to be accepted) overflowed: \
         tokio opened all 500 connections within a millisecond, the kernel \
         dropped the excess, and those clients tried again a second later. \
         Starting each thread spreads the threads' connections out. A limit \
         below the backlog avoids it: the semaphore protects the server too.",
    );
    if failed.load(SeqCst) > 0 {
        bench::note(
            group,
            &format!(
                "{} requests failed; if the error was \"too many open files\", raise \
                 the limit (ulimit -n 4096) and run again",
                failed.load(SeqCst)
            ),
        );
    }

    let group = "20 blocking requests of 100 ms from async code";
    let one_thread = Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("start a one-thread tokio runtime");
    let direct = bench::median(1, || {
        one_thread.block_on(async {
            let mut tasks = JoinSet::new();
            for _ in 0..20 {
                tasks.spawn(async move { blocking_get(addr, "/delay/100") });
            }
            while tasks.join_next().await.is_some() {}
        })
    });
    bench::time(group, "called inside the tasks (one thread)", direct);
    let offloaded = bench::median(5, || {
        one_thread.block_on(async {
            let mut tasks = JoinSet::new();
            for _ in 0..20 {
                tasks.spawn(run_blocking(move || blocking_get(addr, "/delay/100")));
            }
            while tasks.join_next().await.is_some() {}
        })
    });
    bench::time(group, "through run_blocking (spawn_blocking)", offloaded);
    bench::note(
        group,
        "A blocking call inside a task holds the runtime's thread, so the tasks \
         take turns; spawn_blocking moves each call to a thread of tokio's \
         blocking pool and the runtime only awaits it.",
    );
    drop(server);
}
