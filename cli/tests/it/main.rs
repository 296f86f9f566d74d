//! Integration tests: one throwaway PostgreSQL cluster for the whole binary, one database per test.

mod alerts;
mod archive;
mod backups;
mod cli;
#[cfg(feature = "datasets")]
mod datasets;
mod decode;
mod diff;
mod drill;
mod encryption;
mod extract;
mod faults;
mod fidelity;
mod harness;
mod hostile;
mod legacy;
mod partial;
mod restore_messages;
mod roundtrip;
mod schedule;
mod schema;
mod secrets;
mod tls;
mod versions;
