//! Progress bars for the engine's events (stderr, only on a terminal, off with --quiet), or
//! with --verbose a timestamped log line for every stage, table and statement.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pgark_engine::{Event, Progress};

static VERBOSE: AtomicBool = AtomicBool::new(false);
static QUIET: AtomicBool = AtomicBool::new(false);

/// `-q`: nothing on standard output when a command succeeds (problems are still printed).
pub fn set_quiet(on: bool) {
    QUIET.store(on, Ordering::Relaxed);
}

/// Whether `-q` was given.
pub fn is_quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Turns the log on for the whole run (`--verbose`).
pub fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
}

/// Renders engine events as one progress bar per stage, or as log lines.
pub struct Bars {
    enabled: bool,
    bar: Mutex<Option<ProgressBar>>,
    log: Option<Mutex<Stage>>,
}

/// What the log knows of the current stage.
struct Stage {
    label: &'static str,
    started: Instant,
    done: u64,
    bytes: bool,
}

impl Bars {
    /// Bars on stderr when it is a terminal and `quiet` is off; log lines with `--verbose`.
    pub fn new(quiet: bool) -> Bars {
        let verbose = VERBOSE.load(Ordering::Relaxed);
        let log = verbose.then(|| Mutex::new(Stage { label: "", started: Instant::now(), done: 0, bytes: false }));
        Bars { enabled: !verbose && !quiet && std::io::stderr().is_terminal(), bar: Mutex::new(None), log }
    }

    fn log(&self, event: &Event) {
        let Some(stage) = &self.log else { return };
        let mut s = stage.lock().expect("log lock");
        let now = chrono::Utc::now().format("%H:%M:%S%.3f");
        match event {
            Event::Begin { stage, total, bytes } => {
                *s = Stage { label: stage.label(), started: Instant::now(), done: 0, bytes: *bytes };
                let total = if *bytes { crate::units::bytes(*total) } else { format!("{total} items") };
                eprintln!("[{now}] {}: begins ({total})", s.label);
            }
            Event::Advance { amount } => s.done += amount,
            Event::Detail { text } => eprintln!("[{now}] {}: {text}", s.label),
            Event::Warning { .. } => {}
            Event::End => {
                let done = if s.bytes { crate::units::bytes(s.done) } else { format!("{} items", s.done) };
                eprintln!("[{now}] {}: done, {done} in {}", s.label, crate::units::secs(s.started.elapsed()));
            }
        }
    }
}

impl Progress for Bars {
    fn event(&self, event: Event) {
        if let Event::Warning { text } = &event {
            match self.bar.lock().expect("progress lock").as_ref() {
                Some(bar) if self.enabled => bar.println(format!("warning: {text}")),
                _ => eprintln!("warning: {text}"),
            }
            return;
        }
        self.log(&event);
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
            Event::Warning { .. } => {}
            Event::End => {
                if let Some(bar) = slot.take() {
                    bar.finish_and_clear();
                }
            }
        }
    }
}
