//! Sequences: free-standing and serial-owned ones get `CREATE SEQUENCE`, `OWNED BY` and their
//! value (`setval`, in the data section); identity sequences are created with their column
//! (`tables.rs`) and get their value here.

use std::collections::HashMap;

use tokio_postgres::Client;

use super::depsort::Node;
use super::item;
use super::key::{class, ObjKey};
use super::query::{db, not_extension_member, USER_NS};
use super::scope::Context;
use crate::archive::{Kind, Section};
use crate::error::{Error, Result};
use crate::sql::{ident, literal, qualified};

/// A sequence, with its owner if any.
#[derive(Debug, Clone)]
pub(crate) struct Sequence {
    pub oid: u32,
    pub schema: String,
    pub name: String,
    pub type_sql: String,
    pub start: i64,
    pub increment: i64,
    pub max: i64,
    pub min: i64,
    pub cache: i64,
    pub cycle: bool,
    /// `(table oid, column name, identity?)`.
    pub owner: Option<(u32, String, bool)>,
    pub last_value: i64,
    pub is_called: bool,
}

/// `START WITH … CYCLE`: a sequence's options, for `CREATE SEQUENCE` and identity columns.
pub(super) fn options(s: &Sequence) -> String {
    format!(
        "START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}{}",
        s.start,
        s.increment,
        s.min,
        s.max,
        s.cache,
        if s.cycle { " CYCLE" } else { "" }
    )
}

/// Identity sequences in scope, by (table oid, column name).
pub(super) fn identity_sequences<'a>(cx: &Context<'a>) -> HashMap<(u32, &'a str), &'a Sequence> {
    cx.cat
        .sequences
        .iter()
        .filter(|s| cx.scope.sequence(s))
        .filter_map(|s| match &s.owner {
            Some((t, c, true)) => Some(((*t, c.as_str()), s)),
            _ => None,
        })
        .collect()
}

/// Reads every user sequence with its owner and current value.
pub(super) async fn read(client: &Client) -> Result<Vec<Sequence>> {
    let mut sequences = Vec::new();
    let sql = format!(
        "SELECT c.oid, n.nspname, c.relname, pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, \
         s.seqmax, s.seqmin, s.seqcache, s.seqcycle, d.refobjid, a.attname, d.deptype = 'i' \
         FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_class'::pg_catalog.regclass AND d.objid = c.oid \
           AND d.refclassid = 'pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i') \
         LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
         WHERE {USER_NS} AND {} ORDER BY n.nspname, c.relname",
        not_extension_member("pg_class", "c.oid")
    );
    for r in client.query(&sql, &[]).await.map_err(db("sequences"))? {
        let schema: String = r.get(1);
        let name: String = r.get(2);
        let owner_table: Option<u32> = r.get(10);
        let owner_col: Option<String> = r.get(11);
        let identity: Option<bool> = r.get(12);
        let value_sql = format!("SELECT last_value, is_called FROM {}", qualified(&schema, &name));
        let v = client
            .query_one(&value_sql, &[])
            .await
            .map_err(|e| Error::db(format!("reading sequence {schema}.{name}"), &e))?;
        sequences.push(Sequence {
            oid: r.get(0),
            schema,
            name,
            type_sql: r.get(3),
            start: r.get(4),
            increment: r.get(5),
            max: r.get(6),
            min: r.get(7),
            cache: r.get(8),
            cycle: r.get(9),
            owner: owner_table.zip(owner_col).map(|(t, c)| (t, c, identity.unwrap_or(false))),
            last_value: v.get(0),
            is_called: v.get(1),
        });
    }
    Ok(sequences)
}

/// Free-standing and serial-owned sequences (identity sequences come with their column), their
/// ownership, and every sequence's value.
pub(super) fn build(cx: &Context<'_>, nodes: &mut Vec<Node>) {
    let sequences: Vec<_> = cx.cat.sequences.iter().filter(|s| cx.scope.sequence(s)).collect();
    for s in &sequences {
        if matches!(s.owner, Some((_, _, true))) {
            continue;
        }
        let q = qualified(&s.schema, &s.name);
        let mut it = item(
            Section::PreData,
            Kind::Sequence,
            Some(&s.schema),
            &s.name,
            format!("CREATE SEQUENCE {q} AS {} {};", s.type_sql, options(s)),
        );
        it.drop = Some(format!("DROP SEQUENCE IF EXISTS {q} CASCADE;"));
        nodes.push(Node::new(it, Some(ObjKey::new(class::REL, s.oid)), vec![], 5));
    }

    for s in &sequences {
        if let Some((table, col, false)) = &s.owner {
            let t = cx.by_oid[table];
            let mut it = item(
                Section::PreData,
                Kind::SequenceOwnedBy,
                Some(&s.schema),
                &s.name,
                format!(
                    "ALTER SEQUENCE {} OWNED BY {}.{};",
                    qualified(&s.schema, &s.name),
                    qualified(&t.schema, &t.name),
                    ident(col)
                ),
            );
            it.table = Some(t.name.clone());
            nodes.push(Node::new(it, None, vec![ObjKey::new(class::REL, s.oid), ObjKey::new(class::REL, *table)], 8));
        }
    }
    for s in &sequences {
        let it = item(
            Section::Data,
            Kind::SequenceSet,
            Some(&s.schema),
            &s.name,
            format!(
                "SELECT pg_catalog.setval({}, {}, {});",
                literal(&qualified(&s.schema, &s.name)),
                s.last_value,
                s.is_called
            ),
        );
        // An owned sequence's value belongs to its table too (an identity sequence has no item).
        let mut deps = vec![ObjKey::new(class::REL, s.oid)];
        deps.extend(s.owner.as_ref().map(|(table, _, _)| ObjKey::new(class::REL, *table)));
        nodes.push(Node::new(it, None, deps, 0));
    }
}
