#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| stacklint_fuzz::redis(data));
