//! Logical replication subscriptions, created the way pg_dump creates them: `connect = false`,
//! so not enabled and without a replication slot of their own until the user says so. The
//! connection string's password is a secret and never enters an archive. Reading them needs a
//! superuser (the connection strings are hidden from other roles); without one there are none.

use tokio_postgres::Client;

use super::extra::Extra;
use super::key::{class, ObjKey};
use super::query::{db, server_version};
use crate::archive::{Kind, Section};
use crate::error::Result;
use crate::sql::{ident, literal};

/// Reads the subscriptions of the current database.
pub(super) async fn read(client: &Client, out: &mut Vec<Extra>) -> Result<()> {
    let readable: bool = client
        .query_one("SELECT pg_catalog.has_column_privilege('pg_catalog.pg_subscription', 'subconninfo', 'SELECT')", &[])
        .await
        .map_err(db("subscriptions"))?
        .get(0);
    if !readable {
        return Ok(());
    }
    let rows = client
        .query(
            "SELECT s.oid, s.subname, s.subconninfo, s.subslotname::text, s.subsynccommit, s.subpublications, \
             pg_catalog.to_jsonb(s) ->> 'subbinary', pg_catalog.to_jsonb(s) ->> 'substream', \
             pg_catalog.to_jsonb(s) ->> 'subtwophasestate', pg_catalog.to_jsonb(s) ->> 'subdisableonerr', \
             pg_catalog.to_jsonb(s) ->> 'suborigin', pg_catalog.to_jsonb(s) ->> 'subpasswordrequired', \
             pg_catalog.to_jsonb(s) ->> 'subrunasowner', pg_catalog.to_jsonb(s) ->> 'subfailover' \
             FROM pg_catalog.pg_subscription s \
             WHERE s.subdbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()) \
             ORDER BY s.subname",
            &[],
        )
        .await
        .map_err(db("subscriptions"))?;
    let source = server_version(client).await?;
    for r in rows {
        let name: String = r.get(1);
        let publications: Vec<String> = r.get(5);
        let mut with = vec!["connect = false".to_string()];
        match r.get::<_, Option<String>>(3) {
            Some(slot) => with.push(format!("slot_name = {}", literal(&slot))),
            None => with.push("slot_name = NONE".into()),
        }
        let text = |i: usize| r.get::<_, Option<String>>(i);
        let on = |i: usize| matches!(text(i).as_deref(), Some("true") | Some("t"));
        if r.get::<_, String>(4) != "off" {
            with.push(format!("synchronous_commit = {}", literal(&r.get::<_, String>(4))));
        }
        if on(6) {
            with.push("binary = true".into());
        }
        match text(7).as_deref() {
            Some("true") | Some("t") => with.push("streaming = on".into()),
            Some("p") => with.push("streaming = parallel".into()),
            Some(_) => with.push("streaming = off".into()),
            None => {}
        }
        if text(8).is_some_and(|s| s != "d") {
            with.push("two_phase = on".into());
        }
        if on(9) {
            with.push("disable_on_error = true".into());
        }
        if let Some(origin) = text(10).filter(|o| o != "any") {
            with.push(format!("origin = {}", literal(&origin)));
        }
        if text(11).as_deref() == Some("false") {
            with.push("password_required = false".into());
        }
        if on(12) {
            with.push("run_as_owner = true".into());
        }
        if on(13) {
            with.push("failover = true".into());
        }
        let quoted: Vec<String> = publications.iter().map(|p| ident(p)).collect();
        let create = |with: &[String]| {
            format!(
                "CREATE SUBSCRIPTION {} CONNECTION {} PUBLICATION {} WITH ({});",
                ident(&name),
                literal(&without_password(&r.get::<_, String>(2))),
                quoted.join(", "),
                with.join(", ")
            )
        };
        let sql = create(&with);
        // Newer servers changed defaults this source's subscriptions behaved by: a subscription
        // ran as its owner before 16 and did not stream before 14 (18 streams in parallel by
        // default). Written out for the servers that know the options, as pg_dump does.
        let mut variants = Vec::new();
        if source < 160000 {
            with.push("run_as_owner = true".into());
            variants.push((160000, create(&with)));
        }
        if source < 140000 {
            with.push("streaming = off".into());
            variants.push((180000, create(&with)));
        }
        let key = ObjKey::new(class::SUBSCRIPTION, r.get(0));
        let mut e = Extra::named(key, Kind::Subscription, "SUBSCRIPTION", name.clone(), sql);
        e.variants = variants;
        e.section = Section::PostData;
        e.priority = 8;
        out.push(e);
    }
    Ok(())
}

/// A libpq connection string (`key=value …` or a URI) without its password.
pub(super) fn without_password(conninfo: &str) -> String {
    let trimmed = conninfo.trim_start();
    if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
        return match url::Url::parse(trimmed) {
            Ok(mut u) => {
                let _ = u.set_password(None);
                let pairs: Vec<(String, String)> = u
                    .query_pairs()
                    .filter(|(k, _)| k != "password")
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                u.set_query(None);
                if !pairs.is_empty() {
                    u.query_pairs_mut().extend_pairs(pairs);
                }
                u.to_string()
            }
            Err(_) => String::new(),
        };
    }
    // key = value pairs; a value may be single-quoted with backslash escapes.
    let mut out = Vec::new();
    let chars: Vec<char> = conninfo.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let start = i;
        while i < chars.len() && chars[i] != '=' && !chars[i].is_whitespace() {
            i += 1;
        }
        let key: String = chars[start..i].iter().collect();
        while i < chars.len() && (chars[i].is_whitespace() || chars[i] == '=') {
            i += 1;
        }
        let value_start = i;
        if i < chars.len() && chars[i] == '\'' {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else {
            while i < chars.len() && !chars[i].is_whitespace() {
                i += 1;
            }
        }
        let value: String = chars[value_start..i.min(chars.len())].iter().collect();
        if !key.is_empty() && key != "password" {
            out.push(format!("{key}={value}"));
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn passwords_are_left_out_of_connection_strings() {
        assert_eq!(without_password("host=a password=s3cret dbname=x"), "host=a dbname=x");
        assert_eq!(without_password("host = a password = 'it\\'s a s3cret' user=u"), "host=a user=u");
        assert_eq!(
            without_password("postgres://u:s3cret@h/db?password=x&sslmode=require"),
            "postgres://u@h/db?sslmode=require"
        );
        assert!(!without_password("password=s3cret").contains("s3cret"));
    }
}
