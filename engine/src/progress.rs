//! Progress reporting: the engine emits events, the caller renders them (the CLI with progress
//! bars). The engine itself never prints.

/// A long-running stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Copying table data out of the server.
    Dump,
    /// Checking chunk hashes.
    Verify,
    /// Creating schemas, types and tables.
    PreData,
    /// Loading table data.
    Load,
    /// Building indexes and constraints.
    PostData,
}

impl Stage {
    /// A short label for display.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Dump => "dumping",
            Stage::Verify => "verifying",
            Stage::PreData => "creating schema",
            Stage::Load => "loading data",
            Stage::PostData => "building indexes and constraints",
        }
    }
}

/// What happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// A stage begins; `total` is in the stage's unit (bytes for data stages, items otherwise).
    /// A dump's total is an estimate (table sizes on disk) of the COPY bytes it then counts: a
    /// renderer grows it when the count passes it.
    Begin {
        /// The stage.
        stage: Stage,
        /// Total work, for a progress bar.
        total: u64,
        /// Whether `total` counts bytes.
        bytes: bool,
    },
    /// Some work of the current stage is done.
    Advance {
        /// Amount done, in the stage's unit.
        amount: u64,
    },
    /// What the current stage is working on now (a table, an index), for display.
    Detail {
        /// `schema.table`, or a statement's label.
        text: String,
    },
    /// Something the user should know that does not stop the work (a chunk copied again after a
    /// lost connection, a table left to one connection); printed even when progress is hidden.
    Warning {
        /// One line.
        text: String,
    },
    /// The current stage is over.
    End,
}

/// Receives events; implementations must be cheap and thread-safe.
pub trait Progress: Send + Sync {
    /// Called for every event.
    fn event(&self, event: Event);
}

/// A receiver that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn event(&self, _event: Event) {}
}
