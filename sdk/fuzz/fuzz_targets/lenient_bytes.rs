//! Lenient decoding of response types, on any bytes.
//!
//! The check is `akamai_sdk::fuzzing::check_lenient_bytes`; seeds in `corpus/lenient_bytes/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| akamai_sdk::fuzzing::check_lenient_bytes(data));
