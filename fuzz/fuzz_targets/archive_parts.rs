//! libFuzzer entry point: `cargo fuzz run archive_parts --features libfuzzer` (see fuzz/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pgark_fuzz::archive_parts(data));
