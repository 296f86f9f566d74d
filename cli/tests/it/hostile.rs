//! Hostile names: roles, schemas, tables, columns, types, functions, policies, comments and the
//! database itself named with quotes, semicolons, backslashes, newlines, `$$`, slashes and
//! non-Latin scripts, with values to match. They must round-trip — through `restore --create`
//! and through `extract --format sql` run by psql — to the same schema (pg_dump) and rows.

use pgark_engine::{ident, literal};

use crate::harness::*;

/// A URL for a database whose name needs escaping.
fn url_for(db: &str) -> String {
    let encoded: String = db
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    format!("postgres://postgres@127.0.0.1:{}/{encoded}?sslmode=disable", port())
}

async fn create_db(name: &str) {
    exec("postgres", &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(name))).await;
    exec("postgres", &format!("CREATE DATABASE {}", ident(name))).await;
}

const OWNER: &str = "o'wner; DROP TABLE x;--\\\"";
const READER: &str = "роль 角色 $$";
const NEWLINE: &str = "new\nline role";
const SCHEMA: &str = "s\"chema;\n$$ \\ схема";
const TABLE: &str = "ta\"ble; --\nx/y";

#[tokio::test]
async fn hostile_names_round_trip_through_restore_and_extract() {
    for role in [OWNER, READER, NEWLINE] {
        exec(
            "postgres",
            &format!(
                "DO $do$ BEGIN CREATE ROLE {}; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $do$",
                ident(role)
            ),
        )
        .await;
    }
    let db = "hostile \"db\"; \\ $$ база/x";
    create_db(db).await;
    let (o, r, n, s, t) = (ident(OWNER), ident(READER), ident(NEWLINE), ident(SCHEMA), ident(TABLE));
    exec(
        db,
        &format!(
            "CREATE SCHEMA {s} AUTHORIZATION {o};
             GRANT USAGE ON SCHEMA {s} TO {r};
             SET ROLE {o};
             CREATE TYPE {s}.\"mo\"\"od\" AS ENUM ('it''s', 'back\\slash', E'new\\nline', '$$', 'ünï');
             CREATE SEQUENCE {s}.\"se\"\"q$$\";
             CREATE TABLE {s}.{t} (
                 \"co\"\"l\" int PRIMARY KEY DEFAULT nextval({seq}),
                 \"дата\" text DEFAULT 'it''s $$ \\ ',
                 \"$$\" {s}.\"mo\"\"od\",
                 \"a;b\" text CHECK (\"a;b\" <> E'\\\\'),
                 \"tab\tcol\" bytea
             );
             INSERT INTO {s}.{t} (\"дата\", \"$$\", \"a;b\", \"tab\tcol\") VALUES
                 (E'line1\\nline2\\ttab\\\\back', 'it''s', '$$;--', '\\x00ff'),
                 ('\"quoted\" ''single''', E'new\\nline', 'δέλτα 漢字', NULL),
                 (NULL, '$$', E'\\r\\n', '\\x5c');
             CREATE INDEX \"idx \"\"q\"\" ;\" ON {s}.{t} (\"дата\");
             CREATE FUNCTION {s}.\"f$$\"\"n\"(x text) RETURNS text LANGUAGE plpgsql AS $body$
                 BEGIN RETURN x || '$$' || E'\\n' || 'it''s'; END $body$;
             CREATE VIEW {s}.\"v;iew\" AS SELECT \"co\"\"l\", {s}.\"f$$\"\"n\"(\"дата\") AS f FROM {s}.{t};
             COMMENT ON TABLE {s}.{t} IS E'comment with ''quotes'', \\\\ backslash,\\nnewline and $$';
             COMMENT ON COLUMN {s}.{t}.\"дата\" IS 'колонка';
             GRANT SELECT, INSERT ON {s}.{t} TO {r};
             GRANT SELECT (\"co\"\"l\") ON {s}.{t} TO {n};
             ALTER TABLE {s}.{t} ENABLE ROW LEVEL SECURITY;
             CREATE POLICY \"po\"\"l;icy\" ON {s}.{t} TO {n} USING (\"a;b\" <> 'x''y');
             CREATE FUNCTION {s}.\"tr$$\"() RETURNS trigger LANGUAGE plpgsql AS $t$ BEGIN RETURN NEW; END $t$;
             CREATE TRIGGER \"tr\"\"ig\" BEFORE UPDATE ON {s}.{t} FOR EACH ROW EXECUTE FUNCTION {s}.\"tr$$\"();
             RESET ROLE;
             ALTER DATABASE {dbi} SET application_name TO 'it''s $$';",
            seq = literal(&format!("{}.{}", ident(SCHEMA), ident("se\"q$$"))),
            dbi = ident(db),
        ),
    )
    .await;

    let dir = tmp();
    // A backup directory: the generated file name is made safe (the name holds a slash).
    let out = pgark(&["dump", "-q", "--db", &url_for(db), "-o", dir.path().to_str().unwrap(), "--globals"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let archive = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "pgark"))
        .expect("the archive is in the directory, whatever the database's name");
    let a = archive.to_str().unwrap();

    let copy = "hostile copy \"x\"; $$ \\ копия";
    exec("postgres", &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(copy))).await;
    let out = pgark(&["restore", "-q", a, "--db", &url_for(copy), "--create"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_same(db, copy).await;

    // The plain SQL script, run by psql, builds the same database.
    let script = dir.path().join("hostile.sql");
    let out = pgark(&["extract", a, "--format", "sql", "-o", script.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let by_psql = "hostile psql ;'\" $$";
    create_db(by_psql).await;
    psql_file(by_psql, &script, &[]);
    assert_same(db, by_psql).await;

    // Listing, inspecting and reading rows by a hostile table name work too.
    let out = pgark(&["restore", "--list", a]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("po\"l;icy"));
    let name = format!("{SCHEMA}.{TABLE}");
    let out = pgark(&["cat", a, &name, "--format", "csv"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("δέλτα 漢字"), "{}{text}", String::from_utf8_lossy(&out.stderr));
}
