-- The database behind testdata/format1.pgark, an archive written by pgark's archive format 1
-- (chunks stored as plain COPY streams), kept to prove that newer pgark still reads it.
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE person (id bigint PRIMARY KEY, name text NOT NULL, born date, score numeric(6, 2), moods mood[]);
INSERT INTO person SELECT i, 'person ' || i, date '1970-01-01' + i * 97, i * 1.25,
       CASE WHEN i % 4 = 0 THEN NULL ELSE ARRAY['ok', 'happy']::mood[] END
FROM generate_series(1, 500) i;
CREATE TABLE visit (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, person bigint REFERENCES person,
                    at timestamptz NOT NULL, data jsonb, tags text[]);
INSERT INTO visit (person, at, data, tags)
SELECT 1 + i % 500, timestamptz '2024-01-01' + i * interval '1 minute', jsonb_build_object('n', i), ARRAY['a' || i % 3]
FROM generate_series(1, 3000) i;
CREATE INDEX visit_at ON visit (at);
