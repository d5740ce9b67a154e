//! `cargo course bench process-pool`: what a process pool costs beside a
//! thread pool: starting it, each job, and each megabyte of argument.
//!
//! The thread pool is a small channel-fed one written here, the shape of
//! chapter 9's, so that both pools do the same work the same way: one queue,
//! N workers, results matched to jobs by index.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use process_pool::{Output, ProcessPoolExecutor, Record, Task};
use testkit::bench;

const WORKERS: usize = 4;
const JOBS: u64 = 1_000;
/// 131,072 numbers of 8 bytes: 1 MiB in memory.
const NUMBERS: usize = 131_072;

fn main() {
    let program = Path::new(env!("CARGO_BIN_EXE_pool-worker"));
    let grace = Duration::from_secs(2);

    let group = "start a pool of 4 and run its first task (Rust)";
    bench::time(
        group,
        "process pool: new, Square(12), shutdown",
        bench::median(11, || {
            let pool = ProcessPoolExecutor::new(program, WORKERS)
                .expect("the benchmark's workers start");
            assert_eq!(pool.map([Task::Square(12)]), [Ok(Output::Number(144))]);
            pool.shutdown(grace);
        }),
    );
    bench::time(
        group,
        "thread pool: new, 12 * 12, shutdown",
        bench::median(11, || {
            let pool = ThreadPool::new(WORKERS);
            assert_eq!(pool.map(vec![12_u64], |n| n * n), [144]);
        }),
    );

    let group = "1,000 tiny jobs on a running pool of 4 (Rust)";
    let processes = ProcessPoolExecutor::new(program, WORKERS)
        .expect("the benchmark's workers start");
    let threads = ThreadPool::new(WORKERS);
    let per_job = |total: Duration| total.as_secs_f64() * 1e6 / JOBS as f64;
    let process_total = bench::median(11, || {
        let results = processes.map((0..JOBS).map(Task::Square));
        assert!(results.iter().all(Result::is_ok), "a Square job failed");
    });
    let thread_total = bench::median(11, || {
        let results = threads.map((0..JOBS).collect(), |n| n * n);
        assert_eq!(results.len(), JOBS as usize);
    });
    bench::time(group, "process pool: map(Square)", process_total);
    bench::time(group, "thread pool: map(n * n)", thread_total);
    bench::value(group, "process pool, per job", per_job(process_total), "µs");
    bench::value(group, "thread pool, per job", per_job(thread_total), "µs");

    let group = "a 1 MiB argument: 131,072 f64 (Rust)";
    let big = Record {
        name: "big".into(),
        values: (0..NUMBERS).map(|i| i as f64 * 1.1).collect(),
        tags: BTreeMap::new(),
        parent: None,
    };
    let json = serde_json::to_vec(&big).expect("a record serializes");
    bench::time(
        group,
        "process pool: there and back (Echo)",
        bench::median(11, || {
            let results = processes.map([Task::Echo(big.clone())]);
            assert!(matches!(&results[..], [Ok(Output::Echo(_))]));
        }),
    );
    bench::time(
        group,
        "serde_json alone: serialize + parse, once",
        bench::median(11, || {
            let text = serde_json::to_vec(&big).expect("a record serializes");
            let back: Record = serde_json::from_slice(&text).expect("and parses");
            std::hint::black_box(back);
        }),
    );
    bench::time(
        group,
        "thread pool: there and back (a move)",
        bench::median(11, || {
            let results = threads.map(vec![big.clone()], |record| record);
            std::hint::black_box(results);
        }),
    );
    bench::value(
        group,
        "its size as JSON",
        json.len() as f64 / (1024.0 * 1024.0),
        "MiB",
    );
    bench::note(
        group,
        "the process pool serializes the record twice and parses it twice (there \
         and back) and copies it through two pipes; the thread pool rows include \
         the same clone of the record, and move it",
    );
    processes.shutdown(grace);
}

type Chore = Box<dyn FnOnce() + Send>;

/// A fixed set of threads that take boxed closures from one queue.
struct ThreadPool {
    queue: Option<Sender<Chore>>,
    threads: Vec<JoinHandle<()>>,
}

impl ThreadPool {
    fn new(size: usize) -> ThreadPool {
        let (queue, chores) = mpsc::channel::<Chore>();
        let chores = Arc::new(Mutex::new(chores));
        let threads = (0..size)
            .map(|_| {
                let chores = Arc::clone(&chores);
                thread::spawn(move || {
                    loop {
                        let next = chores
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .recv();
                        match next {
                            Ok(chore) => chore(),
                            Err(_) => return,
                        }
                    }
                })
            })
            .collect();
        ThreadPool {
            queue: Some(queue),
            threads,
        }
    }

    /// Runs `work` on every item and returns the results in input order.
    fn map<T, R>(&self, items: Vec<T>, work: fn(T) -> R) -> Vec<R>
    where
        T: Send + 'static,
        R: Send + 'static,
    {
        let (reply, results) = mpsc::channel();
        let count = items.len();
        let queue = self.queue.as_ref().expect("the pool is open");
        for (index, item) in items.into_iter().enumerate() {
            let reply = reply.clone();
            let chore: Chore = Box::new(move || {
                let _ = reply.send((index, work(item)));
            });
            queue.send(chore).expect("the pool's threads are running");
        }
        drop(reply);
        let mut slots: Vec<Option<R>> = (0..count).map(|_| None).collect();
        for (index, result) in results {
            slots[index] = Some(result);
        }
        slots
            .into_iter()
            .map(|slot| slot.expect("every chore answers"))
            .collect()
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        drop(self.queue.take());
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}
