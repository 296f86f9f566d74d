//! Partial dumps stay restorable: what a toggle leaves out (functions, triggers, indexes,
//! constraints, policies) is recorded by the objects that need it; a restore creates those
//! where the target has what they need and skips them, naming them, where it does not.

use std::collections::BTreeMap;

use crate::harness::*;

/// Dumps `db` with `toggles` into `path` (the CLI, as users run it); returns stderr.
fn dump_with(db: &str, path: &std::path::Path, toggles: &[&str]) -> String {
    let url = url(db);
    let mut args = vec!["dump", "-q", "--db", &url, "-o", path.to_str().unwrap()];
    args.extend(toggles);
    let out = pgark(&args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "dump {toggles:?}: {stderr}");
    stderr
}

/// Restores `path` into `db` (`--create` when asked); returns stderr, failing on a failed restore.
fn restore_to(path: &std::path::Path, db: &str, create: bool) -> String {
    let url = url(db);
    let mut args = vec!["restore", "-q", path.to_str().unwrap(), "--db", &url, "--jobs", "2"];
    if create {
        args.push("--create");
    }
    let out = pgark(&args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "restore of {} into {db}: {stderr}", path.display());
    stderr
}

#[tokio::test]
async fn a_dump_without_functions_restores_into_an_empty_database_and_into_one_that_has_them() {
    let src = fresh_db("pt_src").await;
    exec(&src, &fixture("partial.sql")).await;
    let dir = tmp();
    let path = dir.path().join("no_functions.pgark");
    let stderr = dump_with(&src, &path, &["--no-functions"]);
    assert!(stderr.contains("need objects it leaves out"), "{stderr}");
    assert!(stderr.contains("view shop.product_slugs needs function lib.slug(pg_catalog.text)"), "{stderr}");
    let inspect = pgark(&["inspect", path.to_str().unwrap()]);
    let listed = String::from_utf8_lossy(&inspect.stdout).to_string();
    for line in [
        "trigger shop.product_stamp needs function shop.stamp()",
        "policy shop.product_mine needs function shop.mine(pg_catalog.text)",
        "index shop.product_slug needs function lib.slug(pg_catalog.text)",
        "view shop.totals needs aggregate shop.total(numeric)",
        "type shop.price needs function lib.positive(numeric)",
    ] {
        assert!(listed.contains(line), "{line} in\n{listed}");
    }

    // Into an empty database: what needs the missing functions is skipped, by name; every
    // table that does not comes back with all its rows.
    exec("postgres", "DROP DATABASE IF EXISTS pt_empty").await;
    let plan = pgark(&["restore", path.to_str().unwrap(), "--create", "--dry-run", "--db", &url("pt_empty")]);
    let plan = String::from_utf8_lossy(&plan.stdout).to_string();
    assert!(plan.contains("created only where the target has what they need"), "{plan}");
    let stderr = restore_to(&path, "pt_empty", true);
    for skipped in [
        "skipped view shop.product_slugs: it needs function lib.slug(pg_catalog.text)",
        "skipped view shop.slug_count: it needs view shop.product_slugs, which was skipped",
        "skipped trigger shop.product_stamp: it needs function shop.stamp()",
        "skipped table shop.priced: it needs type shop.price, which was skipped",
    ] {
        assert!(stderr.contains(skipped), "{skipped} in\n{stderr}");
    }
    let (source, copy) = (fingerprints(&src).await, fingerprints("pt_empty").await);
    let without_priced: BTreeMap<_, _> = source.iter().filter(|(t, _)| !t.contains("priced")).collect();
    assert_eq!(without_priced, copy.iter().collect::<BTreeMap<_, _>>());
    let defaults: i64 = value(
        "pt_empty",
        "SELECT count(*) FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid WHERE c.relname = 'product'",
    )
    .await;
    assert_eq!(defaults, 1, "owner's default stays in CREATE TABLE; code's needs shop.next_code()");

    // Into a database that has the functions (managed by migrations, say): everything comes back.
    let has = fresh_db("pt_has_functions").await;
    exec(&has, &fixture("partial.sql")).await;
    exec(
        &has,
        "DROP VIEW shop.slug_count, shop.product_slugs, shop.totals; DROP TABLE shop.line, shop.product, shop.plain, shop.priced; \
         DROP DOMAIN shop.price; DROP SEQUENCE shop.codes;",
    )
    .await;
    let stderr = restore_to(&path, &has, false);
    assert!(!stderr.contains("skipped"), "{stderr}");
    assert_same(&src, &has).await;
}

