//! libFuzzer entry point: `cargo fuzz run config_json --features libfuzzer` (see fuzz/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pgark_fuzz::config_json(data));
