//! The decoder's oracle: rows of every type it reads — generated values (proptest strategies)
//! plus edge values — dumped by pgark, decoded from the archive without a database, must equal
//! byte for byte what the server's own `COPY … TO STDOUT` (text format) prints, on the test
//! cluster's PostgreSQL and on PostgreSQL 18.

use std::collections::BTreeMap;
use std::path::Path;

use pgark_engine::{write_rows, Archive, DumpOptions, RowFormat, RowOptions, SourceFacts};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use tokio_postgres::types::ToSql;

use crate::harness::*;

/// The table: one column per type family, owned by an application role in its own schema.
const SCHEMA: &str = "
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS ltree;
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dc_app') THEN CREATE ROLE dc_app; END IF; END $$;
CREATE SCHEMA \"Types Lab\" AUTHORIZATION dc_app;
SET ROLE dc_app;
CREATE TYPE \"Types Lab\".mood AS ENUM ('sad', 'ok', 'a b', 'x\"y', 'NULL');
CREATE DOMAIN \"Types Lab\".label AS text CHECK (VALUE <> 'forbidden');
CREATE TYPE \"Types Lab\".floatrange AS RANGE (subtype = float8);
CREATE TABLE \"Types Lab\".\"all types\" (
  id int PRIMARY KEY, b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, num numeric, num2 numeric(12,4),
  t text, by bytea, d date, ts timestamp, tstz timestamptz, tm time, ttz timetz, iv interval, u uuid,
  j json, jb jsonb, ip inet, cidr cidr, mac macaddr, mac8 macaddr8, vb varbit, bt bit(5), lsn pg_lsn,
  cash money, ch \"char\", arr int4[], tarr text[], md int4[], farr float8[], r int4range, tsr tstzrange,
  fr \"Types Lab\".floatrange, mr int4multirange, e \"Types Lab\".mood, dom \"Types Lab\".label, pt point, bx box,
  ln line, ls lseg, pa path, pg polygon, ci circle, tsv tsvector, x xml, nm name, bp char(5), vc varchar(10),
  hs hstore, ct citext, o oid, tid tid, x8 xid8, lt ltree, jp jsonpath
);
-- tsquery travels in text COPY format (an empty tsquery's binary form does not read back):
-- a table of its own, whose JSON lines are typed from the column types all the same.
CREATE TABLE \"Types Lab\".queries (id int PRIMARY KEY, tq tsquery, ok bool, n numeric, f float8, j jsonb, t text);
RESET ROLE;
";

/// Edge values, as SQL rows (id from 1,000,000 on).
const EDGES: &str = "
INSERT INTO \"Types Lab\".\"all types\" (id) VALUES (1000000);
INSERT INTO \"Types Lab\".\"all types\" (id, b, i2, i4, i8, f4, f8, num, t, by, d, ts, tstz, tm, ttz, iv, arr, tarr, r, fr, mr, e, vb, cash, ch, lsn, pt, x8)
VALUES
 (1000001, false, -32768, -2147483648, -9223372036854775808, '-Infinity', 'NaN', 'NaN', '', '\\x', 'infinity', '-infinity', 'infinity',
  '24:00:00', '23:59:59.999999-15:59', '-178000000 years', '{}', '{NULL,\"\",NULL}', 'empty', '(,)', '{}', 'NULL', '', '-92233720368547758.08', '\\001', '0/0', '(0,-0)', '0'),
 (1000002, true, 32767, 2147483647, 9223372036854775807, 'Infinity', '-0', 'Infinity', E'tab\\there\\nnew\\\\back \"q\" {b,c} NULL', '\\x00ff5c0a',
  '-infinity', 'infinity', '-infinity', '00:00:00', '00:00:00+15:59', '178000000 years 1 mon -1 days 00:00:00.000001', '[-3:-2]={1,NULL}',
  '{\"a,b\",\"{x}\",\"back\\\\slash\",\"  \",\"NULL\",null,\"é日\"}', '[,5)', '[-1.5,\"Infinity\"]', '{[1,3),[5,7]}', 'x\"y', '10101', '92233720368547758.07', 'é', 'FFFFFFFF/FFFFFFFF', '(1e+300,-1e-300)', '18446744073709551615'),
 (1000003, NULL, 0, 0, 0, 1.17549435e-38, 4.9e-324, '-0.000000000000000000001', 'NULL', '\\x5c', '4713-01-01 BC', '4713-01-01 00:00:00 BC', '0001-01-01 00:00:00+00 BC',
  '00:00:00.5', '12:00:00+05:45', '-1 days -00:00:00.5', '{{1,2},{3,4}}', '{}', '(1,2)', 'empty', '{(,)}', 'sad', '0', '0', '', '0/FF', '(-1.5,3)', '1'),
 (1000004, true, 1, 1, 1, 3.4028235e38, 1.7976931348623157e308, '1e-1000', 'x', '\\xdeadbeef', '5874897-12-31', '294276-12-31 23:59:59.999999', '294276-12-31 23:59:59.999999+00',
  '23:59:59.999999', '00:00:00-00:00:01', '1 day -1 hours', '[0:0][1:2]={{7,8}}', '{a}', '[1,2]', '(-0.0,0.1]', '{[1,2), [3,4)}', 'ok', '1', '-0.01', 'A', '1/0', '(5e-324,0.1)', '2');
UPDATE \"Types Lab\".\"all types\" SET
  ip = v.ip::inet, cidr = v.cidr::cidr
FROM (VALUES (1000001, '::', '::/0'), (1000002, '::ffff:1.2.3.4', '10.0.0.0/8'), (1000003, '2001:db8::1:0:0:1/64', '2001:db8::/32'),
             (1000004, '::1.2.3.4', '255.255.255.255/32')) AS v(id, ip, cidr)
WHERE \"all types\".id = v.id;
UPDATE \"Types Lab\".\"all types\" SET num = '123456789012345678901234567890.123456789', num2 = 99999999.9999, iv = '-2147483647 days -2562047787:00:00.5',
  md = '[2:3][0:1]={{1,2},{3,4}}', tsv = 'a:1A,2B b:3C ''x y'':4 \\\\back', bx = '(1,2),(3,4)', ln = '{1,-1,0}', ls = '[(0,0),(1,1)]',
  pa = '[(0,0),(1,1),(2,0)]', pg = '((0,0),(1,1),(2,0))', ci = '<(1,1),2>', hs = 'a=>1, \"b c\"=>NULL, \"q\\\"\"=>\"\\\\\"', ct = 'MiXeD',
  x = '<a b=\"1\">t&amp;</a>', nm = 'a name', bp = 'ab', vc = 'short', o = 4294967295, tid = '(4294967295,65535)', mac = '08:00:2b:01:02:03',
  mac8 = '08:00:2b:01:02:03:04:05', bt = B'10101', j = '{\"k\": [1, 2.50, \"\\u00e9\"]}', jb = '{\"k\": [1, 2.50, \"\\u00e9\"], \"a\": null}',
  u = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', tsr = '[2020-01-01 00:00:00+00,infinity)', farr = '{NaN,-Infinity,1.5,-0}'
WHERE id = 1000002;
UPDATE \"Types Lab\".\"all types\" SET jp = v.jp::jsonpath
FROM (VALUES (1000001, '$'), (1000002, 'strict $.\"key x\"[1 to last]'),
             (1000003, '$.a ? (@ like_regex \"^x\" flag \"i\")'), (1000004, 'lax $.** ? (@.type() == \"number\")')) AS v(id, jp)
WHERE \"all types\".id = v.id;
INSERT INTO \"Types Lab\".queries VALUES (1, '', true, 'NaN', '-0', '{\"a\": [1, \"x\"]}', 'plain'),
  (2, 'a & (b | !c) <2> d:*AB', false, 12.50, 'Infinity', '\"null\"', E'tab\\there'), (3, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, '!(a <-> b) | ''x y'':C', true, -1e-20, 1.5e300, '[]', '');
";

/// One generated row.
#[derive(Debug, Clone)]
struct Row {
    b: Option<bool>,
    i2: i16,
    i4: i32,
    i8: i64,
    f4: f32,
    f8: f64,
    num: String,
    t: String,
    by: Vec<u8>,
    days: i32,
    ts_usecs: i64,
    tm_usecs: i64,
    zone_secs: i32,
    iv: (i32, i32, i64),
    ip: (bool, [u8; 16], u8),
    arr: Vec<Option<i32>>,
    tarr: Vec<Option<String>>,
    farr: Vec<f64>,
    range: (Option<i32>, Option<i32>, bool, bool),
    lsn: u64,
    cash: i64,
    ch: i8,
    bits: Vec<bool>,
    pt: (f64, f64),
    words: Vec<String>,
}

fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just('a'),
            Just('Z'),
            Just(' '),
            Just('\t'),
            Just('\n'),
            Just('\r'),
            Just('\\'),
            Just('"'),
            Just('\''),
            Just(','),
            Just('{'),
            Just('}'),
            Just('é'),
            Just('日'),
            Just('\u{1}'),
            Just('\u{7f}'),
            any::<char>().prop_filter("no NUL", |c| *c != '\0'),
        ],
        0..12,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn decimal() -> impl Strategy<Value = String> {
    prop_oneof![
        (any::<bool>(), "[0-9]{1,30}", proptest::option::of("[0-9]{1,25}")).prop_map(|(neg, i, f)| {
            format!("{}{}{}", if neg { "-" } else { "" }, i, f.map(|f| format!(".{f}")).unwrap_or_default())
        }),
        Just("NaN".to_string()),
        Just("-Infinity".to_string()),
    ]
}

