//! The `.edgerc` parser.
//!
//! The check is `akamai_sdk::fuzzing::check_edgerc`; seeds in `corpus/edgerc/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| akamai_sdk::fuzzing::check_edgerc(data));
