//! Colour and symbols, only where they help: on a terminal, without
//! `NO_COLOR` (<https://no-color.org>).

use std::io::IsTerminal;

pub fn enabled() -> bool {
    std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn paint(code: &str, text: &str) -> String {
    if enabled() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

pub fn green(text: &str) -> String {
    paint("32", text)
}

pub fn red(text: &str) -> String {
    paint("31", text)
}

pub fn bold(text: &str) -> String {
    paint("1", text)
}

pub fn dim(text: &str) -> String {
    paint("2", text)
}

/// A progress bar of `width` cells, `done` of `total` filled. Plain ASCII
/// when colour is off, so it survives logs and pipes.
pub fn bar(done: usize, total: usize, width: usize) -> String {
    let filled = (done * width).checked_div(total).unwrap_or(0);
    if enabled() {
        format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
    } else {
        format!("[{}{}]", "#".repeat(filled), "-".repeat(width - filled))
    }
}
