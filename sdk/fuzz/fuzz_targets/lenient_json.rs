//! Lenient decoding of response types, on JSON built from the input (structure-aware).
//!
//! The check is `akamai_sdk::fuzzing::check_lenient_json`; seeds in `corpus/lenient_json/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| akamai_sdk::fuzzing::check_lenient_json(data));
