//! Objects a restore creates only where the target has what they need: items whose
//! `requires` name objects the archive does not hold (a partial dump), or that a table
//! selection leaves out (a foreign key to a table not restored). Each runs under a savepoint
//! (pre-data) or alone (post-data); when the server says something it needs does not exist,
//! the item is skipped with a warning naming it and what it lacks, and so is everything that
//! needs it (the data of a skipped table, the comment on a skipped view) — never a failed
//! restore for an object the archive said it might not be able to make.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio_postgres::error::SqlState;

use super::execute::describe;
use crate::archive::{Archive, DdlItem};
use crate::error::{Error, Result};
use crate::progress::{Event, Progress};

/// What a statement's failure means when something it needs is missing.
const MISSING: [SqlState; 7] = [
    SqlState::UNDEFINED_FUNCTION,
    SqlState::UNDEFINED_TABLE,
    SqlState::UNDEFINED_OBJECT,
    SqlState::UNDEFINED_COLUMN,
    SqlState::UNDEFINED_SCHEMA,
    SqlState::INVALID_FOREIGN_KEY,
    SqlState::WRONG_OBJECT_TYPE,
];

/// What an object already in the target looks like when a statement creates it again.
const DUPLICATE: [SqlState; 5] = [
    SqlState::DUPLICATE_OBJECT,
    SqlState::DUPLICATE_FUNCTION,
    SqlState::DUPLICATE_TABLE,
    SqlState::DUPLICATE_SCHEMA,
    SqlState::UNIQUE_VIOLATION,
];

/// The items a restore skipped, by position in the manifest, with why.
pub(super) struct Skips {
    skipped: Mutex<HashMap<u32, String>>,
    messages: Mutex<Vec<String>>,
    /// The archive restored, whose items `DdlItem::needs` names by position.
    archive: Arc<Archive>,
}

impl Skips {
    /// Skips of a restore of `archive`.
    pub fn new(archive: Arc<Archive>) -> Skips {
        Skips { skipped: Mutex::default(), messages: Mutex::default(), archive }
    }

    /// `creating X (it needs A, B)`: what a failed statement was doing and what it depended on.
    pub fn context(&self, item: &DdlItem) -> String {
        let items = &self.archive.manifest().items;
        let needs: Vec<String> = item.needs.iter().filter_map(|&j| items.get(j as usize)).map(DdlItem::label).collect();
        match needs.len() {
            0 => format!("creating {}", describe(item)),
            1..=6 => format!("creating {} (it needs {})", describe(item), needs.join(", ")),
            n => format!("creating {} (it needs {}, and {} more)", describe(item), needs[..6].join(", "), n - 6),
        }
    }

    /// If one of the items `item` needs was skipped, skips it too and returns true.
    pub fn follows_skipped(&self, at: u32, item: &DdlItem, progress: &dyn Progress) -> bool {
        let skipped = self.skipped.lock().expect("skips lock");
        let Some(need) = item.needs.iter().find_map(|j| skipped.get(j)) else { return false };
        let text = format!("skipped {}: it needs {need}, which was skipped", describe(item));
        drop(skipped);
        self.skip(at, item, text, progress);
        true
    }

    fn skip(&self, at: u32, item: &DdlItem, text: String, progress: &dyn Progress) {
        self.skipped.lock().expect("skips lock").insert(at, describe(item));
        progress.event(Event::Warning { text: text.clone() });
        self.messages.lock().expect("skips lock").push(text);
    }

    /// Whether the item at `at` was skipped.
    pub fn contains(&self, at: u32) -> bool {
        self.skipped.lock().expect("skips lock").contains_key(&at)
    }

    /// Every warning, in order.
    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().expect("skips lock").clone()
    }

    /// Records a tentative item's failure: skipped when the server says something it needs is
    /// missing, else the error.
    pub fn failed(&self, at: u32, item: &DdlItem, e: tokio_postgres::Error, progress: &dyn Progress) -> Result<()> {
        if item.requires.is_empty() || !MISSING.iter().any(|s| e.code() == Some(s)) {
            return Err(Error::db(self.context(item), &e));
        }
        let reason = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string());
        let text = format!(
            "skipped {}: it needs {}, which the archive does not hold and the target lacks ({reason})",
            describe(item),
            item.requires.join(", ")
        );
        self.skip(at, item, text, progress);
        Ok(())
    }
}

/// Runs one statement of the schema transaction: under a savepoint when it may be skipped
/// (`requires`) or may exist already (`optional`: a dependency of selected tables restored
/// into a database that exists, kept as it is there).
pub(super) async fn run_in_schema(
    client: &tokio_postgres::Client,
    (at, item): (u32, &DdlItem),
    version: i32,
    optional: bool,
    skips: &Skips,
    progress: &dyn Progress,
) -> Result<()> {
    if skips.follows_skipped(at, item, progress) {
        return Ok(());
    }
    if !optional && item.requires.is_empty() {
        return client.batch_execute(item.sql_for(version)).await.map_err(|e| Error::db(skips.context(item), &e));
    }
    let sql = format!("SAVEPOINT pgark_item; {} RELEASE SAVEPOINT pgark_item;", item.sql_for(version));
    let Err(e) = client.batch_execute(&sql).await else { return Ok(()) };
    let kept = optional && DUPLICATE.iter().any(|s| e.code() == Some(s));
    let result = if kept { Ok(()) } else { skips.failed(at, item, e, progress) };
    result?;
    client
        .batch_execute("ROLLBACK TO SAVEPOINT pgark_item; RELEASE SAVEPOINT pgark_item;")
        .await
        .map_err(|e| Error::db(skips.context(item), &e))
}
