//! A progress indicator on stderr for long runs (`--all` on a big tree,
//! `--range` over many commits).
//!
//! It shows only for a person watching a terminal: never when stderr is not
//! a terminal, never in CI (`CI`) or under pre-commit (`PRE_COMMIT`), whose
//! captured output must stay clean, and never with a machine format. It
//! appears only once a run has lasted a moment, so a quick pre-commit check
//! never flickers, and it is cleared before the report is written. A
//! thread reads the engine's atomic counters ([`crate::engine::Progress`]);
//! the engine never knows it is watched.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::Progress;

/// How long a run goes before the indicator appears.
const DELAY: Duration = Duration::from_millis(400);
/// How often it is redrawn.
const TICK: Duration = Duration::from_millis(100);

/// Whether to show progress, from the facts that decide it (kept apart
/// from the environment so the decision is testable).
pub fn wanted(stderr_is_terminal: bool, text_format: bool, env: impl Fn(&str) -> bool) -> bool {
    stderr_is_terminal && text_format && !env("CI") && !env("PRE_COMMIT")
}

/// [`wanted`] for this process: a set, non-empty variable that is not
/// `false` or `0` counts (`CI=false` is how some people turn it off).
pub fn wanted_here(text_format: bool) -> bool {
    wanted(std::io::stderr().is_terminal(), text_format, |k| {
        std::env::var_os(k).is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
    })
}

/// A running indicator; dropping it clears the line and stops the thread.
pub struct Ticker {
    stop: Option<mpsc::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

impl Ticker {
    /// Starts watching `progress` on a background thread.
    pub fn start(progress: Arc<Progress>) -> Ticker {
        let (tx, rx) = mpsc::channel::<()>();
        let handle = std::thread::Builder::new()
            .name("dbguard-progress".into())
            .spawn(move || watch(&progress, &rx))
            .ok();
        Ticker {
            stop: Some(tx),
            handle,
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn watch(progress: &Progress, stop: &mpsc::Receiver<()>) {
    let started = Instant::now();
    let mut bar: Option<ProgressBar> = None;
    // Until the sender says stop or is dropped.
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(TICK) {
        if started.elapsed() < DELAY {
            continue;
        }
        let bar = bar.get_or_insert_with(new_bar);
        let total = progress.total();
        if total == 0 {
            bar.set_message("reading git");
            bar.tick();
        } else {
            if bar.length() != Some(total as u64) {
                bar.set_length(total as u64);
                bar.set_style(counting_style());
                bar.set_message("checking");
            }
            bar.set_position(progress.done() as u64);
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

fn new_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} dbguard: {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar
}

fn counting_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{spinner} dbguard: {msg} {wide_bar} {human_pos}/{human_len} files [{elapsed}]",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_person_at_a_terminal_sees_progress() {
        let none = |_: &str| false;
        assert!(wanted(true, true, none));
        assert!(!wanted(false, true, none), "not a terminal");
        assert!(!wanted(true, false, none), "json, sarif or github");
        assert!(!wanted(true, true, |k| k == "CI"), "CI");
        assert!(!wanted(true, true, |k| k == "PRE_COMMIT"), "pre-commit");
    }

    #[test]
    fn a_ticker_stops_when_dropped() {
        let p = Arc::new(Progress::default());
        let t = Ticker::start(p.clone());
        drop(t);
        assert_eq!(Arc::strong_count(&p), 1, "the thread has ended");
    }
}
