-- Objects whose restore failed or came back different before (issue 20), as an application would
-- have them: owned by application roles, grants given by roles other than the owner. Loaded as a
-- superuser; `-- pgN+` / `-- pg<N` lines as in objects.sql.
DO $$ BEGIN CREATE ROLE rs_owner NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE rs_admin NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE rs_app NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE rs_reader NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
CREATE EXTENSION btree_gist;
CREATE SCHEMA rs AUTHORIZATION rs_owner;
CREATE SCHEMA "ops & more" AUTHORIZATION rs_owner;
GRANT USAGE ON SCHEMA rs TO rs_app, rs_reader, rs_admin;
GRANT CREATE ON SCHEMA rs TO rs_admin;
CREATE ACCESS METHOD rs_heap TYPE TABLE HANDLER heap_tableam_handler;

-- 1. Operator classes and families of every shape: empty families, a class with nothing but
-- STORAGE, a class whose members were all added to its family afterwards.
CREATE OPERATOR FAMILY "ops & more".empty_fam USING btree;
CREATE OPERATOR FAMILY "ops & more".empty_hash USING hash;
CREATE OPERATOR FAMILY "ops & more".store_fam USING gist;
CREATE OPERATOR CLASS "ops & more".int_store FOR TYPE int4 USING gist FAMILY "ops & more".store_fam AS STORAGE int4;
CREATE OPERATOR CLASS "ops & more".text_store FOR TYPE text USING gist AS STORAGE bytea;
CREATE OPERATOR FAMILY "ops & more".late_fam USING btree;
CREATE OPERATOR CLASS "ops & more".late_ops FOR TYPE int8 USING btree FAMILY "ops & more".late_fam AS STORAGE int8;
ALTER OPERATOR FAMILY "ops & more".late_fam USING btree ADD
    OPERATOR 1 < (int8, int8), OPERATOR 2 <= (int8, int8), OPERATOR 3 = (int8, int8),
    OPERATOR 4 >= (int8, int8), OPERATOR 5 > (int8, int8), FUNCTION 1 (int8, int8) btint8cmp(int8, int8);
CREATE OPERATOR CLASS "ops & more".hash_ops FOR TYPE int4 USING hash AS OPERATOR 1 = (int4, int4), FUNCTION 1 hashint4(int4);
ALTER OPERATOR FAMILY "ops & more".hash_ops USING hash ADD OPERATOR 1 = (int4, int8), FUNCTION 1 (int8, int8) hashint8(int8);
ALTER OPERATOR FAMILY "ops & more".empty_fam USING btree OWNER TO rs_owner;
ALTER OPERATOR CLASS "ops & more".late_ops USING btree OWNER TO rs_owner;

-- 2. SQL-standard function bodies, parsed at creation: they need the tables, columns, other
-- functions and constraints their bodies use. Functions with string bodies keep their place.
SET ROLE rs_owner;
CREATE TABLE rs.counter (id int, n int NOT NULL DEFAULT 0, label text);
CREATE FUNCTION rs.total() RETURNS bigint LANGUAGE sql STABLE RETURN (SELECT coalesce(sum(n), 0) FROM rs.counter); -- pg14+
CREATE FUNCTION rs.total_twice() RETURNS bigint LANGUAGE sql STABLE RETURN rs.total() * 2; -- pg14+
ALTER TABLE rs.counter ADD CONSTRAINT counter_pkey PRIMARY KEY (id);
CREATE FUNCTION rs.bump(i int) RETURNS void LANGUAGE sql -- pg14+
BEGIN ATOMIC INSERT INTO rs.counter (id, n) VALUES (i, 1) ON CONFLICT (id) DO UPDATE SET n = rs.counter.n + 1; END; -- pg14+
CREATE FUNCTION rs.touch(i int) RETURNS void LANGUAGE sql -- pg14+
BEGIN ATOMIC INSERT INTO rs.counter (id) VALUES (i) ON CONFLICT ON CONSTRAINT counter_pkey DO NOTHING; END; -- pg14+
CREATE FUNCTION rs.touch_twice(i int) RETURNS void LANGUAGE sql BEGIN ATOMIC SELECT rs.touch(i); SELECT rs.touch(i + 1); END; -- pg14+
CREATE VIEW rs.touched AS SELECT rs.touch_twice(0) IS NULL AS t; -- pg14+
CREATE FUNCTION rs.by_id() RETURNS TABLE (id int, label text) LANGUAGE sql STABLE -- pg14+
BEGIN ATOMIC SELECT id, label FROM rs.counter GROUP BY id; END; -- pg14+
CREATE FUNCTION rs.label_of(i int) RETURNS text LANGUAGE sql STABLE BEGIN ATOMIC SELECT label FROM rs.counter WHERE id = i; END; -- pg14+
CREATE VIEW rs.totals AS SELECT rs.total_twice() AS twice; -- pg14+
CREATE FUNCTION rs.first() RETURNS int LANGUAGE sql IMMUTABLE RETURN 1; -- pg14+
CREATE FUNCTION rs.second() RETURNS int LANGUAGE sql IMMUTABLE RETURN 2; -- pg14+
CREATE OR REPLACE FUNCTION rs.first() RETURNS int LANGUAGE sql IMMUTABLE RETURN rs.second() + 1; -- pg14+
CREATE FUNCTION rs.string_body() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM rs.counter';
SELECT rs.bump(1), rs.bump(1), rs.bump(2); -- pg14+
RESET ROLE;