#[tokio::test]
async fn every_combination_of_toggles_restores_into_an_empty_database() {
    let src = fresh_db("pt_toggles").await;
    exec(&src, &fixture("partial.sql")).await;
    let source = fingerprints(&src).await;
    let dir = tmp();
    let toggles = ["--no-functions", "--no-triggers", "--no-indexes", "--no-constraints", "--no-rls"];
    for mask in 0..(1u32 << toggles.len()) {
        let chosen: Vec<&str> =
            toggles.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, t)| *t).collect();
        let path = dir.path().join(format!("toggles_{mask}.pgark"));
        let said = dump_with(&src, &path, &chosen);
        if chosen.contains(&"--no-indexes") && !chosen.contains(&"--no-constraints") {
            assert!(said.contains("index shop.product_code is kept although indexes are left out"), "{said}");
        }
        exec("postgres", "DROP DATABASE IF EXISTS pt_combo").await;
        restore_to(&path, "pt_combo", true);
        let copy = fingerprints("pt_combo").await;
        for (table, fp) in &source {
            // Only a table whose column type needs a left-out function may be missing.
            match copy.get(table) {
                Some(c) => assert_eq!(c, fp, "{table} with {chosen:?}"),
                None => assert!(
                    table.contains("priced") && chosen.contains(&"--no-functions"),
                    "{table} missing with {chosen:?}"
                ),
            }
        }
        if chosen.contains(&"--no-indexes") && !chosen.contains(&"--no-constraints") {
            let kept: i64 = value("pt_combo", "SELECT count(*) FROM pg_class WHERE relname = 'product_code'").await;
            assert_eq!(kept, 1, "the unique index the foreign key references is kept with {chosen:?}");
        }
    }
}

