//! An `RwLock` around data that many threads read and one rarely changes.
//! Run with `cargo run --example settings` in `solutions/`.

use std::sync::RwLock;
use std::thread;

// ANCHOR: rwlock
struct Settings {
    greeting: String,
}

fn greet(settings: &RwLock<Settings>, name: &str) -> String {
    // Shared: any number of readers at once, no writer meanwhile.
    let settings = settings.read().expect("not poisoned");
    format!("{}, {name}", settings.greeting)
}

fn change(settings: &RwLock<Settings>, greeting: &str) {
    // Exclusive: waits until every reader has dropped its guard.
    settings.write().expect("not poisoned").greeting = greeting.to_owned();
}
// ANCHOR_END: rwlock

fn main() {
    let settings = RwLock::new(Settings {
        greeting: "Hello".to_owned(),
    });
    thread::scope(|s| {
        for name in ["Ada", "Grace", "Barbara"] {
            let settings = &settings;
            s.spawn(move || println!("{}", greet(settings, name)));
        }
        change(&settings, "Welcome");
    });
    println!("{}", greet(&settings, "Edsger"));
}