fn row() -> impl Strategy<Value = Row> {
    let a = (
        proptest::option::of(any::<bool>()),
        any::<i16>(),
        any::<i32>(),
        any::<i64>(),
        any::<u32>().prop_map(f32::from_bits),
        any::<u64>().prop_map(f64::from_bits),
        decimal(),
        text(),
        proptest::collection::vec(any::<u8>(), 0..20),
    );
    let b = (
        -2_451_545i32..2_000_000,
        -210_000_000_000_000_000i64..9_200_000_000_000_000_000,
        0i64..=86_400_000_000,
        -57_599i32..=57_599,
        (any::<i32>(), any::<i32>(), -1_000_000_000_000_000i64..1_000_000_000_000_000),
        (any::<bool>(), any::<[u8; 16]>(), any::<u8>()),
        proptest::collection::vec(proptest::option::of(any::<i32>()), 0..6),
        proptest::collection::vec(proptest::option::of(text()), 0..4),
    );
    let c = (
        proptest::collection::vec(any::<u64>().prop_map(f64::from_bits), 0..4),
        (proptest::option::of(-1000i32..1000), proptest::option::of(-1000i32..1000), any::<bool>(), any::<bool>()),
        any::<u64>(),
        -90_000_000_000_000_000i64..90_000_000_000_000_000,
        any::<i8>(),
        proptest::collection::vec(any::<bool>(), 0..20),
        (any::<u64>().prop_map(f64::from_bits), any::<u64>().prop_map(f64::from_bits)),
        proptest::collection::vec("[a-z]{1,6}", 0..5),
    );
    (a, b, c).prop_map(|((b, i2, i4, i8, f4, f8, num, t, by), (days, ts, tm, zone, iv, ip, arr, tarr), c)| {
        let (farr, range, lsn, cash, ch, bits, pt, words) = c;
        Row {
            b,
            i2,
            i4,
            i8,
            f4,
            f8,
            num,
            t,
            by,
            days,
            ts_usecs: ts,
            tm_usecs: tm,
            zone_secs: zone,
            iv,
            ip,
            arr,
            tarr,
            farr,
            range,
            lsn,
            cash,
            ch,
            bits,
            pt,
            words,
        }
    })
}