-- 3. PostgreSQL 18 temporal constraints.
CREATE TABLE rs.room (id int, valid daterange, CONSTRAINT room_pk PRIMARY KEY (id, valid WITHOUT OVERLAPS)); -- pg18+
CREATE TABLE rs.stay (room_id int, valid daterange, guest text, UNIQUE (guest, valid WITHOUT OVERLAPS), -- pg18+
    CONSTRAINT stay_room FOREIGN KEY (room_id, PERIOD valid) REFERENCES rs.room (id, PERIOD valid)); -- pg18+
INSERT INTO rs.room VALUES (1, '[2024-01-01,2025-01-01)'), (2, '[2024-01-01,2024-06-01)'); -- pg18+
INSERT INTO rs.stay VALUES (1, '[2024-02-01,2024-02-05)', 'ann'), (2, '[2024-03-01,2024-03-02)', 'bob'); -- pg18+

-- 4. Partitioned indexes: partition indexes with their own names (made before the parent's and
-- attached), long names that truncate to the same stem, partitioned keys, a sub-partitioned level.
SET ROLE rs_owner;
CREATE TABLE rs.part (id int NOT NULL, k text NOT NULL, at date, note text) PARTITION BY LIST (k);
CREATE TABLE rs.part_a PARTITION OF rs.part FOR VALUES IN ('a');
CREATE TABLE rs.part_b PARTITION OF rs.part FOR VALUES IN ('b') PARTITION BY RANGE (id);
CREATE TABLE rs.part_b_low PARTITION OF rs.part_b FOR VALUES FROM (0) TO (100);
CREATE TABLE rs.part_b_high PARTITION OF rs.part_b FOR VALUES FROM (100) TO (MAXVALUE);
CREATE TABLE rs.part_with_a_name_long_enough_to_be_cut_short_by_the_server_one PARTITION OF rs.part FOR VALUES IN ('c');
CREATE TABLE rs.part_with_a_name_long_enough_to_be_cut_short_by_the_server_two PARTITION OF rs.part FOR VALUES IN ('d');
CREATE INDEX my_custom_name ON rs.part_a (at);
CREATE INDEX part_at ON rs.part (at);
CREATE INDEX ON rs.part (note);
CREATE INDEX ON rs.part (note, at);
ALTER TABLE rs.part ADD CONSTRAINT part_pkey PRIMARY KEY (id, k);
ALTER TABLE rs.part ADD CONSTRAINT part_note_key UNIQUE (note, k, id);
CREATE INDEX part_only_parent ON ONLY rs.part (lower(note));
INSERT INTO rs.part SELECT i, (ARRAY['a','b','c','d'])[1 + i % 4], date '2024-01-01' + i, 'n' || i FROM generate_series(1, 400) i;
CREATE TABLE rs.part_ref (id int, k text, CONSTRAINT part_ref_fk FOREIGN KEY (id, k) REFERENCES rs.part (id, k));
INSERT INTO rs.part_ref VALUES (1, 'b'), (2, 'c');

-- 5. A partition whose table access method is not its parent's.
CREATE TABLE rs.amp (id int) PARTITION BY RANGE (id);
ALTER TABLE rs.amp SET ACCESS METHOD rs_heap; -- pg17+
CREATE TABLE rs.amp_heap PARTITION OF rs.amp FOR VALUES FROM (0) TO (10) USING heap;
CREATE TABLE rs.amp_own PARTITION OF rs.amp FOR VALUES FROM (10) TO (20);
INSERT INTO rs.amp VALUES (1), (15);

