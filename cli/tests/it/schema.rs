//! Schema fidelity: every object kind, toggles and profiles, roles.

use std::collections::BTreeSet;

use pgark_engine::{Archive, DumpOptions, Kind, RestoreOptions, Section};

use crate::harness::*;

#[tokio::test]
async fn every_object_kind_round_trips() {
    let db = fresh_db("sc_objects").await;
    exec(&db, &fixture("objects.sql")).await;
    let dir = tmp();
    let path = dir.path().join("objects.pgark");
    dump_db(&db, &path, &DumpOptions { jobs: 3, ..Default::default() }).await;
    let archive = Archive::open(&path).unwrap();
    // Large objects' contents need format version 3 (a version-2 reader would load them as a table).
    assert_eq!(archive.format_version(), 3);
    let m = archive.manifest();
    // Secrets stay out: the user mapping is dumped without its password.
    assert!(m.items.iter().any(|i| i.kind == Kind::UserMapping));
    assert!(m.items.iter().all(|i| !i.sql.contains("not-in-archive")), "a password reached the archive");
    let kinds: BTreeSet<&str> = m.items.iter().map(|i| i.kind.name()).collect();
    // Security labels need a label provider: tested on PostgreSQL 18 in versions.rs.
    for k in Kind::ALL.into_iter().filter(|k| *k != Kind::SecurityLabel) {
        assert!(kinds.contains(k.name()), "the fixture has no {} item: {kinds:?}", k.name());
    }
    assert!(m.roles.contains(&"fx_owner".to_string()) && m.roles.contains(&"fx_reader".to_string()), "{:?}", m.roles);

    exec("postgres", "DROP DATABASE IF EXISTS sc_objects_copy").await;
    restore_into(&path, "sc_objects_copy", &RestoreOptions { jobs: 3, create: true, ..Default::default() })
        .await
        .unwrap();
    // The only intended difference: the password, which the archive never holds.
    exec(&db, "ALTER USER MAPPING FOR fx_reader SERVER fx_server OPTIONS (DROP password)").await;
    exec(&db, "ALTER SUBSCRIPTION fx_sub CONNECTION 'host=example.invalid dbname=nowhere user=fx_reader'").await;
    assert_same(&db, "sc_objects_copy").await;
    let populated = |db: String| {
        pairs::<bool>(db, "SELECT relname::text, relispopulated FROM pg_class WHERE relkind = 'm' ORDER BY 1")
    };
    assert_eq!(populated(db.clone()).await, populated("sc_objects_copy".into()).await);
    // Better than pg_dump: extensions come back at the version the source had.
    // Privileges changed on built-in languages, which pg_dump's schema output leaves out.
    let languages = |db: String| {
        pairs::<String>(db, "SELECT lanname::text, coalesce(lanacl::text, '') FROM pg_language ORDER BY 1")
    };
    assert_eq!(languages(db.clone()).await, languages("sc_objects_copy".into()).await);
    let versions = |db: String| pairs::<String>(db, "SELECT extname::text, extversion FROM pg_extension ORDER BY 1");
    assert_eq!(versions(db.clone()).await, versions("sc_objects_copy".into()).await);
    assert_eq!(
        populated(db).await,
        [("mood_counts".to_string(), true), ("never_filled".to_string(), false), ("tuned_mv".to_string(), true)]
    );
}

fn labels(m: &pgark_engine::Manifest) -> BTreeSet<String> {
    m.items.iter().map(|i| format!("{} {}", i.section.name(), i.label())).collect()
}

