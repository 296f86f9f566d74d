-- Sample shop database for `pgark demo` (embedded in the binary) and the tests.
-- Deterministic: every value derives from generate_series.
CREATE SCHEMA shop;
CREATE TYPE shop.order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');
CREATE DOMAIN shop.price AS numeric(12, 2) CHECK (VALUE >= 0);

CREATE TABLE shop.customers (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uid        uuid NOT NULL UNIQUE,
    email      text NOT NULL,
    name       text,
    joined_at  timestamptz NOT NULL,
    tags       text[],
    prefs      jsonb NOT NULL DEFAULT '{}'
);
INSERT INTO shop.customers (uid, email, name, joined_at, tags, prefs)
SELECT md5('c' || i)::uuid, 'customer' || i || '@example.com',
       CASE WHEN i % 9 = 0 THEN NULL ELSE 'Customer ' || i END,
       timestamptz '2022-01-01 00:00:00+00' + i * interval '17 minutes',
       CASE WHEN i % 4 = 0 THEN ARRAY['vip', 'tag' || (i % 7)] END,
       jsonb_build_object('newsletter', i % 2 = 0, 'lang', (ARRAY['en', 'fr', 'de'])[1 + i % 3])
FROM generate_series(1, 20000) AS i;

CREATE TABLE shop.products (
    id       serial PRIMARY KEY,
    sku      text NOT NULL UNIQUE,
    title    text NOT NULL,
    price    shop.price NOT NULL,
    picture  bytea
);
INSERT INTO shop.products (sku, title, price, picture)
SELECT 'SKU-' || lpad(i::text, 5, '0'), 'Product ' || i, (i % 500) + 0.99, decode(md5(i::text), 'hex')
FROM generate_series(1, 2000) AS i;

CREATE TABLE shop.orders (
    id          bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES shop.customers (id),
    status      shop.order_status NOT NULL DEFAULT 'new',
    placed_at   timestamptz NOT NULL,
    note        text
);
INSERT INTO shop.orders (customer_id, status, placed_at, note)
SELECT 1 + (i * 7919) % 20000, (ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + i % 4]::shop.order_status,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '5 minutes',
       CASE WHEN i % 5 = 0 THEN repeat('gift wrap please ', 1 + i % 3) END
FROM generate_series(1, 60000) AS i;

CREATE TABLE shop.order_items (
    order_id   bigint NOT NULL REFERENCES shop.orders (id),
    product_id int NOT NULL REFERENCES shop.products (id),
    quantity   int NOT NULL CHECK (quantity > 0),
    unit_price numeric(12, 2) NOT NULL,
    line_total numeric(14, 2) GENERATED ALWAYS AS (quantity * unit_price) STORED,
    PRIMARY KEY (order_id, product_id)
);
INSERT INTO shop.order_items (order_id, product_id, quantity, unit_price)
SELECT o, 1 + (o * 31 + k * 997) % 2000, 1 + (o + k) % 4, ((o * k) % 500) + 0.99
FROM generate_series(1, 60000) AS o, generate_series(1, 2) AS k;
CREATE INDEX order_items_product_idx ON shop.order_items (product_id);
CREATE INDEX orders_placed_idx ON shop.orders (placed_at);
SELECT setval('shop.orders_id_seq', 60000);
