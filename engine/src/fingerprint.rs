//! Table fingerprints: row count plus an order-independent hash of every row's text, computed
//! by the server in bounded memory. Two databases with equal fingerprints hold the same rows.

use std::collections::BTreeMap;

use tokio_postgres::Client;

use crate::error::{Error, Result};
use crate::sql::qualified;

/// One table's fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Rows.
    pub rows: i64,
    /// Sum of the first 60 bits of each row's md5, as decimal text.
    pub hash: String,
}

/// Fingerprints every ordinary table outside the system schemas, keyed by `schema.table`.
pub async fn fingerprint_tables(client: &Client) -> Result<BTreeMap<String, Fingerprint>> {
    let tables = client
        .query(
            "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' ORDER BY 1, 2",
            &[],
        )
        .await
        .map_err(|e| Error::db("listing tables to fingerprint", &e))?;
    let mut out = BTreeMap::new();
    for t in tables {
        let (schema, name): (String, String) = (t.get(0), t.get(1));
        let sql = format!(
            "SELECT count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::int8), 0)::text \
             FROM ONLY {} AS t",
            qualified(&schema, &name)
        );
        let r =
            client.query_one(&sql, &[]).await.map_err(|e| Error::db(format!("fingerprinting {schema}.{name}"), &e))?;
        out.insert(format!("{schema}.{name}"), Fingerprint { rows: r.get(0), hash: r.get(1) });
    }
    Ok(out)
}
