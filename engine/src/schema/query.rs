//! Pieces of catalog SQL every family shares: which schemas are the user's, which objects belong
//! to an extension, option lists, and the error context of a failed catalog query.

use tokio_postgres::Client;

use crate::error::{Error, Result};

/// Wraps a failed catalog query with what was being read.
pub(super) fn db(context: &str) -> impl Fn(tokio_postgres::Error) -> Error + '_ {
    move |e| Error::db(format!("reading the catalog ({context})"), &e)
}

/// Schemas that belong to the system, never dumped (`n` is `pg_namespace`).
pub(super) const USER_NS: &str = "n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'";

/// Leaves out objects that belong to an extension (`e`) or are an internal part of another
/// object (`i`, e.g. a range type's multirange constructors and casts).
pub(super) fn not_member(class: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = '{class}'::pg_catalog.regclass \
         AND d.objid = {oid} AND d.deptype IN ('e', 'i'))"
    )
}

/// Objects created by an extension are restored by `CREATE EXTENSION`, not one by one.
pub(super) fn not_extension_member(class: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = '{class}'::pg_catalog.regclass \
         AND d.objid = {oid} AND d.deptype = 'e')"
    )
}

/// Appends ` WORD value` for each present value, then the closing `;`.
/// SQL for ` COLLATE schema.name` when the collation `coll` (an oid expression) is set and is not
/// `type_coll`, the one the type brings; else `''`.
pub(super) fn collate_clause(coll: &str, type_coll: &str) -> String {
    format!(
        "CASE WHEN {coll} <> 0 AND {coll} <> {type_coll} THEN ' COLLATE ' || (SELECT pg_catalog.quote_ident(ccn.nspname) \
         || '.' || pg_catalog.quote_ident(cco.collname) FROM pg_catalog.pg_collation cco \
         JOIN pg_catalog.pg_namespace ccn ON ccn.oid = cco.collnamespace WHERE cco.oid = {coll}) ELSE '' END"
    )
}

pub(super) fn clauses(sql: &mut String, parts: &[(&str, Option<String>)]) {
    for (word, value) in parts {
        if let Some(v) = value {
            sql.push_str(&format!(" {word} {v}"));
        }
    }
    sql.push(';');
}

/// Option lists (`key 'value', …`) as SQL, from a `text[]` of `key=value`.
const OPTIONS: &str = "(SELECT pg_catalog.string_agg(pg_catalog.quote_ident(o.option_name) || ' ' || \
    pg_catalog.quote_literal(o.option_value), ', ') FROM pg_catalog.pg_options_to_table({}) o {})";

/// The option list of `column` (a `text[]`), rows restricted by `filter`.
pub(super) fn options_sql(column: &str, filter: &str) -> String {
    OPTIONS.replacen("{}", column, 1).replacen("{}", filter, 1)
}

/// The server's `server_version_num`, for the few queries that differ between versions (most
/// read a column that not every version has by name, through `to_jsonb(row)`).
pub(super) async fn server_version(client: &Client) -> Result<i32> {
    let row = client
        .query_one("SELECT pg_catalog.current_setting('server_version_num')::int4", &[])
        .await
        .map_err(db("server version"))?;
    Ok(row.get(0))
}

/// The first character of a `"char"` column read as text.
pub(super) fn ch(s: String) -> char {
    s.chars().next().unwrap_or(' ')
}
