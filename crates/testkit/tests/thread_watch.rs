//! `ThreadWatch` tells a thread blocked in the kernel from one that runs.
#![cfg(target_os = "linux")]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use testkit::ThreadWatch;

#[test]
fn a_thread_blocked_in_recv_is_seen_asleep() {
    let (watch_tx, watch_rx) = mpsc::channel();
    let (go, wait) = mpsc::channel::<()>();
    let blocked = thread::spawn(move || {
        watch_tx
            .send(ThreadWatch::this_thread())
            .expect("the test is listening");
        wait.recv().expect("the test sends go");
    });
    let watch = watch_rx.recv().expect("the thread sends its watch");
    assert!(
        watch.wait_until_asleep(Duration::from_secs(5)),
        "a thread blocked in recv is asleep in the kernel"
    );
    assert_eq!(watch.state(), Some('S'), "and stays so while it waits");
    go.send(()).expect("the thread is waiting");
    blocked.join().expect("the thread ends");
    // The kernel removes a thread's entry a moment after `join` returns.
    assert!(
        testkit::eventually(Duration::from_secs(5), || watch.state().is_none()),
        "an ended thread has no state, still {:?}",
        watch.state()
    );
}

#[test]
fn a_spinning_thread_is_not_seen_asleep() {
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        let (watch_tx, watch_rx) = mpsc::channel();
        let stop = &stop;
        s.spawn(move || {
            watch_tx
                .send(ThreadWatch::this_thread())
                .expect("the test is listening");
            while !stop.load(Ordering::Relaxed) {
                std::hint::spin_loop();
            }
        });
        let watch = watch_rx.recv().expect("the thread sends its watch");
        let seen = watch.wait_until_asleep(Duration::from_millis(100));
        stop.store(true, Ordering::Relaxed);
        assert!(!seen, "a thread that never blocks is never asleep");
    });
}
