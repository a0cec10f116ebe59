//! EdgeGrid signing of arbitrary paths and queries: the signed target is the sent one.
//!
//! The check is `akamai_sdk::fuzzing::check_signing`; seeds in `corpus/signing/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| akamai_sdk::fuzzing::check_signing(data));