#[tokio::test]
async fn a_table_restored_into_a_live_database_keeps_its_foreign_keys_and_its_views() {
    let src = fresh_db("pt_live_src").await;
    exec(&src, &fixture("partial.sql")).await;
    let dir = tmp();
    let path = dir.path().join("full.pgark");
    dump_with(&src, &path, &[]);
    let live = fresh_db("pt_live").await;
    restore_to(&path, &live, false);
    let archive = path.to_str().unwrap();

    // The referencing table alone: its foreign key to a table the target has is made.
    exec(&live, "DROP TABLE shop.line").await;
    let out = pgark(&["restore", "-q", archive, "-t", "shop.line", "--db", &url(&live)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("is created only if the target has table shop.product"), "{stderr}");
    assert!(!stderr.contains("skipped"), "{stderr}");
    assert_same(&src, &live).await;

    // The referenced table alone (dropped with what hung off it): its views come back.
    exec(&live, "DROP TABLE shop.product CASCADE").await;
    let out = pgark(&["restore", "-q", archive, "-t", "shop.product", "--db", &url(&live)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let views: Vec<String> = client(&live)
        .await
        .query(
            "SELECT relname::text FROM pg_class WHERE relkind = 'v' AND relnamespace = 'shop'::regnamespace ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(views, ["product_slugs", "slug_count", "totals"]);
    let comment: Option<String> = value(&live, "SELECT obj_description('shop.product_slugs'::regclass)").await;
    assert_eq!(comment.as_deref(), Some("one slug per product"));
}

#[tokio::test]
async fn schema_and_table_exclusions_restore_into_an_empty_database_and_into_one_that_has_the_rest() {
    let src = fresh_db("pt_excl_src").await;
    exec(&src, &fixture("partial.sql")).await;
    let dir = tmp();
    let source = fingerprints(&src).await;
    for (name, args, skip) in [
        ("no_lib", vec!["--exclude-schema", "lib"], "skipped view shop.product_slugs: it needs function lib.slug"),
        (
            "no_product",
            vec!["--exclude-table", "shop.product"],
            "skipped view shop.product_slugs: it needs table shop.product",
        ),
        ("only_line", vec!["-t", "shop.line"], ""),
    ] {
        let path = dir.path().join(format!("{name}.pgark"));
        dump_with(&src, &path, &args);
        exec("postgres", "DROP DATABASE IF EXISTS pt_excl_copy").await;
        let said = restore_to(&path, "pt_excl_copy", true);
        for (table, fp) in fingerprints("pt_excl_copy").await {
            assert_eq!(Some(&fp), source.get(&table), "{table} with {args:?}");
        }
        assert!(said.contains(skip), "{skip} in\n{said}");
    }
    // What --exclude-schema lib leaves out exists in the target: everything comes back.
    let has = fresh_db("pt_excl_has_lib").await;
    exec(&has, &fixture("partial.sql")).await;
    exec(&has, "DROP SCHEMA shop CASCADE").await;
    let said = restore_to(&dir.path().join("no_lib.pgark"), &has, false);
    assert!(!said.contains("skipped"), "{said}");
    assert_same(&src, &has).await;
}

#[tokio::test]
async fn comments_and_publications_can_be_left_out_at_dump_and_at_restore() {
    let db = fresh_db("pt_cmt").await;
    exec(
        &db,
        "CREATE TABLE items (id int PRIMARY KEY, name text);
         COMMENT ON TABLE items IS 'what we sell';
         COMMENT ON COLUMN items.name IS 'shown to customers';
         CREATE PUBLICATION items_pub FOR TABLE items;
         INSERT INTO items VALUES (1, 'a'), (2, 'b');",
    )
    .await;
    let dir = tmp();
    let comments =
        "SELECT count(*) FROM pg_description d JOIN pg_class c ON c.oid = d.objoid WHERE c.relname = 'items'";
    let publications = "SELECT count(*) FROM pg_publication WHERE pubname = 'items_pub'";
    // At dump time: neither is in the archive.
    let lean = dir.path().join("lean.pgark");
    let out =
        pgark(&["dump", "-q", "--db", &url(&db), "-o", lean.to_str().unwrap(), "--no-comments", "--no-publications"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let into = fresh_db("pt_cmt_lean").await;
    let out = pgark(&["restore", lean.to_str().unwrap(), "--db", &url(&into), "-q"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!((value::<i64>(&into, comments).await, value::<i64>(&into, publications).await), (0, 0));
    assert_eq!(value::<i64>(&into, "SELECT count(*) FROM items").await, 2);
    // At restore time, from a full archive: comments left out, the publication kept.
    let full = dir.path().join("full.pgark");
    assert!(pgark(&["dump", "-q", "--db", &url(&db), "-o", full.to_str().unwrap()]).status.success());
    let into = fresh_db("pt_cmt_full").await;
    let out = pgark(&["restore", full.to_str().unwrap(), "--db", &url(&into), "-q", "--no-comments"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!((value::<i64>(&into, comments).await, value::<i64>(&into, publications).await), (0, 1));
    let into = fresh_db("pt_cmt_all").await;
    assert!(pgark(&["restore", full.to_str().unwrap(), "--db", &url(&into), "-q"]).status.success());
    assert_eq!((value::<i64>(&into, comments).await, value::<i64>(&into, publications).await), (2, 1));
}

#[tokio::test]
async fn excluded_table_data_keeps_the_table_without_its_rows() {
    let db = fresh_db("pt_etd").await;
    exec(
        &db,
        "CREATE SCHEMA app;
         CREATE TABLE app.orders (id serial PRIMARY KEY, total int);
         CREATE TABLE app.audit_log (id bigserial PRIMARY KEY, order_id int REFERENCES app.orders, what text);
         INSERT INTO app.orders (total) SELECT i FROM generate_series(1, 50) i;
         INSERT INTO app.audit_log (order_id, what) SELECT i, 'created' FROM generate_series(1, 50) i;",
    )
    .await;
    let dir = tmp();
    let archive = dir.path().join("etd.pgark");
    let out = pgark(&[
        "dump",
        "-q",
        "--db",
        &url(&db),
        "-o",
        archive.to_str().unwrap(),
        "--exclude-table-data",
        "app.audit_*",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let into = fresh_db("pt_etd_copy").await;
    let out = pgark(&["restore", archive.to_str().unwrap(), "--db", &url(&into), "-q"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(value::<i64>(&into, "SELECT count(*) FROM app.orders").await, 50);
    assert_eq!(value::<i64>(&into, "SELECT count(*) FROM app.audit_log").await, 0, "the definition, not the rows");
    // Its sequence keeps its value (new rows do not collide when the log is merged back).
    assert_eq!(value::<i64>(&into, "SELECT last_value FROM app.audit_log_id_seq").await, 50);
    let out = pgark(&["inspect", archive.to_str().unwrap(), "--json"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("app.audit_*"), "the archive records what it left out: {text}");
}

#[tokio::test]
async fn owners_and_grants_can_be_left_out_at_dump_time() {
    let db = fresh_db("pt_own").await;
    exec(
        &db,
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pt_own_app') THEN CREATE ROLE pt_own_app; END IF;
                    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pt_own_ro') THEN CREATE ROLE pt_own_ro; END IF; END $$;
         CREATE SCHEMA shop AUTHORIZATION pt_own_app;
         SET ROLE pt_own_app;
         CREATE TABLE shop.items (id int PRIMARY KEY);
         GRANT SELECT ON shop.items TO pt_own_ro;
         ALTER DEFAULT PRIVILEGES IN SCHEMA shop GRANT SELECT ON TABLES TO pt_own_ro;
         RESET ROLE;",
    )
    .await;
    let dir = tmp();
    let archive = dir.path().join("own.pgark");
    let out =
        pgark(&["dump", "-q", "--db", &url(&db), "-o", archive.to_str().unwrap(), "--no-owner", "--no-privileges"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listing =
        String::from_utf8_lossy(&pgark(&["restore", archive.to_str().unwrap(), "--list"]).stdout).into_owned();
    assert!(!listing.contains("OWNER TO") && !listing.contains("pt_own"), "{listing}");
    let into = fresh_db("pt_own_copy").await;
    let out = pgark(&["restore", archive.to_str().unwrap(), "--db", &url(&into), "-q"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let owner: String = value(&into, "SELECT tableowner::text FROM pg_tables WHERE tablename = 'items'").await;
    assert_eq!(owner, "postgres", "the restoring user owns it");
    let grants: i64 =
        value(&into, "SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = 'pt_own_ro'").await;
    assert_eq!(grants, 0);
    assert_eq!(value::<i64>(&into, "SELECT count(*) FROM pg_default_acl").await, 0);
}