-- 6. Inherited NOT NULL constraints (named, NO INHERIT on 18).
CREATE TABLE rs.nn_parent (a int CONSTRAINT nn_a_named NOT NULL, b int NOT NULL, c int); -- pg<18
CREATE TABLE rs.nn_parent (a int CONSTRAINT nn_a_named NOT NULL, b int NOT NULL, c int CONSTRAINT nn_c_local NOT NULL NO INHERIT); -- pg18+
CREATE TABLE rs.nn_child (d int) INHERITS (rs.nn_parent);
CREATE TABLE rs.nn_both (a int NOT NULL) INHERITS (rs.nn_parent);
CREATE TABLE rs.nn_part (a int CONSTRAINT nn_part_a NOT NULL, b int) PARTITION BY RANGE (a);
CREATE TABLE rs.nn_part_1 PARTITION OF rs.nn_part FOR VALUES FROM (0) TO (10);

-- 7. Column settings on a materialized view.
CREATE MATERIALIZED VIEW rs.mv AS SELECT id, repeat('x', 10) AS body, k FROM rs.part;
ALTER MATERIALIZED VIEW rs.mv ALTER COLUMN body SET COMPRESSION pglz; -- pg14+
ALTER MATERIALIZED VIEW rs.mv ALTER COLUMN body SET STORAGE EXTERNAL;
ALTER MATERIALIZED VIEW rs.mv ALTER COLUMN id SET STATISTICS 300;
ALTER MATERIALIZED VIEW rs.mv ALTER COLUMN k SET (n_distinct = 4);
RESET ROLE;

-- 8. Column privileges on system columns and on catalog relations.
CREATE TABLE rs.sys (id int PRIMARY KEY, v text);
ALTER TABLE rs.sys OWNER TO rs_owner;
GRANT SELECT (tableoid, ctid, id) ON rs.sys TO rs_reader;
GRANT SELECT (xmin), UPDATE (v) ON rs.sys TO rs_app;
GRANT SELECT (tableoid) ON pg_catalog.pg_class TO rs_reader;
GRANT SELECT (xmin, oid) ON pg_catalog.pg_namespace TO rs_reader;
-- A table-level REVOKE and a column-level GRANT on the same built-in relation: restored in
-- that order (the other order loses the column's privilege).
REVOKE SELECT ON pg_catalog.pg_am FROM PUBLIC;
GRANT SELECT (amname, amtype) ON pg_catalog.pg_am TO PUBLIC;
REVOKE SELECT ON pg_catalog.pg_collation FROM PUBLIC;
GRANT SELECT (collname) ON pg_catalog.pg_collation TO rs_reader, PUBLIC;

-- 9. Privileges in their order, with their grantor: a table-level REVOKE followed by
-- column-level GRANTs; grants given by a role that is not the owner.
CREATE TABLE rs.ledger (id int, amount numeric, memo text);
ALTER TABLE rs.ledger OWNER TO rs_owner;
GRANT ALL ON rs.ledger TO rs_admin WITH GRANT OPTION;
SET ROLE rs_owner;
REVOKE ALL ON rs.ledger FROM rs_reader;
GRANT SELECT (id, amount), INSERT (memo) ON rs.ledger TO rs_reader;
RESET ROLE;
SET ROLE rs_admin;
GRANT SELECT, INSERT ON rs.ledger TO rs_app;
GRANT UPDATE (memo) ON rs.ledger TO rs_app;
RESET ROLE;
REVOKE SELECT ON rs.ledger FROM PUBLIC;

-- 10. Grants on sequences owned by serial and identity columns, from default privileges and
-- from GRANT.
ALTER DEFAULT PRIVILEGES FOR ROLE rs_owner IN SCHEMA rs GRANT USAGE, SELECT ON SEQUENCES TO rs_app;
SET ROLE rs_owner;
CREATE TABLE rs.orders (id serial PRIMARY KEY, line bigint GENERATED ALWAYS AS IDENTITY, item text);
RESET ROLE;
GRANT ALL ON SEQUENCE rs.orders_id_seq TO rs_admin;
GRANT UPDATE ON SEQUENCE rs.orders_line_seq TO rs_reader;
INSERT INTO rs.orders (item) VALUES ('x'), ('y');

-- 11. Column collations from pg_catalog.
CREATE DOMAIN rs.c_text AS text COLLATE "POSIX";
CREATE TABLE rs.coll (a varchar(10) COLLATE "C", b text COLLATE "POSIX", c text[] COLLATE "C", d rs.c_text, e rs.c_text COLLATE "C", f char(2) COLLATE "default");
ALTER TABLE rs.coll ADD COLUMN g varchar(5)[] COLLATE "POSIX", ADD COLUMN h rs.c_text[];
CREATE TYPE rs.named AS (label text COLLATE "C", code varchar(3) COLLATE "POSIX", plain text);
CREATE TABLE rs.uses_named (n rs.named);
INSERT INTO rs.coll VALUES ('b', 'a', '{z,y}', 'q', 'r', 'x', '{a}', '{b}');
INSERT INTO rs.uses_named VALUES (ROW('l', 'c', 'p'));
