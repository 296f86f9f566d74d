//! libFuzzer entry point: `cargo fuzz run copy_stream --features libfuzzer` (see fuzz/README.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pgark_fuzz::copy_stream(data));
