//! The planner's statistics after a restore, so the restored database plans like the source
//! before any traffic: a PostgreSQL 18 target is given the archive's statistics
//! (`pg_restore_relation_stats`, `pg_restore_attribute_stats`: no table is read); an older
//! target, or an archive without them, gets ANALYZE of every restored table in parallel.
//! Statistics never fail a restore: a relation that cannot take them is a warning.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::RestorePlan;
use crate::archive::{Archive, Kind, RelationStats};
use crate::pg::Target;
use crate::progress::{Event, Progress};
use crate::sql::{literal, qualified};

/// The type each `pg_stats` value is given as to `pg_restore_attribute_stats`.
fn stat_type(column: &str) -> &'static str {
    match column {
        "avg_width" => "integer",
        "null_frac" | "n_distinct" | "correlation" | "range_empty_frac" => "real",
        "most_common_freqs" | "most_common_elem_freqs" | "elem_count_histogram" => "real[]",
        _ => "text",
    }
}

/// The statements that give one relation its statistics (`version`: the source's).
fn restore_sql(s: &RelationStats, version: i32) -> String {
    let who =
        format!("'version', {version}::integer, 'schemaname', {}, 'relname', {}", literal(&s.schema), literal(&s.name));
    let frozen = s.relallfrozen.map(|n| format!(", 'relallfrozen', {n}::integer")).unwrap_or_default();
    let mut sql = format!(
        "SELECT pg_catalog.pg_restore_relation_stats({who}, 'relpages', {}::integer, 'reltuples', {}::real, \
         'relallvisible', {}::integer{frozen});",
        s.relpages, s.reltuples, s.relallvisible
    );
    for c in &s.columns {
        let values: Vec<String> =
            c.values.iter().map(|(k, v)| format!("{}, {}::{}", literal(k), literal(v), stat_type(k))).collect();
        sql.push_str(&format!(
            "\nSELECT pg_catalog.pg_restore_attribute_stats({who}, 'attname', {}, 'inherited', {}::boolean{}{});",
            literal(&c.column),
            c.inherited,
            if values.is_empty() { "" } else { ", " },
            values.join(", ")
        ));
    }
    sql
}

impl RestorePlan {
    /// Gives the restored relations the archive's statistics (PostgreSQL 18 on), else runs
    /// ANALYZE on the restored tables, `jobs` at a time; returns what it did, for the summary.
    pub(super) async fn planner_statistics(
        &self,
        archive: &Archive,
        target: &Target,
        pool: &deadpool_postgres::Pool,
        target_version: i32,
        progress: &dyn Progress,
    ) -> Option<String> {
        let m = archive.manifest();
        // The relations this restore made: tables, materialized views, indexes, keys.
        let made: std::collections::HashSet<(Option<&str>, &str)> = self
            .pre_data
            .iter()
            .chain(&self.post_data)
            .filter(|i| {
                matches!(i.kind, Kind::Table | Kind::MaterializedView | Kind::Index | Kind::Constraint)
                    && (i.kind != Kind::Table || i.table.is_none())
            })
            .map(|i| (i.schema.as_deref(), i.name.as_str()))
            .collect();
        let (statements, what): (Vec<String>, &str) =
            if self.options.statistics && target_version >= 180000 && !m.planner_stats.is_empty() {
                let given =
                    m.planner_stats.iter().filter(|s| made.contains(&(Some(s.schema.as_str()), s.name.as_str())));
                (given.map(|s| restore_sql(s, m.server_version_num)).collect(), "statistics given to")
            } else if self.options.analyze {
                let analyzed = self
                    .chunks
                    .iter()
                    .map(|&(t, _)| &m.tables[t])
                    .filter(|t| t.contents == crate::archive::Contents::Rows)
                    .map(|t| qualified(&t.schema, &t.name))
                    .collect::<std::collections::BTreeSet<_>>();
                let views = self.post_data.iter().filter(|i| i.kind == Kind::Refresh);
                let views = views.map(|i| qualified(i.schema.as_deref().unwrap_or_default(), &i.name));
                (analyzed.into_iter().chain(views).map(|q| format!("ANALYZE {q};")).collect(), "analyzed")
            } else {
                return None;
            };
        if statements.is_empty() {
            return None;
        }
        let count = statements.len();
        let started = std::time::Instant::now();
        let permits = Arc::new(Semaphore::new(self.options.jobs.max(1)));
        let mut running = JoinSet::new();
        for sql in statements {
            let (target, pool, permits) = (target.clone(), pool.clone(), permits.clone());
            running.spawn(async move {
                let _permit = permits.acquire_owned().await.expect("semaphore open");
                let client = target.pooled(&pool).await.map_err(|e| e.to_string())?;
                client.batch_execute(&sql).await.map_err(|e| {
                    let first = sql.lines().next().unwrap_or_default().chars().take(120).collect::<String>();
                    format!("{first}: {}", crate::error::Error::db("planner statistics", &e))
                })
            });
        }
        while let Some(done) = running.join_next().await {
            if let Ok(Err(text)) | Err(text) = done.map_err(|e| e.to_string()) {
                progress.event(Event::Warning { text: format!("planner statistics: {text}") });
            }
        }
        Some(format!("{what} {count} relations in {:.2} s", started.elapsed().as_secs_f64()))
    }
}
