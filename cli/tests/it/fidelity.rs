//! Schemas that once failed to restore or lost a definition (issue 9's repros): each is dumped,
//! restored into a new database and compared (`pg_dump --schema-only` and every table's rows).

use pgark_engine::{DumpOptions, RestoreOptions};

use crate::harness::*;

/// Loads `sql` into a fresh database `name`, dumps it, restores it into `name_copy` and compares.
async fn round_trip(name: &str, sql: &str) {
    let db = fresh_db(name).await;
    exec(&db, sql).await;
    let dir = tmp();
    let path = dir.path().join(format!("{name}.pgark"));
    dump_db(&db, &path, &DumpOptions::default()).await;
    // Without large objects an archive stays at format version 2, readable by older pgark.
    assert_eq!(pgark_engine::Archive::open(&path).unwrap().format_version(), 2);
    let copy = format!("{name}_copy");
    exec("postgres", &format!("DROP DATABASE IF EXISTS {copy} WITH (FORCE)")).await;
    if let Err(e) = restore_into(&path, &copy, &RestoreOptions { create: true, ..Default::default() }).await {
        panic!("restoring {name}: {e}");
    }
    assert_same(&db, &copy).await;
}

/// Creates a role unless the cluster has it (roles outlive test databases).
fn role(name: &str) -> String {
    format!("DO $$ BEGIN CREATE ROLE {name} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;")
}

#[tokio::test]
async fn serial_and_identity_columns_of_a_table_owned_by_an_application_role() {
    let sql = role("fi_app_owner")
        + "CREATE SCHEMA s;
           CREATE TABLE s.t (id bigserial PRIMARY KEY, v text);
           CREATE TABLE s.u (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n serial);
           ALTER TABLE s.t OWNER TO fi_app_owner; ALTER TABLE s.u OWNER TO fi_app_owner;
           GRANT SELECT, USAGE ON SEQUENCE s.t_id_seq TO PUBLIC;
           INSERT INTO s.t (v) VALUES ('a'), ('b'); INSERT INTO s.u DEFAULT VALUES;";
    round_trip("fi_serial", &sql).await;
}

#[tokio::test]
async fn a_grant_by_an_owner_without_usage_on_the_schema() {
    let sql = role("fi_r1")
        + "CREATE SCHEMA s2; CREATE TYPE s2.typ AS RANGE (subtype = int4);
           ALTER TYPE s2.typ OWNER TO fi_r1; REVOKE USAGE ON TYPE s2.typ FROM PUBLIC; GRANT USAGE ON TYPE s2.typ TO fi_r1;
           CREATE TABLE s2.t (r s2.typ); INSERT INTO s2.t VALUES ('[1,5)');
           ALTER TABLE s2.t OWNER TO fi_r1; GRANT SELECT ON s2.t TO PUBLIC;";
    round_trip("fi_grant", &sql).await;
}

#[tokio::test]
async fn an_inherited_generated_column_redeclared_in_the_child() {
    let sql = "CREATE TABLE gen (col1 int PRIMARY KEY, col2 int GENERATED ALWAYS AS (col1 * 2) STORED);
               CREATE TABLE gen_child (col1 int, col2 int) INHERITS (gen);
               INSERT INTO gen VALUES (1); INSERT INTO gen_child VALUES (2);";
    round_trip("fi_gen", sql).await;
}

#[tokio::test]
async fn base_types_with_their_own_functions() {
    let sql = "CREATE TYPE int42;
        CREATE FUNCTION int42_in(cstring) RETURNS int42 AS 'int4in' LANGUAGE internal STRICT IMMUTABLE;
        CREATE FUNCTION int42_out(int42) RETURNS cstring AS 'int4out' LANGUAGE internal STRICT IMMUTABLE;
        CREATE TYPE int42 (internallength = 4, input = int42_in, output = int42_out, alignment = int4, default = 42, passedbyvalue);
        CREATE TYPE composite AS (f1 int, f2 int42);
        CREATE SCHEMA t; CREATE TYPE t.mytext;
        CREATE FUNCTION t.mytext_in(cstring) RETURNS t.mytext AS 'textin' LANGUAGE internal STRICT IMMUTABLE;
        CREATE FUNCTION t.mytext_out(t.mytext) RETURNS cstring AS 'textout' LANGUAGE internal STRICT IMMUTABLE;
        CREATE FUNCTION t.mytext_recv(internal) RETURNS t.mytext AS 'textrecv' LANGUAGE internal STRICT IMMUTABLE;
        CREATE FUNCTION t.mytext_send(t.mytext) RETURNS bytea AS 'textsend' LANGUAGE internal STRICT IMMUTABLE;
        CREATE TYPE t.mytext (input = t.mytext_in, output = t.mytext_out, receive = t.mytext_recv, send = t.mytext_send,
          internallength = variable, storage = extended, category = 'S', collatable = true, delimiter = ';');
        COMMENT ON TYPE t.mytext IS 'my text';
        CREATE TABLE t.docs (id int PRIMARY KEY, body t.mytext, tags t.mytext[], c composite DEFAULT ROW(1, '42'));
        INSERT INTO t.docs SELECT g, 'doc ' || g, ARRAY['a' || g, 'b']::t.mytext[] FROM generate_series(1, 100) g;";
    round_trip("fi_base", sql).await;
}

#[tokio::test]
async fn a_range_type_on_a_custom_operator_class() {
    let sql = "CREATE OPERATOR ~~ (PROCEDURE = int4eq, LEFTARG = int, RIGHTARG = int);
        CREATE OPERATOR CLASS op_class_custom FOR TYPE int USING btree AS OPERATOR 3 ~~;
        CREATE TYPE rt AS RANGE (subtype = int, subtype_opclass = op_class_custom);
        CREATE TABLE uses_rt (id int, r rt);";
    round_trip("fi_opclass", sql).await;
}

#[tokio::test]
async fn an_empty_tsquery_restores() {
    // Its binary form does not read back ("malformed tsquery: operand not found"): such tables
    // travel in text COPY format.
    let sql = role("fi_app_owner")
        + "CREATE SCHEMA q AUTHORIZATION fi_app_owner;
           CREATE TABLE q.searches (id int PRIMARY KEY, query tsquery, queries tsquery[]);
           INSERT INTO q.searches VALUES (1, '', ARRAY[''::tsquery, 'a & b']), (2, 'a <-> b:*', NULL);
           ALTER TABLE q.searches OWNER TO fi_app_owner;";
    round_trip("fi_tsquery", &sql).await;
}
