//! What a table's data is made of: the COPY format it can travel in (binary wherever every
//! column's binary form is portable) and each column's type as the archive records it, so the
//! data can be read without a database.

use std::collections::HashMap;

use tokio_postgres::Client;

use super::query::{ch, db};
use super::tables::Table;
use crate::archive::{ColumnType, CopyFormat, Shape};
use crate::error::Result;

/// Facts about a type: what it is built from and whether it has a binary form.
struct TypeInfo {
    kind: char,
    base: u32,
    elem: u32,
    is_array: bool,
    binary_io: bool,
    /// For ranges and multiranges: the subtype.
    subtype: u32,
    /// The binary send function's name.
    send: String,
}

/// Reads what `binary_portable` and `shape` need of every type.
async fn type_infos(client: &Client) -> Result<HashMap<u32, TypeInfo>> {
    // pg_range.rngmultitypid exists from PostgreSQL 14 on: read through to_jsonb so one query
    // serves every version.
    let rows = client
        .query(
            "SELECT t.oid, t.typtype::text, t.typbasetype, t.typelem, t.typcategory = 'A', \
             t.typsend <> 0 AND t.typreceive <> 0, \
             coalesce((SELECT r.rngsubtype FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid \
               OR (pg_catalog.to_jsonb(r) ->> 'rngmultitypid')::oid = t.oid LIMIT 1), 0), \
             coalesce((SELECT p.proname::text FROM pg_catalog.pg_proc p WHERE p.oid = t.typsend), '') \
             FROM pg_catalog.pg_type t",
            &[],
        )
        .await
        .map_err(db("types"))?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r.get::<_, u32>(0),
                TypeInfo {
                    kind: ch(r.get(1)),
                    base: r.get(2),
                    elem: r.get(3),
                    is_array: r.get(4),
                    binary_io: r.get(5),
                    subtype: r.get(6),
                    send: r.get(7),
                },
            )
        })
        .collect())
}

/// Oids below this were assigned by initdb and are the same in every database.
const FIRST_NORMAL_OID: u32 = 16384;

/// Built-in types whose binary form does not read back everywhere: tsquery (an empty query
/// sends fine but its receive refuses it: "malformed tsquery: operand not found").
const TEXT_ONLY: [u32; 1] = [3615];

/// Whether a value of this type survives binary COPY into another database: composites and
/// arrays embed type oids, which differ between databases for user-defined types.
fn binary_portable(types: &HashMap<u32, TypeInfo>, oid: u32) -> bool {
    let Some(t) = types.get(&oid) else { return false };
    if !t.binary_io || TEXT_ONLY.contains(&oid) {
        return false;
    }
    match t.kind {
        'd' => binary_portable(types, t.base),
        'c' => false,
        _ if t.is_array => t.elem < FIRST_NORMAL_OID && binary_portable(types, t.elem),
        _ => true,
    }
}

/// How a value of type `oid` is read from its binary form.
fn shape(types: &HashMap<u32, TypeInfo>, oid: u32) -> Shape {
    let Some(t) = types.get(&oid) else { return Shape::Other };
    let inner = |o: u32| Box::new(shape(types, o));
    match t.kind {
        'd' => Shape::Domain { base: inner(t.base) },
        'e' => Shape::Enum,
        'r' => Shape::Range { subtype: inner(t.subtype) },
        'm' => Shape::Multirange { subtype: inner(t.subtype) },
        'b' if t.is_array && t.elem != 0 => Shape::Array { elem: inner(t.elem) },
        'b' if oid < FIRST_NORMAL_OID => Shape::Builtin { oid },
        'b' if t.binary_io => Shape::Extension { send: t.send.clone() },
        _ => Shape::Other,
    }
}

/// A table's data: its COPY format and its columns' types (generated columns left out, as
/// COPY leaves them out).
pub(super) struct TableData {
    pub format: CopyFormat,
    pub column_types: Vec<ColumnType>,
}

/// The data description of every table.
pub(super) async fn read(client: &Client, tables: &[Table]) -> Result<HashMap<u32, TableData>> {
    let types = type_infos(client).await?;
    Ok(tables
        .iter()
        .map(|t| {
            let columns: Vec<_> = t.columns.iter().filter(|c| !c.generated).collect();
            let portable = columns.iter().all(|c| binary_portable(&types, c.type_oid));
            let column_types = columns
                .iter()
                .map(|c| ColumnType { name: c.type_sql.clone(), shape: shape(&types, c.type_oid) })
                .collect();
            let format = if portable { CopyFormat::Binary } else { CopyFormat::Text };
            (t.oid, TableData { format, column_types })
        })
        .collect())
}