#[tokio::test]
async fn each_toggle_leaves_out_exactly_its_kinds() {
    let db = fresh_db("sc_toggles").await;
    exec(&db, &fixture("objects.sql")).await;
    let dir = tmp();
    let full_path = dir.path().join("full.pgark");
    dump_db(&db, &full_path, &DumpOptions::default()).await;
    let full = Archive::open(&full_path).unwrap();
    for toggle in ["functions", "rls", "triggers", "indexes", "constraints", "views"] {
        let kinds = Kind::toggle(toggle).unwrap().to_vec();
        let path = dir.path().join(format!("{toggle}.pgark"));
        dump_db(&db, &path, &DumpOptions { exclude_kinds: kinds.clone(), ..Default::default() }).await;
        let a = Archive::open(&path).unwrap();
        // What hangs off a view left out goes with it: the materialized view's index, the view's
        // INSTEAD OF trigger.
        let on_views = ["post-data index app.mood_counts_mood", "post-data trigger app.writable_instead"];
        let expected: BTreeSet<String> = full
            .manifest()
            .items
            .iter()
            .filter(|i| !i.is_of(&kinds))
            .map(|i| format!("{} {}", i.section.name(), i.label()))
            .filter(|l| toggle != "views" || !on_views.contains(&l.as_str()))
            .collect();
        assert_eq!(labels(a.manifest()), expected, "--no-{toggle}");
        assert!(full.manifest().items.iter().any(|i| i.is_of(&kinds)), "the fixture has {toggle}");
        assert_eq!(a.manifest().total_rows(), full.manifest().total_rows(), "--no-{toggle} keeps the data");
        if toggle == "constraints" {
            assert!(
                a.manifest().items.iter().filter(|i| i.kind == Kind::Table).all(|i| !i.sql.contains("CHECK")),
                "inline CHECKs are constraints too"
            );
        }
        if toggle != "functions" {
            // Without functions, triggers that call them cannot be created: that is the user's choice.
            let copy = fresh_db(&format!("sc_toggle_{toggle}")).await;
            restore_into(&path, &copy, &RestoreOptions::default()).await.unwrap();
        }
    }
    // The same filters at restore time; what hangs off a view left out goes with it there too.
    let copy = fresh_db("sc_toggle_restore_views").await;
    let options = RestoreOptions { exclude_kinds: Kind::toggle("views").unwrap().to_vec(), ..Default::default() };
    restore_into(&full_path, &copy, &options).await.unwrap();
    let copy = fresh_db("sc_toggle_restore").await;
    let options = RestoreOptions { exclude_kinds: vec![Kind::Index, Kind::Trigger], ..Default::default() };
    restore_into(&full_path, &copy, &options).await.unwrap();
    let n: i64 = value(&copy, "SELECT (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal) + (SELECT count(*) FROM pg_indexes WHERE indexname = 'account_attrs')").await;
    assert_eq!(n, 0);
}

