//! Progress bars for the engine's events (stderr, only on a terminal, off with --quiet).

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pgark_engine::{Event, Progress};

/// Renders engine events as one progress bar per stage.
pub struct Bars {
    enabled: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Bars {
    /// Bars on stderr when it is a terminal and `quiet` is off.
    pub fn new(quiet: bool) -> Bars {
        Bars { enabled: !quiet && std::io::stderr().is_terminal(), bar: Mutex::new(None) }
    }
}

impl Progress for Bars {
    fn event(&self, event: Event) {
        if !self.enabled {
            return;
        }
        let mut slot = self.bar.lock().expect("progress lock");
        match event {
            Event::Begin { stage, total, bytes } => {
                if let Some(old) = slot.take() {
                    old.finish_and_clear();
                }
                let template = if bytes {
                    "{msg:>32} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta} {prefix}"
                } else {
                    "{msg:>32} [{bar:30}] {pos}/{len} {prefix}"
                };
                let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                bar.set_style(ProgressStyle::with_template(template).expect("valid template").progress_chars("=> "));
                bar.set_message(stage.label());
                *slot = Some(bar);
            }
            Event::Advance { amount } => {
                if let Some(bar) = slot.as_ref() {
                    bar.inc(amount);
                    // A dump's total is an estimate: grow it rather than overflow.
                    if bar.length().is_some_and(|len| bar.position() > len) {
                        bar.set_length(bar.position());
                    }
                }
            }
            Event::Detail { text } => {
                if let Some(bar) = slot.as_ref() {
                    bar.set_prefix(text);
                }
            }
            Event::End => {
                if let Some(bar) = slot.take() {
                    bar.finish_and_clear();
                }
            }
        }
    }
}