/// `a.b.c.d/n` or an IPv6 address with its prefix; with `cidr` the host bits are cleared.
fn address(r: &Row, cidr: bool) -> String {
    let (v6, bytes, bits) = r.ip;
    let (len, max) = if v6 { (16, 128) } else { (4, 32) };
    let bits = bits as u32 % (max + 1);
    let mut a = bytes[..len].to_vec();
    if cidr {
        for (i, byte) in a.iter_mut().enumerate() {
            let keep = bits.saturating_sub(8 * i as u32).min(8);
            *byte &= if keep == 0 { 0 } else { 0xffu8 << (8 - keep) };
        }
    }
    let addr = if v6 {
        std::net::Ipv6Addr::from(<[u8; 16]>::try_from(&a[..]).unwrap()).to_string()
    } else {
        std::net::Ipv4Addr::new(a[0], a[1], a[2], a[3]).to_string()
    };
    format!("{addr}/{bits}")
}

async fn insert(client: &tokio_postgres::Client, id: i32, r: &Row) {
    let range_sql = |(lo, hi, li, ui): (Option<i32>, Option<i32>, bool, bool)| {
        let (lo, hi) = match (lo, hi) {
            (Some(a), Some(b)) if a > b => (Some(b), Some(a)),
            other => other,
        };
        let b = |v: Option<i32>| v.map_or("NULL".to_string(), |v| v.to_string());
        format!("int4range({}, {}, '{}{}')", b(lo), b(hi), if li { '[' } else { '(' }, if ui { ']' } else { ')' })
    };
    let bits: String = r.bits.iter().map(|b| if *b { '1' } else { '0' }).collect();
    let sql = format!(
        "INSERT INTO \"Types Lab\".\"all types\" (id, b, i2, i4, i8, f4, f8, num, t, by, d, ts, tstz, tm, ttz, iv, u, j, jb,
           ip, cidr, mac, vb, lsn, cash, ch, arr, tarr, farr, r, mr, pt, tsv, hs, ct, e, dom, x, nm, bp, vc, md, tsr, fr, lt, jp)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::numeric, $9, $10, date '2000-01-01' + $11::int,
           timestamp '2000-01-01' + $12::int8 * interval '1 microsecond', timestamptz '2000-01-01 00:00:00+00' + $12::int8 * interval '1 microsecond',
           time '00:00' + $13::int8 * interval '1 microsecond',
           (time '00:00' + ($13::int8 % 86400000000) * interval '1 microsecond')::timetz AT TIME ZONE ($14::int * interval '1 second'),
           make_interval(months => $15, days => $16) + $17::int8 * interval '1 microsecond',
           md5($9::text)::uuid, to_json($9::text), jsonb_build_object('t', $9::text, 'n', $7::float8, 'a', $24::int4[]),
           $18::text::inet, $19::text::cidr, substr(md5($9::text), 1, 12)::macaddr, $20::text::varbit, ('0/0'::pg_lsn + $21::text::numeric),
           ($22::text::numeric / 100)::money, $23::int4::\"char\", $24, $25, $26, {range}, int4multirange({range}, int4range(2000, 2005)),
           point($27::float8, $28::float8), to_tsvector('simple', $29::text), hstore($9::text, $29::text), $9::text::citext, (enum_range(NULL::\"Types Lab\".mood))[1 + abs($4::int4 % 5)],
           $29::text, xmlelement(name t, $29::text), $29::text, left($29::text, 5), left($29::text, 10), array[[$4, $4], [NULL, 7]],
           tstzrange(timestamptz '2000-01-01 00:00:00+00' + $12::int8 * interval '1 microsecond', NULL),
           \"Types Lab\".floatrange(least($27::float8, $28::float8), greatest($27::float8, $28::float8)),
           text2ltree(array_to_string(string_to_array($29::text, ' '), '.')),
           ('$.' || coalesce(nullif(replace($29::text, ' ', '.'), ''), 'k') || '[*] ? (@ > ' || ($4 % 100) || ')')::jsonpath)",
        range = range_sql(r.range)
    );
    let f8_finite = |v: f64| if v.is_finite() { v } else { 0.0 };
    let words = r.words.join(" ");
    let lsn = r.lsn.to_string();
    let params: Vec<&(dyn ToSql + Sync)> = vec![
        &id,
        &r.b,
        &r.i2,
        &r.i4,
        &r.i8,
        &r.f4,
        &r.f8,
        &r.num,
        &r.t,
        &r.by,
        &r.days,
        &r.ts_usecs,
        &r.tm_usecs,
        &r.zone_secs,
        &r.iv.0,
        &r.iv.1,
        &r.iv.2,
    ];
    let ip = address(r, false);
    let cidr = address(r, true);
    let cash = r.cash.to_string();
    let ch = r.ch as i32;
    let (px, py) = (f8_finite(r.pt.0), f8_finite(r.pt.1));
    let mut params = params;
    params.extend_from_slice(&[
        &ip as &(dyn ToSql + Sync),
        &cidr,
        &bits,
        &lsn,
        &cash,
        &ch,
        &r.arr,
        &r.tarr,
        &r.farr,
        &px,
        &py,
        &words,
    ]);
    // Some generated values are out of a type's range (an interval past its limits, a date
    // past 5874897 AD as timestamp): the server refuses them, and the row is skipped.
    if let Err(e) = client.execute(sql.as_str(), &params).await {
        let code = e.code().map(|c| c.code().to_string()).unwrap_or_default();
        assert!(code.starts_with("22"), "row {id} refused for another reason than its values: {e:?}\n{r:?}");
    }
}

