-- An application whose tables, views, triggers, policies, defaults, checks and indexes call
-- its own functions: what `--no-functions` (and the other toggles) leave out of a dump is
-- needed by what they keep. Owned by an application role; two schemas.
DO $$ BEGIN CREATE ROLE pt_owner NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
CREATE SCHEMA lib AUTHORIZATION pt_owner;
CREATE SCHEMA shop AUTHORIZATION pt_owner;
SET ROLE pt_owner;
CREATE SEQUENCE shop.codes;
CREATE FUNCTION lib.slug(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower(replace($1, ' ', '-')) $$;
CREATE FUNCTION lib.positive(numeric) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 > 0 $$;
CREATE FUNCTION shop.next_code() RETURNS text LANGUAGE sql AS $$ SELECT 'c-' || nextval('shop.codes') $$;
CREATE FUNCTION shop.stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated := now(); RETURN NEW; END $$;
CREATE FUNCTION shop.mine(text) RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT $1 = current_user $$;
CREATE AGGREGATE shop.total(numeric) (SFUNC = numeric_add, STYPE = numeric, INITCOND = '0');
CREATE DOMAIN shop.price AS numeric CHECK (lib.positive(VALUE));
CREATE TABLE shop.product (
    id int PRIMARY KEY,
    name text NOT NULL CHECK (lib.slug(name) <> ''),
    code text DEFAULT shop.next_code(),
    price numeric CONSTRAINT price_positive CHECK (lib.positive(price)),
    owner text DEFAULT current_user,
    updated timestamptz
);
CREATE INDEX product_slug ON shop.product (lib.slug(name));
CREATE UNIQUE INDEX product_code ON shop.product (code);
CREATE TRIGGER product_stamp BEFORE UPDATE ON shop.product FOR EACH ROW EXECUTE FUNCTION shop.stamp();
ALTER TABLE shop.product ENABLE ROW LEVEL SECURITY;
CREATE POLICY product_mine ON shop.product USING (shop.mine(owner));
CREATE TABLE shop.line (id int PRIMARY KEY, product_code text REFERENCES shop.product (code), qty int CHECK (qty > 0), note text);
CREATE VIEW shop.product_slugs AS SELECT id, lib.slug(name) AS slug FROM shop.product;
CREATE VIEW shop.slug_count AS SELECT count(*) AS n FROM shop.product_slugs;
CREATE VIEW shop.totals AS SELECT shop.total(price) AS total FROM shop.product;
CREATE TABLE shop.plain (id int PRIMARY KEY, v text);
CREATE TABLE shop.priced (id int, p shop.price);
INSERT INTO shop.priced VALUES (1, 2.5);
COMMENT ON VIEW shop.product_slugs IS 'one slug per product';
INSERT INTO shop.product (id, name, price) SELECT i, 'Product ' || i, i FROM generate_series(1, 50) i;
INSERT INTO shop.line SELECT i, 'c-' || (1 + i % 50), 1 + i % 3, 'n' || i FROM generate_series(1, 120) i;
INSERT INTO shop.plain SELECT i, 'v' || i FROM generate_series(1, 10) i;
RESET ROLE;
