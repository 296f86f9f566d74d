//! Post-data scheduling: statements run over the pool in parallel where they lock different
//! tables; index builds (SHARE locks) share a table with each other; a statement never
//! overtakes an earlier one that touches one of its tables, so the dependency order holds.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use tokio::task::JoinSet;

use super::execute::describe;
use super::skips::Skips;
use crate::archive::DdlItem;
use crate::error::{Error, Result};
use crate::pg::Target;
use crate::progress::{Event, Progress};

/// Runs statements over the pool, at most `jobs` at once. Statements that touch the same table
/// never overlap, except index builds (SHARE locks) with each other; and a statement waits for
/// every earlier one that touches one of its tables, so the dependency order holds. `version` is
/// the target's `server_version_num` (it picks each statement's variant).
pub(super) async fn run_items(
    (items, at): (&[DdlItem], &[u32]),
    version: i32,
    target: &Target,
    pool: &deadpool_postgres::Pool,
    jobs: usize,
    skips: &Arc<Skips>,
    progress: &Arc<dyn Progress>,
) -> Result<()> {
    let mut pending: VecDeque<&DdlItem> = items.iter().collect();
    let mut positions: VecDeque<u32> = at.iter().copied().collect();
    // Per table: (statements holding it shared, held exclusively).
    let mut held: HashMap<String, (usize, bool)> = HashMap::new();
    let mut running = JoinSet::new();
    while !pending.is_empty() || !running.is_empty() {
        while running.len() < jobs {
            let Some(pos) = next_startable(&pending, &held) else { break };
            let item = pending.remove(pos).expect("position is valid").clone();
            let item_at = positions.remove(pos).expect("position is valid");
            // What needs a skipped object is skipped: it waited for it (they share a table).
            if skips.follows_skipped(item_at, &item, progress.as_ref()) {
                progress.event(Event::Advance { amount: 1 });
                continue;
            }
            progress.event(Event::Detail { text: describe(&item) });
            for t in &item.touches {
                let h = held.entry(t.clone()).or_default();
                if item.shared {
                    h.0 += 1;
                } else {
                    h.1 = true;
                }
            }
            let (target, pool, skips, progress) = (target.clone(), pool.clone(), skips.clone(), progress.clone());
            running.spawn(async move {
                let result = async {
                    let client = target.pooled(&pool).await?;
                    match client.batch_execute(item.sql_for(version)).await {
                        Ok(()) => Ok(()),
                        Err(e) => skips.failed(item_at, &item, e, progress.as_ref()),
                    }
                }
                .await;
                (item, result)
            });
        }
        let Some(joined) = running.join_next().await else { break };
        let (item, result) = joined.map_err(|e| Error::Internal(format!("a restore worker crashed: {e}")))?;
        if let Err(e) = result {
            running.abort_all();
            return Err(e);
        }
        for t in &item.touches {
            if let Some(h) = held.get_mut(t) {
                if item.shared {
                    h.0 -= 1;
                } else {
                    h.1 = false;
                }
            }
        }
        progress.event(Event::Advance { amount: 1 });
    }
    Ok(())
}

/// The first pending statement that may start now: none of its tables is held in a conflicting
/// way, by a running statement or by an earlier pending one.
fn next_startable(pending: &VecDeque<&DdlItem>, held: &HashMap<String, (usize, bool)>) -> Option<usize> {
    let mut claimed: HashMap<&str, (bool, bool)> = HashMap::new(); // (shared, exclusive) claims
    for (pos, item) in pending.iter().enumerate() {
        let free = item.touches.iter().all(|t| {
            let (running_shared, running_excl) = held.get(t).copied().unwrap_or_default();
            let (claim_shared, claim_excl) = claimed.get(t.as_str()).copied().unwrap_or_default();
            if item.shared {
                !running_excl && !claim_excl
            } else {
                running_shared == 0 && !running_excl && !claim_shared && !claim_excl
            }
        });
        if free {
            return Some(pos);
        }
        for t in &item.touches {
            let c = claimed.entry(t.as_str()).or_default();
            if item.shared {
                c.0 = true;
            } else {
                c.1 = true;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{Kind, Section};

    fn stmt(name: &str, touches: &[&str], shared: bool) -> DdlItem {
        DdlItem {
            section: Section::PostData,
            kind: if shared { Kind::Index } else { Kind::ForeignKey },
            schema: None,
            name: name.into(),
            table: None,
            sql: String::new(),
            drop: None,
            touches: touches.iter().map(|t| t.to_string()).collect(),
            shared,
            of_kind: None,
            roles: vec![],
            variants: Vec::new(),
            needs: Vec::new(),
            requires: Vec::new(),
        }
    }

    #[test]
    fn index_builds_share_a_table_and_later_statements_wait() {
        let (a1, a2, fk, b) = (
            stmt("a1", &["a"], true),
            stmt("a2", &["a"], true),
            stmt("fk", &["a", "b"], false),
            stmt("b", &["b"], true),
        );
        let pending: VecDeque<&DdlItem> = [&a1, &a2, &fk, &b].into_iter().collect();
        let mut held = HashMap::new();
        assert_eq!(next_startable(&pending, &held), Some(0));
        held.insert("a".to_string(), (1, false));
        let rest: VecDeque<&DdlItem> = [&a2, &fk, &b].into_iter().collect();
        assert_eq!(next_startable(&rest, &held), Some(0), "a second index build on the same table");
        held.insert("a".to_string(), (2, false));
        let rest: VecDeque<&DdlItem> = [&fk, &b].into_iter().collect();
        // The FK waits for the builds on a; b's build, touching b which the pending FK claims, waits too.
        assert_eq!(next_startable(&rest, &held), None);
        held.clear();
        assert_eq!(next_startable(&rest, &held), Some(0));
    }
}