/// The server's COPY text output of the table, by id.
async fn server_lines(url: &str) -> BTreeMap<i64, String> {
    table_lines(url, "\"Types Lab\".\"all types\"").await
}

/// The server's COPY text output of `table`, by id.
async fn table_lines(url: &str, table: &str) -> BTreeMap<i64, String> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    client
        .batch_execute(
            "SET DateStyle = ISO; SET IntervalStyle = postgres; SET extra_float_digits = 3; SET TimeZone = 'UTC'; \
             SET bytea_output = hex; SET client_encoding = 'UTF8'",
        )
        .await
        .unwrap();
    let stream = client.copy_out(&format!("COPY {table} TO STDOUT")).await.unwrap();
    let mut bytes = Vec::new();
    futures_util::pin_mut!(stream);
    while let Some(piece) = futures_util::StreamExt::next(&mut stream).await {
        bytes.extend_from_slice(&piece.unwrap());
    }
    by_id(&bytes)
}

fn by_id(bytes: &[u8]) -> BTreeMap<i64, String> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .map(|l| (l.split('\t').next().unwrap().parse().unwrap(), l.to_string()))
        .collect()
}

/// The archive's rows, decoded without a database.
fn decoded_lines(archive: &Path) -> BTreeMap<i64, String> {
    let archive = Archive::open(archive).unwrap();
    let table = archive.manifest().tables.iter().find(|t| t.name == "all types").unwrap().clone();
    let mut out = Vec::new();
    let options = RowOptions { format: Some(RowFormat::Text), ..Default::default() };
    write_rows(&archive, &table, SourceFacts::of(archive.manifest()), &options, &mut out).unwrap();
    by_id(&out)
}

