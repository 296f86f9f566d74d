//! libFuzzer entry point: `cargo fuzz run connection_url --features libfuzzer` (see fuzz/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pgark_fuzz::connection_url(data));
