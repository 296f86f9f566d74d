//! Integration tests: one throwaway PostgreSQL cluster for the whole binary, one database per test.

mod archive;
mod cli;
mod datasets;
mod harness;
mod roundtrip;
mod schema;
mod tls;