/// Fills database `db` at `url` with generated and edge rows, dumps it with pgark, and compares;
/// returns the archive (in `dir`).
async fn oracle(url: &str, db_url: &str, cases: u32, dir: &Path) -> std::path::PathBuf {
    let (client, conn) = tokio_postgres::connect(db_url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    client.batch_execute(SCHEMA).await.unwrap();
    client.batch_execute(EDGES).await.unwrap();
    let mut runner = TestRunner::new(Config { rng_seed: proptest::test_runner::RngSeed::Random, ..Config::default() });
    let strategy = row();
    for id in 1..=cases as i32 {
        let r = strategy.new_tree(&mut runner).unwrap().current();
        insert(&client, id, &r).await;
    }
    let path = dir.join("types.pgark");
    let target = pgark_engine::Target::resolve(&pgark_engine::ConnectOptions {
        url: Some(db_url.to_string()),
        project_ref: None,
    })
    .unwrap();
    // Small chunks, so rows come from several.
    let options = DumpOptions { chunk_size: 64 << 10, ..Default::default() };
    let plan = pgark_engine::dump::prepare(&target, &options).await.unwrap();
    plan.execute(&path, std::sync::Arc::new(pgark_engine::NoProgress)).await.unwrap();
    let expected = server_lines(db_url).await;
    let got = decoded_lines(&path);
    assert!(expected.len() > cases as usize / 2 + 4, "most generated rows were taken: {} of {cases}", expected.len());
    let mut wrong = Vec::new();
    for (id, line) in &expected {
        match got.get(id) {
            Some(g) if g == line => {}
            Some(g) => {
                // Name the columns that differ.
                let cols: Vec<String> = line
                    .split('\t')
                    .zip(g.split('\t'))
                    .enumerate()
                    .filter(|(_, (a, b))| a != b)
                    .map(|(i, (a, b))| format!("column {i}: server {a:?}, decoded {b:?}"))
                    .collect();
                wrong.push(format!("row {id}: {}", cols.join("; ")));
            }
            None => wrong.push(format!("row {id} missing")),
        }
    }
    assert!(wrong.is_empty(), "{url}: {} of {} rows differ:\n{}", wrong.len(), expected.len(), wrong.join("\n"));
    assert_eq!(got.len(), expected.len());
    path
}

#[tokio::test]
async fn decoded_values_equal_the_servers_text_output() {
    let db = fresh_db("decode_oracle").await;
    let dir = tmp();
    let archive = oracle("test cluster", &url(&db), 300, dir.path()).await;
    // The edge-type fixture as a plain SQL script, loaded by psql: the same rows.
    let plain = format!("{db}_sql");
    extract_and_load(&archive, &plain).await;
    assert_eq!(server_lines(&url(&plain)).await, server_lines(&url(&db)).await);
    extract_dir_and_load(&archive, &plain).await;
    assert_eq!(server_lines(&url(&plain)).await, server_lines(&url(&db)).await);
    // CSV and JSON lines load back (COPY … FROM, json_populate_record) to the same rows.
    let a = Archive::open(&archive).unwrap();
    let plan = pgark_engine::restore::prepare(&a, &Default::default()).unwrap();
    let files = tmp();
    for ((format, ext), (name, file_name)) in [(RowFormat::Csv, "csv"), (RowFormat::Jsonl, "jsonl")]
        .into_iter()
        .flat_map(|f| [(f, ("\"all types\"", "all types")), (f, ("queries", "queries"))])
    {
        let sub = files.path().join(format!("{ext}-{file_name}"));
        std::fs::create_dir(&sub).unwrap();
        pgark_engine::write_table_files(&a, &plan, &sub, format, &pgark_engine::NoProgress).unwrap();
        let file = sub.join(format!("Types Lab.{file_name}.{ext}"));
        let source = format!("\"Types Lab\".{name}");
        let copy = format!("\"Types Lab\".\"back {ext} {file_name}\"");
        exec(&db, &format!("CREATE TABLE {copy} (LIKE {source})")).await;
        let c = client(&db).await;
        if format == RowFormat::Csv {
            // From the client: the file is the test user's only (0600), as pgark writes it.
            let sink = c
                .copy_in::<_, bytes::Bytes>(&format!("COPY {copy} FROM STDIN (FORMAT csv, HEADER true)"))
                .await
                .unwrap();
            futures_util::pin_mut!(sink);
            futures_util::SinkExt::send(&mut sink, bytes::Bytes::from(std::fs::read(&file).unwrap())).await.unwrap();
            sink.finish().await.unwrap_or_else(|e| panic!("{e:?}"));
        } else {
            for line in std::fs::read_to_string(&file).unwrap().lines() {
                let sql =
                    format!("INSERT INTO {copy} SELECT * FROM json_populate_record(NULL::{source}, $1::text::json)");
                c.execute(sql.as_str(), &[&line]).await.unwrap_or_else(|e| panic!("{line}: {e:?}"));
            }
        }
        let (back, original) = (table_lines(&url(&db), &copy).await, table_lines(&url(&db), &source).await);
        let wrong: Vec<String> = original
            .iter()
            .filter(|(id, line)| back.get(id) != Some(line))
            .map(|(id, line)| format!("{id}:\n  {line}\n  {:?}", back.get(id)))
            .take(5)
            .collect();
        assert!(wrong.is_empty() && back.len() == original.len(), "{ext} {file_name}: {}", wrong.join("\n"));
    }
}

#[tokio::test]
async fn decoded_values_equal_the_servers_text_output_on_18() {
    let server = crate::versions::Server::start(18);
    let (client, conn) = tokio_postgres::connect(&server.url("postgres"), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    client.batch_execute("CREATE DATABASE decode_oracle").await.unwrap();
    oracle("PostgreSQL 18", &server.url("decode_oracle"), 300, tmp().path()).await;
}