#[tokio::test]
async fn profiles_split_structure_and_data() {
    let db = fresh_db("sc_profiles").await;
    exec(&db, &fixture("demo.sql")).await;
    let dir = tmp();
    let (schema, data) = (dir.path().join("schema.pgark"), dir.path().join("data.pgark"));
    for (path, profile) in [(&schema, "structure-only"), (&data, "data-only")] {
        let out = pgark(&["dump", "-q", "--db", &url(&db), "-o", path.to_str().unwrap(), "--profile", profile]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let s = Archive::open(&schema).unwrap();
    assert_eq!(s.manifest().total_chunks(), 0);
    assert!(s.manifest().items.iter().all(|i| i.kind != Kind::SequenceSet));
    assert_eq!(s.manifest().settings.profile.as_deref(), Some("structure-only"));
    let d = Archive::open(&data).unwrap();
    assert!(d.manifest().items.iter().all(|i| i.section == Section::Data));
    assert_eq!(d.manifest().total_rows(), 202000);
    // Structure, then data into it: the whole database.
    let copy = fresh_db("sc_profiles_copy").await;
    restore_into(&schema, &copy, &RestoreOptions::default()).await.unwrap();
    // Loading into tables whose foreign keys exist already needs them off during the load.
    restore_into(&data, &copy, &RestoreOptions { disable_triggers: true, ..Default::default() }).await.unwrap();
    assert_same(&db, &copy).await;

    // minimal: the tables a config file names.
    let config = dir.path().join("pgark.toml");
    std::fs::write(&config, "[profiles.minimal]\ntables = [\"shop.customers\", \"shop.products\"]\n\n[profiles.lean]\nbase = \"full\"\nno_indexes = true\n").unwrap();
    let dump_profile = |name: &str| {
        let path = dir.path().join(format!("{name}.pgark"));
        let (db_url, config) = (url(&db), config.to_str().unwrap().to_string());
        let out = pgark(&[
            "dump",
            "-q",
            "--db",
            &db_url,
            "-o",
            path.to_str().unwrap(),
            "--profile",
            name,
            "--config",
            &config,
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        path
    };
    let min = dump_profile("minimal");
    let names: Vec<String> = Archive::open(&min).unwrap().manifest().tables.iter().map(|t| t.name.clone()).collect();
    assert_eq!(names, ["customers", "products"]);
    let lean = dump_profile("lean");
    assert!(Archive::open(&lean).unwrap().manifest().items.iter().all(|i| i.kind != Kind::Index));
    // Mistakes are named.
    let out = pgark(&["dump", "--db", &url(&db), "--dry-run", "--profile", "minimal"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("[profiles.minimal]"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = pgark(&["dump", "--db", &url(&db), "--dry-run", "--profile", "weekly"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown profile 'weekly'"));
}

#[tokio::test]
async fn missing_roles_are_listed_together_and_can_be_created() {
    for sql in [
        "DROP DATABASE IF EXISTS sc_roles WITH (FORCE)",
        "DROP DATABASE IF EXISTS sc_roles_a",
        "DROP DATABASE IF EXISTS sc_roles_b",
        "DROP ROLE IF EXISTS miss_owner",
        "DROP ROLE IF EXISTS miss_reader",
        "CREATE ROLE miss_owner LOGIN CONNECTION LIMIT 3",
        "CREATE ROLE miss_reader NOLOGIN",
        "CREATE DATABASE sc_roles",
    ] {
        exec("postgres", sql).await;
    }
    exec(
        "sc_roles",
        "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a');
         ALTER TABLE t OWNER TO miss_owner; GRANT SELECT ON t TO miss_reader;",
    )
    .await;
    let before = fingerprints("sc_roles").await;
    let dir = tmp();
    let path = dir.path().join("roles.pgark");
    dump_db("sc_roles", &path, &DumpOptions { globals: true, ..Default::default() }).await;
    for sql in ["DROP DATABASE sc_roles WITH (FORCE)", "DROP ROLE miss_owner", "DROP ROLE miss_reader"] {
        exec("postgres", sql).await;
    }

    let out = pgark(&["restore", path.to_str().unwrap(), "--db", &url("sc_roles_a"), "--create"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("miss_owner, miss_reader") && err.contains("--no-owner --no-privileges"), "{err}");
    let exists: i64 = value("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'sc_roles_a'").await;
    assert_eq!(exists, 0, "a refused restore creates nothing");

    let out = pgark(&[
        "restore",
        path.to_str().unwrap(),
        "--db",
        &url("sc_roles_a"),
        "--create",
        "--no-owner",
        "--no-privileges",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(fingerprints("sc_roles_a").await, before);

    let out = pgark(&["restore", path.to_str().unwrap(), "--db", &url("sc_roles_b"), "--create", "--create-roles"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = client("sc_roles_b")
        .await
        .query_one(
            "SELECT pg_get_userbyid(relowner)::text, relacl::text, (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'miss_owner'), \
             (SELECT rolconnlimit FROM pg_roles WHERE rolname = 'miss_owner') FROM pg_class WHERE relname = 't'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(r.get::<_, String>(0), "miss_owner");
    assert!(r.get::<_, String>(1).contains("miss_reader=r/miss_owner"));
    assert!(r.get::<_, bool>(2), "attributes come from --globals");
    assert_eq!(r.get::<_, i32>(3), 3);
    for sql in [
        "DROP DATABASE sc_roles_a",
        "DROP DATABASE sc_roles_b",
        "DROP OWNED BY miss_owner, miss_reader",
        "DROP ROLE miss_owner",
        "DROP ROLE miss_reader",
    ] {
        exec("postgres", sql).await;
    }
}

/// A database shaped like a Supabase project: the platform's schemas, plus the user's schema and
/// the user's own trigger and policy on platform tables.
const SUPABASE_LIKE: &str = "
    CREATE SCHEMA auth; CREATE SCHEMA storage; CREATE SCHEMA extensions;
    CREATE TABLE auth.users (id uuid PRIMARY KEY, email text);
    CREATE TABLE storage.objects (id int PRIMARY KEY, owner uuid, name text);
    ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
    CREATE FUNCTION auth.platform_hook() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
    CREATE TRIGGER platform_trigger AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION auth.platform_hook();";

#[tokio::test]
async fn supabase_managed_schemas_are_left_out_but_user_triggers_and_policies_kept() {
    let db = fresh_db("sc_supabase").await;
    exec(&db, SUPABASE_LIKE).await;
    exec(
        &db,
        "INSERT INTO auth.users VALUES ('00000000-0000-0000-0000-000000000001', 'a@x');
         CREATE TABLE public.profiles (id uuid PRIMARY KEY, name text);
         CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql
           AS $$ BEGIN INSERT INTO public.profiles VALUES (NEW.id, NEW.email); RETURN NEW; END $$;
         CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
         CREATE POLICY own_files ON storage.objects FOR SELECT USING (owner IS NOT NULL);
         COMMENT ON POLICY own_files ON storage.objects IS 'files of their owner';
         COMMENT ON TRIGGER on_auth_user_created ON auth.users IS 'creates the profile';
         REVOKE EXECUTE ON FUNCTION pg_catalog.pg_sleep(float8) FROM PUBLIC;
         INSERT INTO public.profiles VALUES ('00000000-0000-0000-0000-000000000009', 'p');",
    )
    .await;
    let dir = tmp();
    let path = dir.path().join("sb.pgark");
    let out = pgark(&["dump", "-q", "--db", &url(&db), "-o", path.to_str().unwrap(), "--skip-managed"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let a = Archive::open(&path).unwrap();
    let m = a.manifest();
    assert_eq!(m.tables.iter().map(|t| t.display_name()).collect::<Vec<_>>(), ["public.profiles"]);
    let names: Vec<String> = m.items.iter().map(|i| i.label()).collect();
    assert!(names.contains(&"trigger auth.on_auth_user_created".to_string()), "{names:?}");
    assert!(names.contains(&"policy storage.own_files".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("platform")), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("table auth") || n.starts_with("schema auth")), "{names:?}");
    // The platform's privileges on built-in objects are not the user's to restore.
    assert!(!names.iter().any(|n| n.contains("pg_catalog")), "{names:?}");

    // Restored into another "project" (which has the platform schemas), the user's pieces work.
    let copy = fresh_db("sc_supabase_copy").await;
    exec(&copy, SUPABASE_LIKE).await;
    restore_into(&path, &copy, &RestoreOptions::default()).await.unwrap();
    exec(&copy, "INSERT INTO auth.users VALUES ('00000000-0000-0000-0000-000000000002', 'b@x')").await;
    let c = client(&copy).await;
    let n: i64 = c.query_one("SELECT count(*) FROM public.profiles", &[]).await.unwrap().get(0);
    assert_eq!(n, 2, "the restored user trigger on auth.users fired");
    let p: i64 =
        c.query_one("SELECT count(*) FROM pg_policies WHERE policyname = 'own_files'", &[]).await.unwrap().get(0);
    assert_eq!(p, 1);
    // Their comments come along too.
    let comments: Vec<String> = c
        .query(
            "SELECT d.description FROM pg_description d WHERE d.classoid IN ('pg_policy'::regclass, 'pg_trigger'::regclass) \
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(comments, ["creates the profile", "files of their owner"]);

    // --include-managed (with --project-ref) or no flag: everything.
    let all = dir.path().join("all.pgark");
    assert!(pgark(&["dump", "-q", "--db", &url(&db), "-o", all.to_str().unwrap()]).status.success());
    assert_eq!(Archive::open(&all).unwrap().manifest().tables.len(), 3);
}
